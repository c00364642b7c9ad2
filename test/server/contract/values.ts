import t from 'tap'
import { MAX_SEED, parsePort, parseSeed, urlHost, wholeNumber } from '../../../server/contract/values.js'

t.test('whole numbers: in range, or one line naming the option', async t => {
  t.equal(wholeNumber('7', '--repeat', 1, 100), 7)
  t.throws(() => wholeNumber('0', '--repeat', 1, 100), { message: '--repeat: invalid value "0"; accepted: a whole number from 1 to 100' })
  t.throws(() => wholeNumber('1.5', '--repeat', 1, 100), { message: /^--repeat: invalid value "1\.5"/ })
  t.throws(() => wholeNumber('-1', '--repeat', 0, 100), { message: /^--repeat: / })
  t.throws(() => wholeNumber('', '--repeat', 0, 100), { message: /^--repeat: / })
})

t.test('ports and seeds', async t => {
  t.equal(parsePort('0', '--port'), 0, '0 picks a free port')
  t.equal(parsePort('65535', '--port'), 65535)
  t.throws(() => parsePort('65536', '--port'), { message: '--port: invalid value "65536"; accepted: a whole number from 0 to 65535 (0 picks a free port)' })
  t.equal(parseSeed(String(MAX_SEED), '--seed'), 9007199254740991, 'the largest seed a double holds exactly')
  t.throws(() => parseSeed('9007199254740992', '--seed'), { message: /^--seed: invalid value "9007199254740992"/ })
})

t.test('a host in a URL: IPv6 in brackets', async t => {
  t.equal(urlHost('127.0.0.1'), '127.0.0.1')
  t.equal(urlHost('::1'), '[::1]')
  t.equal(urlHost('[::1]'), '[::1]', 'already bracketed')
  t.equal(urlHost('localhost'), 'localhost')
})
