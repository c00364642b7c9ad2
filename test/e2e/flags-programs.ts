import { readdir, readFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { defaultFlagsDir, projectRoot } from '../../server/contract/project.js'
import { startGatedServer } from '../fixtures/gated-server.js'
import { spawnCompiled } from '../fixtures/run.js'
import { injectionOf, startSite } from '../fixtures/site.js'

const PROGRAMS = ['flags-sequential', 'flags-pool', 'flags-async', 'flags-processes', 'flags-futures', 'demo-executor-map']

async function flagGif (cc: string): Promise<Buffer> {
  return await readFile(join(defaultFlagsDir(), cc.toLowerCase(), `${cc.toLowerCase()}.gif`))
}

/** Checks that ./downloaded holds `count` files, each the flag it is named after, byte for byte. */
async function checkSaved (t: Test, cwd: string, count: number): Promise<void> {
  const saved = (await readdir(join(cwd, 'downloaded'))).sort()
  t.equal(saved.length, count, `${count} files in ./downloaded`)
  for (const file of saved) {
    t.ok((await readFile(join(cwd, 'downloaded', file))).equals(await flagGif(file.slice(0, 2))), `${file} is the flag, byte for byte`)
  }
}

// The short programs read in class, next to the book's flags.py, flags_threadpool.py,
// flags_asyncio.py and flags_threadpool.py with ProcessPoolExecutor: each downloads the 20 flags
// from the site its argument names into ./downloaded and says how long it took; a pool's
// start-up is said apart. Every flag waits 100 ms at the server, so the known lower bounds are:
// sequential 20 × 0.1 = 2.0 s; the event loop (20 requests at once) 0.1 s; the thread pool,
// the book's default W = min(32, cpus + 4) workers, ceil(20 / W) rounds (0.4 s on 2 cpus: 6
// workers); the process pool, W = cpus workers, ceil(20 / W) rounds of 0.1 s (1.0 s on 2 cpus).
const THREADS = Math.min(32, availableParallelism() + 4)
const LATENCY_S = 0.1
const FLOOR_S: Record<string, number> = {
  'flags-sequential': 20 * LATENCY_S,
  'flags-pool': Math.ceil(20 / THREADS) * LATENCY_S,
  'flags-async': LATENCY_S,
  'flags-processes': Math.ceil(20 / availableParallelism()) * LATENCY_S
}
const WORKERS: Record<string, number | undefined> = { 'flags-pool': THREADS, 'flags-processes': availableParallelism() }
// Figures are printed to 0.01 s: a bound is met when the printed figure is within half of that.
const ROUNDING_S = 0.005

for (const program of ['flags-sequential', 'flags-pool', 'flags-async', 'flags-processes']) {
  t.test(program, async t => {
    const base = await startSite(t, { injection: injectionOf({ latency: '100ms' }) })
    const cwd = t.testdir({})
    const run = await spawnCompiled(`scripts/${program}.js`, [`${base}/flags`], {}, cwd).finished
    t.equal(run.code, 0, 'exit 0')
    t.equal(run.stderr, '', 'nothing on stderr')
    const workers = WORKERS[program]
    const startup = workers === undefined ? '' : ` \\(start-up of ${workers} workers (\\d+\\.\\d\\d)s, apart\\)`
    const found = new RegExp(`^(?:[A-Z]{2} ){20}\\n20 downloads in (\\d+\\.\\d\\d)s${startup}\\n$`).exec(run.stdout)
    t.ok(found, `the book's output: the codes as they come, then the count and the time${workers === undefined ? '' : ', the pool\'s start-up apart'}: ${run.stdout}`)
    t.ok(Number(found?.[1]) >= (FLOOR_S[program] ?? 0) - ROUNDING_S, `the downloads took at least ${FLOOR_S[program]}s: ${found?.[1]}s`)
    await checkSaved(t, cwd, 20)
  })
}

t.test('the site can come from $BASE_URL too, as the book\'s BASE_URL constant', async t => {
  const base = await startSite(t)
  const cwd = t.testdir({})
  const run = await spawnCompiled('scripts/flags-async.js', [], { BASE_URL: `${base}/flags/` }, cwd).finished
  t.equal(run.code, 0, 'exit 0 (a trailing slash is dropped)')
  await checkSaved(t, cwd, 20)
})

t.test('a pool starts, and opens each worker\'s connection, before the clock: its start-up is printed apart', async t => {
  // MAX_WORKERS=20, the book's default told otherwise: one request per flag at once.
  // The gated server holds every request. The test holds the 20 workers' warm-up requests
  // (GET /healthz) HOLD_S, then the 20 downloads HOLD_S: the start-up is at least HOLD_S, so are
  // the downloads; and the download time, measured inside the program after the warm-ups were
  // released, is within the time the test measures from that release to the program's exit.
  const HOLD_S = 0.3
  const server = await startGatedServer(t, await flagGif('BR'))
  const running = spawnCompiled('scripts/flags-pool.js', [`${server.url}/flags`], { MAX_WORKERS: '20' }, t.testdir({}))
  await server.arrived(1)
  t.same(server.arrivals, ['/healthz'], 'first the check that the site answers, from the main thread')
  server.held[0]?.release()
  await server.arrived(1 + 20)
  t.same(server.arrivals.slice(1), Array(20).fill('/healthz'), 'then a warm-up from each of the 20 workers, all at once')
  await sleep(HOLD_S * 1000)
  const released = performance.now()
  for (const request of [...server.held]) request.release()
  await server.arrived(1 + 20 + 20)
  t.ok(server.arrivals.slice(21).every(path => /^\/flags\/[a-z]{2}\/[a-z]{2}\.gif$/.test(path)), 'then the 20 downloads')
  await sleep(HOLD_S * 1000)
  for (const request of [...server.held]) request.release()
  const run = await running.finished
  const sinceReleased = (performance.now() - released) / 1000
  t.equal(run.code, 0, 'exit 0')
  const found = /\n20 downloads in (\d+\.\d\d)s \(start-up of 20 workers (\d+\.\d\d)s, apart\)\n$/.exec(run.stdout)
  t.ok(found, `the closing line, the start-up apart: ${run.stdout}`)
  const [elapsed, startup] = [Number(found?.[1]), Number(found?.[2])]
  t.ok(startup >= HOLD_S - ROUNDING_S, `the start-up holds the warm-ups' ${HOLD_S}s: ${startup}s`)
  t.ok(elapsed >= HOLD_S - ROUNDING_S, `the downloads took at least the ${HOLD_S}s they were held: ${elapsed}s`)
  t.ok(elapsed <= sinceReleased + ROUNDING_S, `the download time, ${elapsed}s, lies within the ${sinceReleased.toFixed(3)}s from the warm-ups' release to the exit: the start-up is not in it`)
  t.equal(server.maxInFlight(), 20, 'twenty requests at a time: twenty workers')
})

t.test('nothing answers at the site: one line naming it and how to start one, exit 1', async t => {
  // A port just freed: nothing listens there.
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise(resolve => server.close(resolve))
  for (const program of ['flags-sequential', 'flags-pool']) {
    const run = await spawnCompiled(`scripts/${program}.js`, [`http://127.0.0.1:${port}/flags`]).finished
    t.equal(run.code, 1, `${program}: exit 1`)
    t.equal(run.stderr, `${program}: nothing answers at http://127.0.0.1:${port}/flags (ECONNREFUSED): start a flag server there, or name another site: npm run ${program.replace('-', ':')} -- http://localhost:8000/flags\n`, `${program}: one line`)
    t.equal(run.stdout, '', `${program}: nothing downloaded`)
  }
})

t.test('a site argument that is not a URL, or more than one, is refused: one line, exit 2', async t => {
  for (const args of [['nope'], ['ftp://localhost/flags'], ['http://localhost:8000/flags', 'x']]) {
    const run = await spawnCompiled('scripts/flags-async.js', args).finished
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`)
    t.match(run.stderr, /^flags-async: (?:BASE_URL ".*": not an http:\/\/ URL|one argument at most: BASE_URL), e\.g\. http:\/\/localhost:8001\/flags\n$/, `${args.join(' ')}: one line saying what is accepted`)
  }
})

t.test('--help: what a class program takes, within 80 columns, exit 0, nothing downloaded', async t => {
  for (const program of ['flags-sequential', 'flags-pool', 'flags-processes', 'flags-async', 'flags-futures']) {
    const run = await spawnCompiled(`scripts/${program}.js`, ['--help']).finished
    t.equal(run.code, 0, `${program}: exit 0`)
    t.match(run.stdout, new RegExp(`^Usage: npm run ${program.replace('-', ':')} \\[-- BASE_URL\\]\n`), `${program}: its usage first`)
    t.match(run.stdout.replace(/\n/g, ' '), /BASE_URL: the argument, else \$BASE_URL, else the book's DELAY site/)
    t.ok(run.stdout.split('\n').every(line => line.length <= 80), `${program}: every line within 80 columns`)
  }
})

t.test('MAX_WORKERS that is not a whole number of workers is refused: one line, exit 2', async t => {
  for (const value of ['0', 'many', '2.5']) {
    const run = await spawnCompiled('scripts/flags-pool.js', ['http://127.0.0.1:9/flags'], { MAX_WORKERS: value }).finished
    t.equal(run.code, 2, `${value}: exit 2`)
    t.equal(run.stderr, `flags-pool: MAX_WORKERS ${JSON.stringify(value)}: a whole number of workers from 1 to 256, or unset for the book's default\n`, `${value}: one line saying what is accepted`)
  }
})

t.test('a download that fails ends the run with one line, no stack trace, exit 1', async t => {
  // The site answers (its /healthz), but has no flags under /nothing: every download is a 404.
  const base = await startSite(t)
  for (const program of ['flags-async', 'flags-pool']) {
    const run = await spawnCompiled(`scripts/${program}.js`, [`${base}/nothing`], {}, t.testdir({})).finished
    t.equal(run.code, 1, `${program}: exit 1`)
    t.match(run.stderr, new RegExp(`^${program}: 404 for http://127\\.0\\.0\\.1:\\d+/nothing/[a-z]{2}/[a-z]{2}\\.gif\\n$`), `${program}: one line, the status and the URL`)
  }
})

// flags_threadpool_futures.py: the first five codes, sorted, submitted to three workers.
const FIVE = ['BR', 'CN', 'ID', 'IN', 'US']
// A result line; a worker's "CC " may come just before it, as in the book.
// Python's repr of a future: <Future at 0x100d6b0f0 state=finished returned str>; ours "string".
const RESULT = /^(?:[A-Z]{2} )*(<Future at 0x[0-9a-f]+) state=finished returned string> result: '([A-Z]{2})'$/

/** The codes of the result lines, each from the future scheduled for it (the same address). */
function resultsOf (stdout: string): string[] {
  const scheduled = new Map(stdout.split('\n').flatMap(line => {
    const found = /^Scheduled for ([A-Z]{2}): (<Future at 0x[0-9a-f]+) /.exec(line)
    return found === null ? [] : [[found[2], found[1]] as const]
  }))
  return stdout.split('\n').flatMap(line => {
    const found = RESULT.exec(line)
    return found === null || scheduled.get(found[1] ?? '') !== found[2] ? [] : [found[2] ?? '']
  })
}

t.test('flags-futures: schedules the five downloads, then prints each future with its result', async t => {
  const base = await startSite(t)
  const cwd = t.testdir({})
  const run = await spawnCompiled('scripts/flags-futures.js', [], { BASE_URL: `${base}/flags` }, cwd).finished
  t.equal(run.code, 0, 'exit 0')
  const lines = run.stdout.split('\n')
  t.same(lines.slice(0, 5).map(line => line.replace(/0x[0-9a-f]+/, '0x…')), FIVE.map((cc, i) => `Scheduled for ${cc}: <Future at 0x… state=${i < 3 ? 'running' : 'pending'}>`),
    'all five scheduled before any result: three running at once (three workers), two pending')
  t.same(lines.slice(5, 10).map(line => RESULT.test(line)), [true, true, true, true, true], 'then five results, each from a finished future')
  t.same(resultsOf(run.stdout).sort(), FIVE, 'one result per code, the future\'s own')
  t.match(run.stdout, /\n\n5 downloads in \d+\.\d\ds \(start-up of 3 workers \d+\.\d\ds, apart\)\n$/, 'then the count and the time, the pool\'s start-up apart')
  await checkSaved(t, cwd, 5)
})

t.test('flags-futures: the results come in the order the downloads complete, not the order scheduled', async t => {
  // A gated server answers a request only when the test says so: the test decides the order in
  // which the downloads complete, whatever the machine's speed.
  const server = await startGatedServer(t, await flagGif('BR'))
  const running = spawnCompiled('scripts/flags-futures.js', [], { BASE_URL: `${server.url}/flags` }, t.testdir({}))
  // First the main thread's check that the site answers, then a warm-up from each worker.
  await server.arrived(1)
  server.held[0]?.release()
  await server.arrived(1 + 3)
  for (const request of [...server.held]) request.release()
  // The three first downloads asked for before any is answered: a worker given BR may be slow to
  // send it on a busy machine, and IN, asked once ID is answered, must not overtake it here.
  await server.arrived(4 + 3)
  const completion = ['ID', 'CN', 'US', 'BR', 'IN']
  for (const cc of completion) {
    const path = `/flags/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`
    // IN and US are asked for only once a worker is free: wait for their requests to come.
    for (let count = 1; !server.arrivals.includes(path); count++) await server.arrived(count)
    server.held.find(request => request.path === path)?.release()
    await running.printed('stdout', new RegExp(`result: '${cc}'`))
  }
  const run = await running.finished
  t.equal(run.code, 0, 'exit 0')
  t.same(resultsOf(run.stdout), completion, 'the results in the order the server answered')
  t.equal(server.maxInFlight(), 3, 'three downloads at a time: three workers')
  t.same(server.arrivals.slice(0, 4), Array(4).fill('/healthz'), 'the site checked, and the three workers\' connections opened, before any download')
  t.same(server.arrivals.slice(4, 7).sort(), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/id/id.gif'], 'the first three scheduled are the first asked for')
})

interface Loiter { kind: 'start' | 'done', n: number, tabs: number }
type Line = Loiter | { kind: 'result', i: number, value: number } | { kind: 'other', text: string }

/** demo-executor-map's output, line by line, each checked to start with a [HH:MM:SS] timestamp. */
function demoLines (t: Test, stdout: string): Line[] {
  const lines = stdout.trimEnd().split('\n')
  t.ok(lines.every(line => /^\[\d\d:\d\d:\d\d\] /.test(line)), 'every line timestamped, as the book\'s display()')
  return lines.map(line => {
    const text = line.slice(11)
    const loiter = /^(\t*)loiter\((\d+)\): (?:doing nothing for \2s\.\.\.|(done\.))$/.exec(text)
    if (loiter !== null) return { kind: loiter[3] === undefined ? 'start' : 'done', n: Number(loiter[2]), tabs: loiter[1]?.length ?? -1 }
    const result = /^result (\d+): (\d+)$/.exec(text)
    return result === null ? { kind: 'other', text } : { kind: 'result', i: Number(result[1]), value: Number(result[2]) }
  })
}

/** What holds whatever the machine's speed: map's order, each result after its task, three tasks at a time. */
function checkMapDemo (t: Test, lines: Line[], inputs: number[]): Loiter[] {
  const others = lines.flatMap(line => line.kind === 'other' ? [line.text] : [])
  t.same(others, ['Script starting.', 'results: <AsyncGenerator object Executor.map>', 'Waiting for individual results:'], 'the book\'s three lines of main()')
  const results = lines.flatMap(line => line.kind === 'result' ? [[line.i, line.value]] : [])
  t.same(results, inputs.map((n, i) => [i, n * 10]), 'map yields the results in input order: result i is loiter(inputs[i]) * 10')
  const loiters = lines.filter((line): line is Loiter => line.kind === 'start' || line.kind === 'done')
  t.ok(loiters.every(line => line.tabs === line.n), 'loiter(n) is indented by n tabs')
  t.same(loiters.filter(line => line.kind === 'start').map(line => line.n).sort(), [...inputs].sort(), 'every task started once')
  let busy = 0
  let most = 0
  for (const line of lines) {
    if (line.kind === 'start') most = Math.max(most, ++busy)
    if (line.kind === 'done') busy--
    if (line.kind === 'result') {
      const before = lines.slice(0, lines.indexOf(line))
      t.ok(before.some(l => l.kind === 'done' && l.n === inputs[line.i]), `result ${line.i} printed after loiter(${inputs[line.i]}): done.`)
    }
  }
  t.ok(most <= 3, `at most three tasks loitering at once (three workers): ${most}`)
  return loiters.filter(line => line.kind === 'done')
}

t.test('demo-executor-map: the book\'s run, loiter(0) to loiter(4)', async t => {
  const run = await spawnCompiled('scripts/demo-executor-map.js', [], { LOITER_MS: '50' }).finished
  t.equal(run.code, 0, 'exit 0')
  t.equal(run.stderr, '', 'nothing on stderr')
  checkMapDemo(t, demoLines(t, run.stdout), [0, 1, 2, 3, 4])
})

t.test('demo-executor-map: the tasks finish out of order, map still yields in order', async t => {
  // loiter(n) loiters n "seconds" of 600 ms. With three workers, 3 2 0 1 4 end at 3, 2, 0, 1 and
  // 5 seconds (1 starts when 0 ends, 4 when 1 ends): a second apart at least, so the done lines
  // come by n, unless a worker starts its task 600 ms late. Only orders are checked, never durations.
  const inputs = [3, 2, 0, 1, 4]
  const run = await spawnCompiled('scripts/demo-executor-map.js', inputs.map(String), { LOITER_MS: '600' }).finished
  t.equal(run.code, 0, 'exit 0')
  const lines = demoLines(t, run.stdout)
  const done = checkMapDemo(t, lines, inputs)
  t.same(done.map(line => line.n), [0, 1, 2, 3, 4], 'the tasks finish in the order of their loitering, not the input order')
  const firstResult = lines.findIndex(line => line.kind === 'result')
  t.same(lines.slice(0, firstResult).filter(line => line.kind === 'done').map(line => (line as Loiter).n), [0, 1, 2, 3],
    'result 0 waits for loiter(3), though loiter(0), (1) and (2) are done')
})

t.test('demo-executor-map: a loiter time that is not a whole number of seconds is refused', async t => {
  const run = await spawnCompiled('scripts/demo-executor-map.js', ['3', 'x']).finished
  t.equal(run.code, 2, 'exit 2')
  t.match(run.stderr, /^demo-executor-map: loiter takes whole numbers of seconds, e\.g\. .*\n$/, 'one line saying what it takes')
  t.equal(run.stdout, '', 'nothing run')
})

t.test('each stays short enough for a screen', async t => {
  for (const program of PROGRAMS) {
    const lines = (await readFile(join(projectRoot(), 'scripts', `${program}.ts`), 'utf8')).trimEnd().split('\n').length
    t.ok(lines <= 42, `${program}.ts: ${lines} lines`)
  }
})
