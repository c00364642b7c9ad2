// The request log: a line for every request as it ends, checked field by field against values
// worked out by hand, from the compiled server as a person runs it (a child process, port 0),
// and from buildServer in this process for the pretty format and the faults a child cannot be
// made to show cheaply (a hang refused past --max-hung). Its summary lines above fifty a
// second: test/server/log.summary.ts.

import { openSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Client, request, type Dispatcher } from 'undici'
import { buildServer } from '../../server/app.js'
import { parseServerArgs } from '../../server/cli.js'
import { NO_INJECTION } from '../../server/contract/injection.js'
import { versionLine } from '../../server/command-line/version.js'
import { clockTime, createServerLog, prettyLine } from '../../server/log.js'
import { runCompiled, spawnCompiled, type Running } from '../fixtures/run.js'
import { projectFlags } from '../fixtures/site.js'

interface Started { running: Running, origin: string }

async function startServer (t: Test, args: string[]): Promise<Started> {
  const running = spawnCompiled('server/main.js', ['--host', '127.0.0.1', '--port', '0', '--seed', '1', ...args])
  t.teardown(() => running.child.kill('SIGKILL'))
  const banner = await running.printed('stdout', /Ctrl-C stops it/)
  const port = /http:\/\/127\.0\.0\.1:(\d+)\/flags/.exec(banner)?.[1]
  if (port === undefined) throw new Error(`no URL in the banner: ${banner}`)
  return { running, origin: `http://127.0.0.1:${port}` }
}

/** SIGTERM, then every JSON line the server printed, in order. */
async function stopAndRead (running: Running): Promise<{ code: number | null, stdout: string, lines: Array<Record<string, unknown>> }> {
  running.child.kill('SIGTERM')
  const { code, stdout } = await running.finished
  const lines = stdout.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line) as Record<string, unknown>)
  return { code, stdout, lines }
}

async function get (url: string, dispatcher?: Dispatcher): Promise<number | 'reset'> {
  try {
    const res = await request(url, dispatcher === undefined ? {} : { dispatcher })
    await res.body.dump()
    return res.statusCode
  } catch {
    return 'reset'
  }
}

t.test('--log json: one line per request, each field as worked out by hand', async t => {
  const { running, origin } = await startServer(t, ['--log', 'json'])
  // One connection at a time (a Client, not a pool), so that the connection of each is known.
  const client = new Client(origin)
  t.teardown(async () => await client.close())
  const before = Date.now()
  // One at a time: each is alone in flight when it ends.
  t.equal(await get(`${origin}/flags/br/br.gif`, client), 200)
  t.equal(await get(`${origin}/flags/br/br.gif?latency=30ms`, client), 200)
  t.equal(await get(`${origin}/flags/br/br.gif?error-rate=503:1`, client), 503)
  t.equal(await get(`${origin}/flags/br/br.gif?reset-rate=1`, client), 'reset')
  t.equal(await get(`${origin}/nowhere?x=1`, client), 404)
  // After the server is gone: a 404 is logged once Node has sent it, maybe after the client read it.
  const { code, lines } = await stopAndRead(running)
  const after = Date.now()
  t.equal(code, 0, 'exit 0 after SIGTERM')
  const base = { level: 30, site: 'LOCAL', method: 'GET', msg: 'request', inFlight: 1 }
  // The fields added for issue 24 (arrival, duration, connection, client gone) are checked below.
  t.same(lines.map(({ time, arrived, tookMs, connection, clientGone, ...rest }) => rest), [
    // The LOCAL site injects nothing: no delay, no fault.
    { ...base, path: '/flags/br/br.gif', status: 200, delayMs: 0, fault: 'none' },
    // The query's latency, as Server-Timing would say it.
    { ...base, path: '/flags/br/br.gif?latency=30ms', status: 200, delayMs: 30, fault: 'none' },
    { ...base, path: '/flags/br/br.gif?error-rate=503:1', status: 503, delayMs: 0, fault: 'http-503' },
    // A reset sends no status line at all.
    { ...base, path: '/flags/br/br.gif?reset-rate=1', status: 'none', delayMs: 0, fault: 'reset' },
    // Not a flag route: no fate drawn, the query kept in the path.
    { ...base, path: '/nowhere?x=1', status: 404, delayMs: 0, fault: 'none' }
  ], 'the five lines, in order, every field but the time')
  const times = lines.map(line => line.time as number)
  t.ok(times.every(time => Number.isInteger(time) && time >= before && time <= after), 'time: milliseconds since the epoch, within the test')
  t.same([...times].sort((a, b) => a - b), times, 'in the order the requests ended')
  t.ok((times[1] ?? 0) - (times[0] ?? 0) >= 30, 'the delayed one ended at least its 30 ms after the one before')
  // The client keeps one connection alive for the lot; the reset closes it, so the 404 comes on a second.
  t.same(lines.map(line => line.connection), [1, 1, 1, 1, 2], 'the connection of each')
  t.same(lines.map(line => line.clientGone), [false, false, false, false, false], 'the server ended each, the reset too')
  const tooks = lines.map(line => line.tookMs as number)
  t.ok(tooks.every(took => took >= 0), 'took: never negative')
  t.ok((tooks[1] ?? 0) >= 30, 'the delayed one took at least its 30 ms')
  t.ok(lines.every(line => (line.arrived as number) <= (line.time as number) && (line.arrived as number) >= before - 1), 'arrived: before it ended, within the test')
})

