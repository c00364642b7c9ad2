import t from 'tap'
import { LOAD_HELP, parseLoadArgs } from '../../../harness/load/args.js'

t.test('parseLoadArgs: defaults and good values', async t => {
  t.match(parseLoadArgs([]), { help: false, connections: 100, durationMs: 10_000, amount: null, server: { kind: 'embedded' }, seed: null, injection: {}, json: false })
  t.match(parseLoadArgs(['-c', '5000', '-d', '10m', '--latency', '200ms', '--seed', '7', '--json']), { connections: 5000, durationMs: 600_000, seed: 7, injection: { latency: { kind: 'fixed', ms: 200 } }, json: true })
  t.match(parseLoadArgs(['--amount', '200', '--connections', '10']), { amount: 200, durationMs: null, connections: 10 }, '--amount replaces the duration')
  t.match(parseLoadArgs(['-s', 'delay', '--error-rate', '0.5']), { server: { kind: 'url', baseUrl: 'http://localhost:8001/flags', label: 'DELAY' }, injection: { errorRate: [{ status: 418, rate: 0.5 }] } })
  t.match(parseLoadArgs(['-s', 'http://127.0.0.1:9000']), { server: { kind: 'url', baseUrl: 'http://127.0.0.1:9000/flags' } })
  t.equal(parseLoadArgs(['-h']).help, true)
  t.match(LOAD_HELP, /--connections N/)
  t.match(parseLoadArgs([]), { version: false, wide: false, expectations: [] })
  t.match(parseLoadArgs(['--version', '--wide']), { version: true, wide: true })
  t.same(parseLoadArgs(['--expect', 'rps>=900', '--expect', 'p99 < 250ms', '--expect', 'bound>=98%']).expectations.map(e => [e.name, e.op, e.target]),
    [['rps', '>=', 900], ['p99', '<', 250], ['bound', '>=', 0.98]], 'each --expect, in order')
  t.match(LOAD_HELP, /\b3 when an --expect threshold was missed/)
  t.match(LOAD_HELP, /143 when terminated \(SIGTERM\)/)
})

t.test('parseLoadArgs: every bad value is one line naming the option', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['-c', '0'], /^--connections: invalid value "0"; accepted: a whole number from 1 to 10000$/],
    [['-c', '10001'], /^--connections: invalid value "10001"/],
    [['-c', 'many'], /^--connections: invalid value "many"/],
    [['-d', '10'], /^--duration: invalid value "10"; accepted: a duration with a unit.*at most 10m$/],
    [['-d', '11m'], /^--duration: invalid value "11m"/],
    [['-d', '0s'], /^--duration: invalid value "0s"/],
    [['--amount', '0'], /^--amount: invalid value "0"/],
    [['--amount', '5', '-c', '10'], /^--amount 5: at least one request per connection/],
    [['--amount', '100', '-d', '1s'], /^--amount and --duration: choose one/],
    [['--latency', 'fast'], /^--latency: invalid value "fast"; accepted: a duration/],
    [['--error-rate', '2'], /^--error-rate: invalid value "2"/],
    [['--reset-rate', '0.6', '--hang-rate', '0.6'], /^--error-rate \+ --reset-rate .*: invalid value 1\.2/],
    [['--seed', '-1'], /^--seed: needs a value/],
    [['--seed', 'x'], /^--seed: invalid value "x"/],
    [['-s', 'ftp://x'], /^--server: invalid value "ftp:\/\/x"; accepted: LOCAL, DELAY, ERROR or an http URL/],
    [['-s', 'LOCAL', '--seed', '1'], /^--seed: only for the load tool's own server/],
    [['-s', 'LOCAL', '--max-latency', '1s'], /^--max-latency: only for the load tool's own server/],
    [['--nope'], /^--nope: unknown option; accepted: --connections, /],
    [['-c'], /^--connections: needs a value$/],
    [['--json=yes'], /^--json: takes no value$/],
    [['--version=1'], /^--version: takes no value$/],
    [['--expect', 'rps'], /^--expect: invalid value "rps" \(not NAME OP VALUE\); accepted: NAME OP VALUE, /],
    [['--expect', 'async.speedup>=2'], /^--expect: invalid value "async\.speedup>=2" \(no figure async\.speedup\)/],
    [['--expect', 'errors<1ms'], /^--expect: invalid value "errors<1ms" \(errors is a count: a bare number\)/],
    [['extra'], /^option: unknown option|extra/]
  ]
  for (const [args, message] of cases) {
    t.throws(() => parseLoadArgs(args), { message }, args.join(' '))
  }
})

t.test('parseLoadArgs: the open loop', async t => {
  t.equal(parseLoadArgs([]).open, null, 'no --rate: the closed loop')
  t.same(parseLoadArgs(['--rate', '2000/s', '-d', '5s']).open, { ratePerS: 2000, arrivals: 'uniform', maxConnections: 1000, warmupMs: 1000 })
  t.same(parseLoadArgs(['-r', '0.5/s', '--arrivals', 'poisson', '--max-connections', '10', '-a', '3']).open, { ratePerS: 0.5, arrivals: 'poisson', maxConnections: 10, warmupMs: 1000 }, 'an amount below the connections is fine: they open as needed')
  t.equal(parseLoadArgs(['--rate', '100/s', '--warmup', '250ms']).open?.warmupMs, 250)
  t.equal(parseLoadArgs(['--rate', '100/s', '--warmup', '0s']).open?.warmupMs, 0, 'none')
  t.match(LOAD_HELP, /--rate N\/s/)
  const cases: Array<[string[], RegExp]> = [
    [['--rate', '500'], /^--rate: invalid value "500"; accepted: requests a second with the unit, e\.g\. 500\/s, above 0 and at most 100000\/s/],
    [['--rate', '0/s'], /^--rate: invalid value "0\/s"/],
    [['--rate=-1/s'], /^--rate: invalid value "-1\/s"/],
    [['--rate', '100001/s'], /^--rate: invalid value "100001\/s"/],
    [['--rate', '5/m'], /^--rate: invalid value "5\/m"/],
    [['--rate', '5/s', '-c', '10'], /^--rate and --connections: choose one/],
    [['--rate', '5/s', '--arrivals', 'bursty'], /^--arrivals: invalid value "bursty"; accepted: uniform or poisson$/],
    [['--rate', '5/s', '--max-connections', '0'], /^--max-connections: invalid value "0"; accepted: a whole number from 1 to 10000$/],
    [['--max-connections', '5'], /^--max-connections: only with --rate/]
  ]
  for (const [args, message] of cases) t.throws(() => parseLoadArgs(args), { message }, args.join(' '))
})
