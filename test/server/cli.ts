import t from 'tap'
import { parseServerArgs } from '../../server/cli.js'
import { formatInjection } from '../../server/contract/injection.js'
import { BOOK_SITES } from '../../server/contract/sites.js'

t.test('no options: the book\'s three sites', async t => {
  const plan = parseServerArgs([], {})
  t.same(plan.sites.map(s => [s.config.name, s.port]), [['LOCAL', 8000], ['DELAY', 8001], ['ERROR', 8002]])
  t.same(plan.sites.map(s => formatInjection(s.config.injection)), [BOOK_SITES.local, BOOK_SITES.delay, BOOK_SITES.error].map(p => formatInjection(p.injection)))
  t.equal(new Set(plan.sites.map(s => s.config.seed)).size, 1, 'one seed for all three')
  t.equal(plan.host, 'localhost')
  t.ok(plan.sites.every(s => s.config.overrides && s.config.admin.enabled), 'loopback: overrides and admin on')
  t.equal(plan.graceMs, 5000)
  t.ok(plan.sites.every(s => s.config.maxHung === 1000), 'at most 1000 hung requests at once by default')
  t.equal(parseServerArgs(['--max-hung', '5'], {}).sites[0]?.config.maxHung, 5)
  t.ok(plan.sites.every(s => s.config.maxConnections === 12_000), 'at most 12000 open connections per site by default')
  t.equal(parseServerArgs(['--max-connections', '5'], {}).sites[0]?.config.maxConnections, 5)
})

t.test('one custom site', async t => {
  const latency = parseServerArgs(['--latency', '200ms', '--seed', '7'], {})
  t.equal(latency.sites.length, 1, 'an injection option starts one site')
  t.same([latency.sites[0]?.config.name, latency.sites[0]?.port, latency.sites[0]?.config.seed], ['CUSTOM', 8000, 7])
  t.equal(formatInjection(latency.sites[0]!.config.injection).latency, '200ms')

  const error = parseServerArgs(['--profile', 'error', '--port', '0'], {})
  t.same([error.sites[0]?.config.name, error.sites[0]?.port], ['ERROR', 0], 'a profile on a port')
  t.equal(formatInjection(error.sites[0]!.config.injection)['error-rate'], '418:0.25')

  const tuned = parseServerArgs(['--profile', 'error', '--error-rate', '503:0.5'], {})
  t.equal(formatInjection(tuned.sites[0]!.config.injection)['error-rate'], '503:0.5', 'flags change the profile')
  t.equal(formatInjection(tuned.sites[0]!.config.injection).latency, '500ms..5s', 'and keep the rest of it')
})

t.test('environment variables, under the flags', async t => {
  const plan = parseServerArgs(['--latency', '1s'], { FLAGS_LATENCY: '2s', FLAGS_ERROR_RATE: '0.5', FLAGS_SEED: '99', FLAGS_PORT: '0' })
  const injection = formatInjection(plan.sites[0]!.config.injection)
  t.equal(injection.latency, '1s', 'the flag wins')
  t.equal(injection['error-rate'], '418:0.5', 'the environment fills in')
  t.same([plan.sites[0]?.config.seed, plan.sites[0]?.port], [99, 0])
  t.equal(parseServerArgs([], { FLAGS_LATENCY: '' }).sites.length, 3, 'an empty variable is unset')
})

t.test('the stall fault from the environment, and a bad value in one line', async t => {
  const plan = parseServerArgs([], { FLAGS_STALL_RATE: '0.1', FLAGS_STALL_FOR: '250ms' })
  t.same([plan.sites.length, plan.sites[0]?.config.injection.stallRate, plan.sites[0]?.config.injection.stallFor], [1, 0.1, 250], 'one custom site that stalls a tenth of its answers for 250 ms')
  t.throws(() => parseServerArgs([], { FLAGS_STALL_FOR: '250' }), { message: /^FLAGS_STALL_FOR: invalid value "250"; accepted: a duration with a unit, e\.g\. 200ms, 1\.5s, 2s, at most 86400s$/ })
  t.throws(() => parseServerArgs(['--stall-rate', '1', '--error-rate', '0.5'], {}), { message: /^--error-rate \+ --reset-rate \+ --hang-rate \+ --slow-rate \+ --truncate-rate \+ --stall-rate: invalid value 1\.5; accepted: rates that add up to at most 1$/ })
})

