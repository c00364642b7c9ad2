import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { defaultFlagsDir, projectRoot } from '../../server/contract/project.js'
import { startGatedServer } from '../fixtures/gated-server.js'
import { spawnCompiled } from '../fixtures/run.js'
import { startSite } from '../fixtures/site.js'

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
// into ./downloaded and says how long it took.
for (const program of ['flags-sequential', 'flags-pool', 'flags-async', 'flags-processes']) {
  t.test(program, async t => {
    const base = await startSite(t)
    const cwd = t.testdir({})
    const running = spawnCompiled(`scripts/${program}.js`, [], { BASE_URL: `${base}/flags` }, cwd)
    const run = await running.finished
    t.equal(run.code, 0, 'exit 0')
    t.match(run.stdout, /^(?:[A-Z]{2} ){20}\n20 downloads in \d+\.\d\ds\n$/, 'the book\'s output: the codes as they come, then the count and the time')
    await checkSaved(t, cwd, 20)
  })
}

// flags_threadpool_futures.py: the first five codes, sorted, submitted to three workers.
const FIVE = ['BR', 'CN', 'ID', 'IN', 'US']
// A result line; a worker's "CC " may come just before it, as in the book.
const RESULT = /^(?:[A-Z]{2} )*<Future for ([A-Z]{2}): finished> result: '([A-Z]{2})'$/

function resultsOf (stdout: string): string[] {
  return stdout.split('\n').flatMap(line => {
    const found = RESULT.exec(line)
    return found === null || found[1] !== found[2] ? [] : [found[1] ?? '']
  })
}

t.test('flags-futures: schedules the five downloads, then prints each future with its result', async t => {
  const base = await startSite(t)
  const cwd = t.testdir({})
  const run = await spawnCompiled('scripts/flags-futures.js', [], { BASE_URL: `${base}/flags` }, cwd).finished
  t.equal(run.code, 0, 'exit 0')
  const lines = run.stdout.split('\n')
  t.same(lines.slice(0, 5), FIVE.map((cc, i) => `Scheduled for ${cc}: <Future for ${cc}: ${i < 3 ? 'running' : 'pending'}>`),
    'all five scheduled before any result: three running at once (three workers), two pending')
  t.same(lines.slice(5, 10).map(line => RESULT.test(line)), [true, true, true, true, true], 'then five results, each from a finished future')
  t.same(resultsOf(run.stdout).sort(), FIVE, 'one result per code, the future\'s own')
  t.match(run.stdout, /\n\n5 downloads in \d+\.\d\ds\n$/, 'then the count and the time')
  await checkSaved(t, cwd, 5)
})

t.test('flags-futures: the results come in the order the downloads complete, not the order scheduled', async t => {
  // A gated server answers a request only when the test says so: the test decides the order in
  // which the downloads complete, whatever the machine's speed.
  const server = await startGatedServer(t, await flagGif('BR'))
  const running = spawnCompiled('scripts/flags-futures.js', [], { BASE_URL: `${server.url}/flags` }, t.testdir({}))
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
  t.same(server.arrivals.slice(0, 3).sort(), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/id/id.gif'], 'the first three scheduled are the first asked for')
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
  t.same(others, ['Script starting.', 'results: [object AsyncGenerator]', 'Waiting for individual results:'], 'the book\'s three lines of main()')
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
  // loiter(n) loiters n "seconds" of 250 ms. With three workers, 3 2 0 1 4 end at 3, 2, 0, 1 and
  // 5 seconds (1 starts when 0 ends, 4 when 1 ends): a second apart at least, so the done lines
  // come by n. Only orders are checked, never durations.
  const inputs = [3, 2, 0, 1, 4]
  const run = await spawnCompiled('scripts/demo-executor-map.js', inputs.map(String), { LOITER_MS: '250' }).finished
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
