// Nothing a ProcessPoolExecutor starts outlives the process that started it, however that
// process ends: tested as test/harness/core/embedded.ts tests the embedded server. A parent
// script, run by plain node against the compiled pool (npm run build first), starts a pool of
// two, prints its processes' pids, and ends one way or another; then every pid must be gone.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { gone, isAlive, parentOf } from '../../../fixtures/executor-processes.js'

const compiledPool = new URL('../../../../dist/harness/core/executor/pool.js', import.meta.url)
if (!existsSync(fileURLToPath(compiledPool)) || !existsSync(fileURLToPath(new URL('../../../../dist/harness/core/executor/process-worker.js', import.meta.url)))) {
  throw new Error('test/harness/core/executor/pool.endings.ts runs the compiled pool: npm run build first')
}

// No deadline on any process's end but this one: a busy machine only takes longer.
t.setTimeout(180_000)

/** tap's loaders out: the parent and its pool run the compiled JavaScript, as a person's would. */
function plainEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

const TASKS = [
  'export function pid () { return process.pid }',
  '/** Never settles: its process is busy, and its lane referenced, until the end. */',
  'export function hang () { return new Promise(() => {}) }',
  ''
].join('\n')

interface Ending {
  name: string
  /** Whether both processes run a task that never ends when the parent ends. */
  busy: boolean
  /** Run before the pids are printed (a signal handler must be there before the test sends its signal). */
  before?: string
  /** Run after, once the test, having seen the processes, says go (a line on stdin). */
  after?: string
  signal?: NodeJS.Signals
  expected: { code: number | null, signal: NodeJS.Signals | null }
}

const KEEP_ALIVE = 'setInterval(() => {}, 1000)'

const ENDINGS: Ending[] = [
  { name: 'process.exit(0)', busy: true, after: 'process.exit(0)', expected: { code: 0, signal: null } },
  { name: 'an uncaught error', busy: true, after: 'throw new Error(\'the parent fails\')', expected: { code: 1, signal: null } },
  { name: 'the end of its work, without shutdown()', busy: false, expected: { code: 0, signal: null } },
  {
    name: 'a SIGTERM handler that calls shutdown()',
    busy: false,
    before: `process.once('SIGTERM', () => { pool.shutdown().then(() => process.exit(143)) })\n${KEEP_ALIVE}`,
    signal: 'SIGTERM',
    expected: { code: 143, signal: null }
  },
  {
    name: 'a SIGTERM handler that calls terminate()',
    busy: true,
    before: `process.once('SIGTERM', () => { pool.terminate().then(() => process.exit(143)) })\n${KEEP_ALIVE}`,
    signal: 'SIGTERM',
    expected: { code: 143, signal: null }
  },
  {
    name: 'a SIGINT handler (Ctrl-C) that calls process.exit(130)',
    busy: true,
    before: `process.once('SIGINT', () => process.exit(130))\n${KEEP_ALIVE}`,
    signal: 'SIGINT',
    expected: { code: 130, signal: null }
  },
  // No exit handler runs: the processes end because their IPC channel closes.
  { name: 'SIGKILL', busy: true, before: KEEP_ALIVE, signal: 'SIGKILL', expected: { code: null, signal: 'SIGKILL' } }
]

for (const ending of ENDINGS) {
  t.test(`no worker process outlives a parent that ends by ${ending.name}`, async t => {
    // One testdir per test (a second t.testdir() would replace the first), named before it exists.
    const dir = t.testdirName
    t.testdir({
      'tasks.mjs': TASKS,
      'parent.mjs': [
        `import { ProcessPoolExecutor } from ${JSON.stringify(compiledPool.href)}`,
        'const pool = await ProcessPoolExecutor.start(2, new URL(\'./tasks.mjs\', import.meta.url))',
        // Two tasks submitted together, both processes idle: one goes to each.
        'const pids = await Promise.all([pool.submit(\'pid\'), pool.submit(\'pid\')].map(future => future.result()))',
        ending.busy ? 'pool.submit(\'hang\')\npool.submit(\'hang\')' : '',
        ending.before ?? '',
        'process.stdout.write(pids.join(\' \') + \'\\n\')',
        ending.signal === undefined ? 'await new Promise(resolve => process.stdin.once(\'data\', resolve))\nprocess.stdin.destroy()' : '',
        ending.after ?? '',
        ''
      ].join('\n')
    })
    const parent = spawn(process.execPath, [join(dir, 'parent.mjs')], { stdio: ['pipe', 'pipe', 'pipe'], env: plainEnv() })
    t.teardown(() => { parent.kill('SIGKILL') })
    let stdout = ''
    let stderr = ''
    parent.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    const closed = once(parent, 'close') as Promise<[number | null, NodeJS.Signals | null]>
    // The pid line, or the parent's end if it never prints one.
    await new Promise<void>(resolve => {
      parent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk
        if (stdout.includes('\n')) resolve()
      })
      closed.then(() => resolve(), () => resolve())
    })
    const pids = stdout.trim().split(' ').map(Number)
    if (!t.ok(pids.length === 2 && pids.every(pid => pid > 0) && pids[0] !== pids[1], 'the parent printed two pids', { stdout, stderr })) return
    for (const pid of pids) {
      t.ok(isAlive(pid), `process ${pid} runs`)
      t.equal(parentOf(pid), parent.pid, 'and is the parent\'s child')
    }
    if (ending.signal !== undefined) parent.kill(ending.signal)
    else parent.stdin.end('go\n')
    const [code, signal] = await closed
    t.same({ code, signal }, ending.expected, 'the parent ended as the ending says', { stderr })
    for (const pid of pids) t.equal(await gone(pid), true, `worker process ${pid} is gone`)
  })
}