t.test('--log json: a request the client gave up on says so, when, and after how long', async t => {
  const { running, origin } = await startServer(t, ['--log', 'json'])
  const before = Date.now()
  // The client gives up after 300 ms on a request the server holds for 5 s.
  const gaveUp = await request(`${origin}/flags/br/br.gif?latency=5s`, { headersTimeout: 300 }).then(() => 'answered', (error: Error & { code?: string }) => error.code)
  t.equal(gaveUp, 'UND_ERR_HEADERS_TIMEOUT')
  // The cut is logged once the server has seen the connection close: wait for the line, then stop.
  await running.printed('stdout', /"clientGone":true/)
  const { lines } = await stopAndRead(running)
  t.equal(lines.length, 1)
  const [line] = lines
  t.match(line, { status: 'none', clientGone: true, delayMs: 5000, fault: 'none', inFlight: 1, connection: 1 }, 'no status, the client gone, the planned delay')
  t.ok((line?.tookMs as number) >= 300, 'it took at least the client\'s 300 ms')
  t.ok((line?.time as number) - (line?.arrived as number) >= 299 && (line?.arrived as number) >= before - 1, 'it ended (the client left) at least 300 ms after it arrived')
})

t.test('--log json: five requests at once, each line counts those still in flight', async t => {
  const { running, origin } = await startServer(t, ['--log', 'json'])
  // 300 ms each: all five arrive before the first ends; each counts itself and those behind it.
  const statuses = await Promise.all(Array.from({ length: 5 }, async () => await get(`${origin}/flags/br/br.gif?latency=300ms`)))
  t.same(statuses, [200, 200, 200, 200, 200])
  const { lines } = await stopAndRead(running)
  t.same(lines.map(line => line.inFlight), [5, 4, 3, 2, 1], 'five in flight as the first ends, one as the last does')
  t.ok(lines.every(line => line.delayMs === 300 && line.status === 200), 'each delayed 300 ms, answered 200')
})

t.test('--log off: no request line, the start-up lines as before', async t => {
  const { running, origin } = await startServer(t, ['--log', 'off'])
  t.equal(await get(`${origin}/flags/br/br.gif`), 200)
  t.equal(await get(`${origin}/flags/br/br.gif?error-rate=503:1`), 503)
  const { code, stdout, lines } = await stopAndRead(running)
  t.equal(code, 0)
  t.same(lines, [], 'no JSON line')
  t.notMatch(stdout, /br\.gif/, 'no path printed')
  t.match(stdout, /^flag server: 194 flags, seed 1 /, 'the start-up line stays')
})

