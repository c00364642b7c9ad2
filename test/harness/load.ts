import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { LOAD_HELP, parseLoadArgs } from '../../harness/load/cli.js'
import { flagRequests, requestsFor } from '../../harness/load/flag-requests.js'
import { littlesLaw } from '../../harness/load/little.js'
import type { LoadReport } from '../../harness/load/main.js'
import { cpuTicks, openFileLimit } from '../../harness/load/proc-stats.js'
import { projectRoot } from '../../server/flags.js'
import { runCompiled, spawnCompiled } from '../fixtures/run.js'
import { startSite } from '../fixtures/site.js'

const load = async (args: string[]): ReturnType<typeof runCompiled> => await runCompiled('harness/load/main.js', args)

t.test('parseLoadArgs: defaults and good values', async t => {
  t.match(parseLoadArgs([]), { help: false, connections: 100, durationMs: 10_000, amount: null, server: { kind: 'embedded' }, seed: null, injection: {}, json: false })
  t.match(parseLoadArgs(['-c', '5000', '-d', '10m', '--latency', '200ms', '--seed', '7', '--json']), { connections: 5000, durationMs: 600_000, seed: 7, injection: { latency: '200ms' }, json: true })
  t.match(parseLoadArgs(['--amount', '200', '--connections', '10']), { amount: 200, durationMs: null, connections: 10 }, '--amount replaces the duration')
  t.match(parseLoadArgs(['-s', 'delay', '--error-rate', '0.5']), { server: { kind: 'url', baseUrl: 'http://localhost:8001/flags', label: 'DELAY' }, injection: { 'error-rate': '0.5' } })
  t.match(parseLoadArgs(['-s', 'http://127.0.0.1:9000']), { server: { kind: 'url', baseUrl: 'http://127.0.0.1:9000/flags' } })
  t.equal(parseLoadArgs(['-h']).help, true)
  t.match(LOAD_HELP, /--connections N/)
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
    [['extra'], /^option: unknown option|extra/]
  ]
  for (const [args, message] of cases) {
    t.throws(() => parseLoadArgs(args), { message }, args.join(' '))
  }
})

t.test('littlesLaw: throughput against C / mean latency and C / L', async t => {
  const figures = littlesLaw(1000, 45_000, 10_000, 220, 200)
  t.equal(figures.throughput, 4500, 'answers per second')
  t.equal(Math.round(figures.littlesLawRps), 4545, 'C / W')
  t.equal(figures.boundRps, 5000, 'C / L')
  t.equal(figures.boundRatio, 0.9, 'measured over the bound')
  t.equal(Math.round(figures.ratio * 1000), 990)
  t.same(littlesLaw(10, 0, 0, 0, null), { throughput: 0, littlesLawRps: NaN, ratio: NaN, boundRps: null, boundRatio: null }, 'nothing measured: no prediction')
})