t.test('a non-loopback host turns overrides and admin off unless asked', async t => {
  const open = parseServerArgs(['--host', '0.0.0.0', '--port', '0'], {})
  t.same([open.sites[0]?.config.overrides, open.sites[0]?.config.admin.enabled], [false, false])
  const token = parseServerArgs(['--host', '0.0.0.0', '--port', '0', '--admin-token', 'abc', '--overrides', 'on'], {})
  t.same([token.sites[0]?.config.overrides, token.sites[0]?.config.admin], [true, { enabled: true, token: 'abc' }])
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1']) {
    t.equal(parseServerArgs(['--host', host], {}).sites[0]?.config.overrides, true, `${host} is loopback`)
  }
})

t.test('bad input: one line naming the option and what is accepted', async t => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--latency', 'fast'], {}, /^--latency: invalid value "fast"; accepted: a duration/],
    [['--port', '70000'], {}, /^--port: invalid value "70000"; accepted: a whole number from 0 to 65535/],
    [['--port', '-1'], {}, /^--port: /],
    [['--seed', '1.5'], {}, /^--seed: invalid value "1.5"; accepted: a whole number from 0 to 9007199254740991$/],
    [['--seed', '99999999999999999'], {}, /^--seed: /],
    [['--profile', 'slow'], {}, /^--profile: invalid value "slow"; accepted: local, delay, error$/],
    [['--overrides', 'yes'], {}, /^--overrides: invalid value "yes"; accepted: on or off$/],
    [['--grace', '5'], {}, /^--grace: invalid value "5"; accepted: a duration with a unit/],
    [['--max-hung', '0'], {}, /^--max-hung: invalid value "0"; accepted: a whole number from 1 to 100000$/],
    [['--admin-token', 'a b'], {}, /^--admin-token: invalid value "<hidden>"/],
    // Empty would let "Authorization: Bearer " in: refused, not taken as no token.
    [['--admin-token', ''], {}, /^--admin-token: invalid value ""; accepted: a token of one or more characters, without spaces$/],
    [['--admin-token='], {}, /^--admin-token: invalid value ""; accepted: /],
    [['--host', '0.0.0.0', '--admin-token', ''], {}, /^--admin-token: invalid value ""; accepted: /],
    // A typo names the option meant; a name near none lists them all.
    [['--latncy', '1s'], {}, /^--latncy: unknown option; did you mean --latency\?$/],
    [['--bogus'], {}, /^--bogus: unknown option; accepted: --profile, --port/],
    [['--latency'], {}, /^--latency: needs a value$/],
    [['extra'], {}, /^unexpected argument "extra"/],
    [[], { FLAGS_LATENCY: 'soon' }, /^FLAGS_LATENCY: invalid value "soon"/],
    [[], { FLAGS_PORT: 'x' }, /^FLAGS_PORT: invalid value "x"/],
    [['--error-rate', '0.6', '--reset-rate', '0.6'], {}, /^--error-rate \+ --reset-rate .*: invalid value 1.2; accepted: rates that add up to at most 1$/]
  ]
  for (const [argv, env, message] of cases) {
    t.throws(() => parseServerArgs(argv, env), { message }, `${argv.join(' ')} ${JSON.stringify(env)} is refused`)
  }
})

t.test('FLAGS_ADMIN_TOKEN empty is unset, as every empty variable: docker-compose.yml passes ADMIN_TOKEN through empty', async t => {
  const plan = parseServerArgs(['--host', '0.0.0.0', '--port', '0'], { FLAGS_ADMIN_TOKEN: '' })
  t.same(plan.sites[0]?.config.admin, { enabled: false }, 'off a loopback host, no token: admin off')
  t.same(parseServerArgs(['--port', '0'], { FLAGS_ADMIN_TOKEN: '' }).sites[0]?.config.admin, { enabled: true, token: undefined }, 'on loopback: open, as with no variable')
})

t.test('--help', async t => {
  t.equal(parseServerArgs(['--help'], {}).help, true)
  t.equal(parseServerArgs(['-h'], {}).help, true)
})