t.test('FLAGS_LOG sets the log, --log wins over it', async t => {
  const { running, origin } = await startServer(t, [])
  t.equal(await get(`${origin}/healthz`), 200)
  const piped = await stopAndRead(running)
  t.equal(piped.lines.length, 1, 'piped, with neither: JSON lines')
  const quiet = spawnCompiled('server/main.js', ['--host', '127.0.0.1', '--port', '0'], { FLAGS_LOG: 'off' })
  t.teardown(() => quiet.child.kill('SIGKILL'))
  const banner = await quiet.printed('stdout', /Ctrl-C stops it/)
  t.equal(await get(`${/http:\/\/127\.0\.0\.1:\d+/.exec(banner)?.[0] ?? ''}/healthz`), 200)
  t.same((await stopAndRead(quiet)).lines, [], 'FLAGS_LOG=off: none')
  t.equal(parseServerArgs(['--log', 'json'], { FLAGS_LOG: 'off' }).log, 'json', '--log wins over FLAGS_LOG')
  t.equal(parseServerArgs([], {}, true).log, 'pretty', 'on a terminal: pretty')
  t.equal(parseServerArgs([], {}, false).log, 'json', 'piped: JSON lines')
  t.equal(parseServerArgs([], { FLAGS_LOG: '' }, true).log, 'pretty', 'an empty FLAGS_LOG is unset')
})

t.test('--log loud, FLAGS_LOG=loud: one line naming the option and the values accepted, exit 2', async t => {
  for (const [args, env, named] of [[['--log', 'loud'], {}, '--log'], [[], { FLAGS_LOG: 'loud' }, 'FLAGS_LOG']] as const) {
    const run = await runCompiled('server/main.js', [...args], env)
    t.equal(run.code, 2, `${named}: exit 2`)
    t.equal(run.stderr, `flag-server: ${named}: invalid value "loud"; accepted: off, pretty, json\n`, `${named}: the one line`)
    t.equal(run.stdout, '', `${named}: nothing on stdout`)
  }
})

