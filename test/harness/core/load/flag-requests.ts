import t from 'tap'
import { flagPaths, requestSalt, requestsFor } from '../../../../harness/core/load/flag-requests.js'

/** 194 made-up codes, AA to HL: as many as the flag set. */
const CODES = Array.from({ length: 194 }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + i % 26)}`)

t.test('requestsFor: every flag path round-robin, in windows past 50,000 requests built', async t => {
  const paths = flagPaths(['BR', 'CN', 'US'])
  t.same(paths, ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/us/us.gif'])
  t.equal(flagPaths(['BR'], '/mirror/flags')[0], '/mirror/flags/br/br.gif')
  t.same(requestsFor(paths, 10), { requests: paths.map(path => ({ method: 'GET', path })) }, 'few connections: the whole list each')
  const many = flagPaths(CODES)
  const windowed = requestsFor(many, 5000)
  t.equal(windowed.requests?.length, 1)
  const seen = new Map<string, number>()
  for (let c = 0; c < 194; c++) {
    windowed.setupClient?.({ setRequests: (requests: Array<{ path: string }>) => { for (const r of requests) seen.set(r.path, (seen.get(r.path) ?? 0) + 1) } } as never)
  }
  t.equal(seen.size, 194, 'the windows together cover every path')
  t.equal(new Set(seen.values()).size, 1, 'and each the same number of times')
})

t.test('requestSalt: connection k\'s i-th request, both from 0', async t => {
  t.equal(requestSalt(0, 0), '0.0')
  t.equal(requestSalt(12, 345), '12.345')
  t.not(requestSalt(1, 11), requestSalt(11, 1), 'no two places share a salt')
})
