import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { request } from 'undici'
import { runCompiled, spawnCompiled } from '../fixtures/run.js'

const runServer = async (args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runCompiled> => await runCompiled('server/main.js', args, env)

t.test('every invalid option: one line on stderr, exit 2, no stack trace', async t => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--latency', 'fast'], {}, /^flag-server: --latency: invalid value "fast"; accepted: /],
    [['--jitter', '3'], {}, /^flag-server: --jitter: /],
    [['--max-latency', '-1s'], {}, /^flag-server: --max-latency: /],
    [['--error-rate', '2'], {}, /^flag-server: --error-rate: /],
    [['--reset-rate', 'x'], {}, /^flag-server: --reset-rate: /],
    [['--hang-rate', '1.1'], {}, /^flag-server: --hang-rate: /],
    [['--slow-rate', '-0'], {}, /^flag-server: --slow-rate: /],
    [['--slow-bps', 'fast'], {}, /^flag-server: --slow-bps: /],
    [['--truncate-rate', '1/2'], {}, /^flag-server: --truncate-rate: /],
    [['--port', 'http'], {}, /^flag-server: --port: /],
    [['--seed', 'abc'], {}, /^flag-server: --seed: /],
    [['--profile', 'fast'], {}, /^flag-server: --profile: /],
    [['--overrides', '1'], {}, /^flag-server: --overrides: /],
    [['--grace', 'long'], {}, /^flag-server: --grace: /],
    [['--bogus'], {}, /^flag-server: --bogus: unknown option; accepted: /],
    [['--flags-dir', '/nonexistent/flags', '--port', '0'], {}, /^flag-server: --flags-dir \/nonexistent\/flags: cannot be read; expected folders like/],
    [[], { FLAGS_MAX_LATENCY: 'forever' }, /^flag-server: FLAGS_MAX_LATENCY: /]
  ]
  // Each case starts its own process: run them side by side.
  const runs = await Promise.all(cases.map(async ([args, env]) => await runServer(args, env)))
  for (const [i, [args, env, message]] of cases.entries()) {
    const run = runs[i] as Awaited<ReturnType<typeof runServer>>
    t.equal(run.code, 2, `${[...args, ...Object.keys(env)].join(' ')}: exit 2`)
    t.match(run.stderr, message)
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line')
    t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
  }
})

t.test('--help prints the manual and exits 0', async t => {
  const run = await runServer(['--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^Usage: npm run server -- \[options\]/)
  for (const option of ['--latency', '--error-rate', '--seed', '--profile', '--max-latency', 'FLAGS_MAX_LATENCY']) t.match(run.stdout, option, `mentions ${option}`)
})

t.test('a port in use: one line, exit 1', async t => {
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const { port } = blocker.address() as AddressInfo
  const run = await runServer(['--host', '127.0.0.1', '--port', String(port)])
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`^flag-server: --port ${port}: already in use`))
  t.equal(run.stderr.trim().split('\n').length, 1)
})

t.test('localhost answers on 127.0.0.1 and ::1; SIGTERM lets requests in flight finish, exit 0', async t => {
  const running = spawnCompiled('server/main.js', ['--port', '0', '--latency', '300ms', '--seed', '5'])
  t.teardown(() => running.child.kill('SIGKILL'))
  const banner = await running.printed('stdout', /Ctrl-C stops it/)
  t.match(banner, /^flag server: 194 flags, seed 5 \(--seed 5 repeats every delay and fault\)$/m, 'the seed, at start-up')
  const port = /http:\/\/localhost:(\d+)\/flags {2}latency 300ms$/m.exec(banner)?.[1]
  t.ok(port, `the URL and the injection (${banner.split('\n')[1] ?? ''})`)
  for (const host of ['127.0.0.1', '[::1]']) {
    const res = await request(`http://${host}:${port}/healthz`)
    t.equal(res.statusCode, 200, `${host} answers`)
    await res.body.dump()
  }
  const inFlight = request(`http://127.0.0.1:${port}/flags/br/br.gif`)
  // Signal only once the server holds the request: its metrics say so.
  for (let text = ''; !/flags_requests_in_flight 2/.test(text);) text = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text()
  running.child.kill('SIGTERM')
  const res = await inFlight
  t.equal(res.statusCode, 200, 'the request in flight is answered after SIGTERM')
  t.equal((await res.body.arrayBuffer()).byteLength > 0, true)
  const exit = await running.finished
  t.equal(exit.code, 0, 'then the server exits 0')
  t.match(exit.stdout, /SIGTERM: closing, requests in flight get up to 5s/)
})

t.test('SIGTERM with a request that outlives --grace: cut at the grace period, exit 0', async t => {
  const running = spawnCompiled('server/main.js', ['--port', '0', '--host', '127.0.0.1', '--hang-rate', '1', '--max-latency', '1m', '--grace', '300ms'])
  t.teardown(() => running.child.kill('SIGKILL'))
  const banner = await running.printed('stdout', /Ctrl-C stops it/)
  const port = /http:\/\/127\.0\.0\.1:(\d+)\/flags/.exec(banner)?.[1]
  const hung = request(`http://127.0.0.1:${port}/flags/br/br.gif`).then(() => 'answered', () => 'cut')
  for (let text = ''; !/flags_requests_in_flight 2/.test(text);) text = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text()
  const signalled = performance.now()
  running.child.kill('SIGTERM')
  t.equal(await hung, 'cut', 'the hung request is cut, not answered')
  const exit = await running.finished
  t.equal(exit.code, 0, 'exit 0')
  // It cannot go before the grace period; the minute-long hang shows it did not wait for that.
  const took = performance.now() - signalled
  t.ok(took >= 300 && took < 60_000, `closed after the grace period, not the hang (${took.toFixed(0)} ms)`)
})