t.test('--version prints the version line and exits 0; --help lists --log, --version and the exit codes', async t => {
  const version = await runCompiled('server/main.js', ['--version'])
  t.equal(version.code, 0)
  t.equal(version.stdout, `${versionLine('flag-server')}\n`)
  t.match(version.stdout, /^flag-server \d+\.\d+\.\d+ \(flag-lab, Node v\d+\.\d+\.\d+\)\n$/)
  const help = await runCompiled('server/main.js', ['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /--log off\|pretty\|json/)
  t.match(help.stdout, /--version/)
  t.match(help.stdout, /Exit codes: 0 .*; 1 .*2 a bad option.*130/s)
  const bad = await runCompiled('server/main.js', ['--version=yes'])
  t.equal(bad.code, 2, '--version takes no value')
  t.equal(bad.stderr, 'flag-server: --version: takes no value\n')
})

t.test('clockTime and prettyLine: the compact line for a terminal', async t => {
  // 2024-01-02 03:04:05.067 in the local time zone, whatever it is.
  const at = new Date(2024, 0, 2, 3, 4, 5, 67).getTime()
  t.equal(clockTime(at), '03:04:05.067')
  t.equal(clockTime(new Date(2024, 0, 2, 23, 59, 59, 999).getTime()), '23:59:59.999')
  const line = (fields: Record<string, unknown>): string => JSON.stringify({ level: 30, time: at, site: 'DELAY', ...fields, msg: 'request' })
  // Arrived 31.4 ms before it ended (at 03:04:05.036): took under ten ms shows a tenth.
  t.equal(prettyLine(line({ method: 'GET', path: '/flags/br/br.gif?latency=30ms', status: 200, delayMs: 30, fault: 'none', inFlight: 3, arrived: at - 31, tookMs: 31.4, connection: 2, clientGone: false })),
    '03:04:05.067 DELAY GET /flags/br/br.gif?latency=30ms 200 delay=30ms fault=none in-flight=3 arrived=03:04:05.036 took=31ms conn=2\n')
  // 812.5 ms rounds to 813; a reset has no status.
  t.equal(prettyLine(line({ method: 'HEAD', path: '/flags/de/de.gif', status: 'none', delayMs: 812.5, fault: 'reset', inFlight: 20, arrived: at - 813, tookMs: 812.9, connection: 7, clientGone: false })),
    '03:04:05.067 DELAY HEAD /flags/de/de.gif none delay=813ms fault=reset in-flight=20 arrived=03:04:04.254 took=813ms conn=7\n')
  // The client left 3,102 ms after it arrived, 1,416 ms before its 4,518 ms delay was up.
  t.equal(prettyLine(line({ method: 'GET', path: '/flags/cn/cn.gif', status: 'none', delayMs: 4518, fault: 'none', inFlight: 20, arrived: at - 3102, tookMs: 3102.2, connection: 4, clientGone: true })),
    '03:04:05.067 DELAY GET /flags/cn/cn.gif none client-gone delay=4518ms fault=none in-flight=20 arrived=03:04:01.965 took=3102ms conn=4\n')
  t.equal(prettyLine(line({ method: 'GET', path: '/flags/br/br.gif', status: 200, delayMs: 0, fault: 'none', inFlight: 1, arrived: at, tookMs: 0.44, connection: 1, clientGone: false })),
    '03:04:05.067 DELAY GET /flags/br/br.gif 200 delay=0ms fault=none in-flight=1 arrived=03:04:05.067 took=0.4ms conn=1\n', 'under 10 ms: to a tenth')
  const summary = JSON.stringify({ level: 30, time: at, site: 'LOCAL', msg: 'summary', windowMs: 1001, requests: 812, statuses: { 200: 800, 503: 12 }, faults: { none: 800, 'http-503': 12 }, clientGone: 0, inFlight: 50, delayP50Ms: 20, delayP99Ms: 20.4 })
  t.equal(prettyLine(summary), '03:04:05.067 LOCAL 812 requests in 1001ms (200: 800, 503: 12) faults (none: 800, http-503: 12) client-gone=0 in-flight=50 delay p50=20ms p99=20ms; over 50/s: a line a second\n', 'the summary line')
  t.equal(prettyLine(JSON.stringify({ level: 50, time: at, site: 'LOCAL', msg: 'boom', err: { message: 'disk on fire' } })), '03:04:05.067 LOCAL ERROR boom: disk on fire\n', 'Fastify\'s own lines: level and message')
  t.equal(prettyLine(JSON.stringify({ level: 40, msg: 'careful' })), '--:--:--.--- WARN careful\n', 'no time, no site')
  t.equal(prettyLine('not json'), 'not json\n', 'anything else as it came')
})

t.test('in process, pretty: a hang refused past --max-hung, a bad override, /healthz', async t => {
  const file = join(t.testdir(), 'log.txt')
  // close() closes it, as it would any file but stdout and stderr.
  const log = createServerLog('pretty', openSync(file, 'w'))
  // --max-hung 0 cannot be typed, but here it makes every drawn hang a refused one.
  const app = buildServer({ name: 'TEST', seed: 7, injection: NO_INJECTION, overrides: true, maxHung: 0, admin: { enabled: true, token: undefined } }, await projectFlags(), undefined, log)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  t.equal(await get(`${origin}/flags/br/br.gif?hang-rate=1&latency=20ms`), 503)
  t.equal(await get(`${origin}/flags/br/br.gif?latency=fast`), 400)
  t.equal(await get(`${origin}/healthz`), 200)
  const closing = app.close()
  app.server.closeAllConnections()
  await closing
  await log.close()
  await log.close()
  log.site('LATE', () => 0).fastify.warn('after close')
  const text = readFileSync(file, 'utf8')
  // The line's time, and the fields added for issue 24 (tested above), taken off.
  t.same(text.split('\n').map(l => l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, '').replace(/ arrived=\S+ took=\S+ conn=\d+$/, '')), [
    'TEST GET /flags/br/br.gif?hang-rate=1&latency=20ms 503 delay=20ms fault=hang-refused in-flight=1',
    // A bad override is answered before any fate is drawn.
    'TEST GET /flags/br/br.gif?latency=fast 400 delay=0ms fault=none in-flight=1',
    'TEST GET /healthz 200 delay=0ms fault=none in-flight=1',
    ''
  ], 'three lines, none after close()')
})
