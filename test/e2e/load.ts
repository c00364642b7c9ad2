import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { LOAD_HELP } from '../../harness/load/args.js'
import type { LoadReport } from '../../harness/reports/load.js'
import { projectRoot } from '../../server/contract/project.js'
import { runCompiled, spawnCompiled } from '../fixtures/run.js'
import { startSite } from '../fixtures/site.js'

const load = async (args: string[]): ReturnType<typeof runCompiled> => await runCompiled('harness/load/main.js', args)

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