t.test('requestsFor: every flag path round-robin, in windows past 50,000 requests built', async t => {
  const paths = flagRequests(['BR', 'CN', 'US'])
  t.same(paths.map(p => p.path), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/us/us.gif'])
  t.equal(flagRequests(['BR'], '/mirror/flags')[0]?.path, '/mirror/flags/br/br.gif')
  t.same(requestsFor(paths, 10), { requests: paths }, 'few connections: the whole list each')
  const many = flagRequests(Array.from({ length: 194 }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + i % 26)}`))
  const windowed = requestsFor(many, 5000)
  t.equal(windowed.requests?.length, 1)
  const seen = new Map<string, number>()
  for (let c = 0; c < 194; c++) {
    windowed.setupClient?.({ setRequests: (requests: Array<{ path: string }>) => { for (const r of requests) seen.set(r.path, (seen.get(r.path) ?? 0) + 1) } } as never)
  }
  t.equal(seen.size, 194, 'the windows together cover every path')
  t.equal(new Set(seen.values()).size, 1, 'and each the same number of times')
})

t.test('proc-stats: the open-file limit and a process\'s CPU ticks', async t => {
  const limit = openFileLimit()
  t.ok(limit === undefined || limit > 0)
  const ticks = cpuTicks(process.pid)
  t.ok(ticks === null || ticks >= 0)
  t.equal(cpuTicks(2 ** 30), null, 'no such process')
})

t.test('a short real run: --json has the documented fields, and the embedded server is gone', async t => {
  const run = await load(['--amount', '200', '--connections', '10', '--latency', '20ms', '--seed', '5', '--json'])
  t.equal(run.code, 0, 'exit 0')
  t.equal(run.stderr, '', 'nothing on stderr when piped')
  const report = JSON.parse(run.stdout) as LoadReport
  t.match(report, {
    incomplete: false,
    connections: 10,
    amount: 200,
    durationMs: null,
    seed: 5,
    flags: 194,
    fixedLatencyMs: 20,
    boundRps: 500,
    requests: 200,
    ok: 200,
    non2xx: 0,
    errors: 0,
    server: { embedded: true, config: { latency: '20ms' } }
  })
  for (const field of ['throughput', 'littlesLawRps', 'ratio', 'boundRatio', 'elapsedMs', 'bytesPerSecond', 'loadCpuPercent']) {
    t.type(report[field as keyof LoadReport], 'number', `${field} is a number`)
  }
  for (const p of ['mean', 'stddev', 'p50', 'p90', 'p99', 'max'] as const) t.type(report.latencyMs[p], 'number', `latencyMs.${p}`)
  t.ok(report.latencyMs.p50 >= 20, 'no answer before its 20 ms delay')
  t.ok(report.boundRatio !== null && report.boundRatio <= 1, 'never above the bound C/L')
  t.equal(report.command, 'npm run load -- --amount 200 --connections 10 --latency 20ms --seed 5 --json')
  const refused = await fetch(report.server.url).then(() => false, () => true)
  t.ok(refused, 'the embedded server no longer listens')
})

t.test('another server: the injection goes as x-flags-* headers', async t => {
  const site = await startSite(t)
  const run = await load(['-s', site, '--amount', '20', '-c', '2', '--latency', '30ms', '--json'])
  t.equal(run.code, 0, run.stderr)
  const report = JSON.parse(run.stdout) as LoadReport
  t.match(report, { server: { embedded: false, cpuPercent: null }, seed: 42, fixedLatencyMs: 30, requests: 20 })
  t.ok(report.latencyMs.p50 >= 30, 'the server applied the header\'s latency')
  const text = await load(['-s', site, '--amount', '20', '-c', '2'])
  t.equal(text.code, 0)
  t.match(text.stdout, /^Load: 2 connections, 20 requests, round-robin over 194 flags$/m)
  t.match(text.stdout, /^Little's law: C \/ mean latency = 2 \/ /m)
  t.notMatch(text.stdout, /The bound/, 'no fixed latency, no C/L')
})

t.test('bad option: exit 2, one line; unreachable server: exit 1, one line; --help: exit 0', async t => {
  for (const args of [['-c', '0'], ['--latency', 'x'], ['--nope'], ['-d', '1h']]) {
    const run = await load(args)
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`)
    t.match(run.stderr, /^flag-load: \S.*\n$/)
    t.equal(run.stdout, '')
  }
  const closed: Server = createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise(resolve => closed.close(resolve))
  const unreachable = await load(['-s', `http://127.0.0.1:${port}/flags`, '--amount', '10', '-c', '1'])
  t.equal(unreachable.code, 1, 'exit 1')
  t.match(unreachable.stderr, /^flag-load: server http:\/\/127\.0\.0\.1:\d+\/flags: unreachable \(ECONNREFUSED\)[^\n]*\n$/)
  // Each connection is a socket here and another in the embedded server.
  const lowLimit = await new Promise<{ code: number | null, stderr: string }>(resolve => {
    execFile('bash', ['-c', 'ulimit -n 512 && exec "$0" dist/harness/load/main.js -c 300', process.execPath], { cwd: projectRoot() }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stderr }))
  })
  t.equal(lowLimit.code, 2, 'too many connections for ulimit -n: exit 2')
  t.match(lowLimit.stderr, /^flag-load: --connections: invalid value "300"; accepted: at most 255 here, as "ulimit -n" is 512: raise it \(ulimit -n 1200\)\n$/)
  const help = await load(['--help'])
  t.equal(help.code, 0)
  t.equal(help.stdout, LOAD_HELP)
})

t.test('Ctrl-C during the run: what was measured, marked incomplete, exit 130', async t => {
  // A server that answers after 10 ms and tells the test when the load has started.
  let firstFlag: () => void = () => {}
  const loadStarted = new Promise<void>(resolve => { firstFlag = resolve })
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return res.end('{"status":"ok"}')
    if (req.url === '/flags') return res.end('{"codes":["BR","CN"]}')
    if (req.url?.endsWith('.gif') !== true) return res.writeHead(404).end()
    firstFlag()
    setTimeout(() => res.end('GIF89a'), 10)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flags`
  const running = spawnCompiled('harness/load/main.js', ['-s', url, '-c', '4', '-d', '5m', '--json'])
  await loadStarted
  running.child.kill('SIGINT')
  const run = await running.finished
  t.equal(run.code, 130, 'exit 130')
  const report = JSON.parse(run.stdout) as LoadReport
  t.match(report, { incomplete: true, connections: 4, flags: 2, server: { embedded: false, config: null } })
})
