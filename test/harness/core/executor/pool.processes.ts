// ProcessPoolExecutor over real child processes (child_process.fork). They inherit tap's
// TypeScript loader through execArgv, as worker threads do, and pay for it at start-up: the
// tests that need no pool of their own share one.
//
// Processes share no memory with the test, so the gates are HTTP: a `held` task calls the
// test's gated server (test/fixtures/gated-server.ts) at /<tag>/<pid> and waits there until the
// test releases it. Its arrival tells the test the task runs, and in which process. Nothing
// waits on a timer; a process's end is polled for with no deadline but the test's timeout.

import { availableParallelism } from 'node:os'
import t from 'tap'
import { asCompleted } from '../../../../harness/core/executor/future.js'
import { BrokenPoolError, ProcessPoolExecutor } from '../../../../harness/core/executor/pool.js'
import { childrenOf, gone, isAlive, residentBytes } from '../../../fixtures/executor-processes.js'
import type { ProcessTaskData } from '../../../fixtures/executor-process-tasks.js'
import { type GatedServer, startGatedServer } from '../../../fixtures/gated-server.js'

type Tasks = typeof import('../../../fixtures/executor-process-tasks.js')
const TASKS = new URL('../../../fixtures/executor-process-tasks.ts', import.meta.url)

// A process here costs a second or two of CPU for tap's loaders, and this file starts about fifteen.
t.setTimeout(300_000)

const server = await startGatedServer(t)
const taskData: ProcessTaskData = { gateUrl: server.url, greeting: 'hello from the test' }
const pool = await ProcessPoolExecutor.start<Tasks>(2, TASKS, { workerData: taskData })
t.teardown(() => pool.shutdown())

/** The held request of the task tagged `tag`, once it has come in; its path ends with the pid of the process running it. */
async function heldTask (server: GatedServer, tag: string): Promise<{ pid: number, release: () => void }> {
  const prefix = `/${tag}/`
  while (true) {
    const request = server.held.find(held => held.path.startsWith(prefix))
    if (request !== undefined) return { pid: Number(request.path.slice(prefix.length)), release: request.release }
    await server.arrived(server.arrivals.length + 1)
  }
}

let tagsTaken = 0
function newTag (): string {
  return `task${tagsTaken++}`
}

t.test('a task runs in a process of its own, one per worker, each with its pid', async t => {
  t.equal(pool.workers, 2)
  t.ok(pool.startupMs > 0, `startupMs is positive (${pool.startupMs.toFixed(1)} ms)`)
  t.equal(await pool.submit('add', 2, 3).result(), 5, 'a task runs')
  const [a, b] = [newTag(), newTag()] as [string, string]
  const futures = [pool.submit('held', a), pool.submit('held', b)]
  // Both held at once: they run at the same time, so in two processes.
  const [heldA, heldB] = [await heldTask(server, a), await heldTask(server, b)]
  t.not(heldA.pid, heldB.pid, 'two tasks at once, in two processes')
  t.not(heldA.pid, process.pid, 'neither is this process')
  t.not(heldB.pid, process.pid)
  t.same(childrenOf(process.pid).filter(pid => pid === heldA.pid || pid === heldB.pid).sort(), [heldA.pid, heldB.pid].sort(), 'both children of this process')
  heldB.release()
  heldA.release()
  t.same(await Promise.all(futures.map(async future => await future.result())), [{ tag: a, pid: heldA.pid }, { tag: b, pid: heldB.pid }], 'each task says the pid it ran in')
})

t.test('at most W tasks run at once, one per process', async t => {
  const tags = Array.from({ length: 6 }, newTag)
  const before = server.arrivals.length
  const futures = tags.map(tag => pool.submit('held', tag))
  // Two held; each released only once the next has come in: a third process, or a second task
  // in one, would have shown as three held at once.
  for (let arrived = 2; arrived <= tags.length; arrived++) {
    await server.arrived(before + arrived)
    t.equal(server.inFlight(), 2, `${arrived} tasks in: 2 held at once`)
    server.held[0]?.release()
  }
  for (const request of [...server.held]) request.release()
  const pids = new Set((await Promise.all(futures.map(async future => await future.result()))).map(result => result.pid))
  t.equal(pids.size, 2, 'on both processes')
  t.equal(server.maxInFlight(), 2, 'never more than 2 at once')
})

t.test('map yields in input order over processes, whatever the order tasks finish', async t => {
  const [first, second, probe] = [newTag(), newTag(), newTag()] as [string, string, string]
  const results = pool.map('held', [first, second])
  const firstResult = results.next()
  const heldSecond = await heldTask(server, second)
  heldSecond.release()
  // A third task gets a process only once one is free: the second task's, the first still held.
  const probing = pool.submit('held', probe)
  const heldProbe = await heldTask(server, probe)
  t.equal(heldProbe.pid, heldSecond.pid, 'the second task finished first, freeing its process')
  ;(await heldTask(server, first)).release()
  heldProbe.release()
  t.equal((await firstResult).value?.tag, first, 'yet the first result comes first')
  t.equal((await results.next()).value?.tag, second)
  t.same(await results.next(), { done: true, value: undefined })
  await probing.result()
})

t.test('asCompleted yields process futures in the order they finish', async t => {
  const [a, b] = [newTag(), newTag()] as [string, string]
  const futures = [pool.submit('held', a), pool.submit('held', b)]
  ;(await heldTask(server, b)).release()
  const completed = asCompleted(futures)
  t.equal((await completed.next()).value, futures[1], 'the one released first')
  ;(await heldTask(server, a)).release()
  t.equal((await completed.next()).value, futures[0])
  t.equal((await completed.next()).done, true)
})

t.test('taskData() gives every process the pool\'s workerData', async t => {
  const [a, b] = [newTag(), newTag()] as [string, string]
  const futures = [pool.submit('heldData', a), pool.submit('heldData', b)]
  // Both held at once: one in each process.
  const [heldA, heldB] = [await heldTask(server, a), await heldTask(server, b)]
  heldA.release()
  heldB.release()
  const answers = await Promise.all(futures.map(async future => await future.result()))
  t.same(answers, [{ pid: heldA.pid, data: taskData }, { pid: heldB.pid, data: taskData }], 'the same data in each process')
  t.equal(await pool.submit('data').result().then(answer => answer.data.greeting), taskData.greeting, 'read again in a later task')
})

t.test('a task error keeps its name, message, code, cause and stack across the process boundary', async t => {
  const error = await pool.submit('fail', 'no flag for ZZ').result().catch((error: unknown) => error)
  t.match(error, { name: 'FlagError', message: 'no flag for ZZ', code: 'FLAG_EMPTY', cause: { name: 'RangeError', message: 'the cause' } })
  t.match((error as Error).stack, /executor-tasks\.ts/, 'the stack is the process\'s, where the task threw')
  t.match(await pool.submit('fail', 'again').exception(), { name: 'FlagError', code: 'FLAG_EMPTY' }, 'exception() returns it')
  await t.rejects(pool.submit('throwValue', { cc: 'ZZ' }).result(), { name: 'Error', message: 'task throwValue threw a non-Error: { cc: \'ZZ\' }' })
  await t.rejects(pool.submit('nope' as 'add', 1, 2).result(), { message: /^unknown task nope: file:.*executor-process-tasks\.ts exports add, data, exit, fail, held, heldData, keep, nodeOptions, pid, returnFunction, scriptArguments, throwValue$/ })
  await t.rejects(pool.submit('add', (() => 1) as unknown as number, 2).result(), { message: /^cannot send task add to a worker process: .*could not be cloned/ })
  await t.rejects(pool.submit('returnFunction').result(), { message: /^task returnFunction returned a value that cannot be sent back from the worker process: .*could not be cloned/ })
  t.same(await pool.submit('scriptArguments').result(), [], 'a tasks module sees no argument of the executor\'s')
  t.equal(await pool.submit('add', 1, 1).result(), 2, 'the processes survive their tasks\' errors')
  t.equal(pool.broken, false)
})

t.test('a process pool reports its processes\' event loops and memory', async t => {
  const utilization = await pool.utilization()
  t.equal(utilization.length, 2, 'one figure per process')
  t.ok(utilization.every(figure => figure.active > 0 && figure.utilization >= 0 && figure.utilization <= 1), 'each a process\'s own event loop figures')
  // Known answer: the sum the kernel gives for the pool's two processes (VmRSS in /proc), read
  // at the same moment; and once one process has written 64 MiB it keeps, that process alone
  // grew by about them: RSS also moves by itself as the processes run (their heaps collected:
  // up to 5 MiB less, and 12 MiB more, were seen on a busy machine), so three quarters of it.
  const MIB = 1048576
  const pids = childrenOf(process.pid)
  t.equal(pids.length, 2, 'the pool\'s two processes are this process\'s only children')
  const kernelSum = (): number => pids.reduce((sum, pid) => sum + residentBytes(pid), 0)
  const before = await pool.rssBytes() ?? NaN
  const kernel = kernelSum()
  t.ok(Math.abs(before - kernel) <= 0.05 * kernel, `resident memory summed: ${(before / MIB).toFixed(1)} MiB; the kernel says ${(kernel / MIB).toFixed(1)} MiB`)
  const residentBefore = new Map(pids.map(pid => [pid, residentBytes(pid)]))
  const keeper = await pool.submit('keep', 64).result()
  const after = await pool.rssBytes() ?? NaN
  const kernelAfter = kernelSum()
  t.ok(Math.abs(after - kernelAfter) <= 0.05 * kernelAfter, `after: ${(after / MIB).toFixed(1)} MiB summed; the kernel says ${(kernelAfter / MIB).toFixed(1)} MiB`)
  const grown = residentBytes(keeper) - (residentBefore.get(keeper) ?? NaN)
  t.ok(grown >= 48 * MIB, `the process that kept 64 MiB grew by ${(grown / MIB).toFixed(1)} MiB`)
  t.ok(after - before >= 40 * MIB, `and the sum with it (${((after - before) / MIB).toFixed(1)} MiB)`)
})

t.test('a process that exits fails its task with BrokenProcessPool, fails the queued ones, and breaks the pool', async t => {
  const pool = await ProcessPoolExecutor.start<Tasks>(1, TASKS, { workerData: taskData })
  t.teardown(() => pool.shutdown())
  const pid = await pool.submit('pid').result()
  t.equal(pool.broken, false, 'not broken yet')
  const died = pool.submit('exit', 3)
  const queued = [pool.submit('add', 1, 2), pool.submit('pid')]
  const error = await died.result().catch((error: unknown) => error)
  t.ok(error instanceof BrokenPoolError, 'a BrokenPoolError')
  t.match(error, { name: 'BrokenProcessPool', message: 'task exit failed: a worker process died (exit code 3); the pool is broken' }, 'named as Python names it, saying what happened')
  for (const future of queued) {
    await t.rejects(future.result(), { name: 'BrokenProcessPool', message: /^task (add|pid) not run: the pool is broken \(a worker process died \(exit code 3\)\)$/ }, 'a queued task fails too')
  }
  t.equal(pool.broken, true, 'the pool says it is broken')
  t.throws(() => pool.submit('add', 1, 2), { name: 'BrokenProcessPool', message: 'cannot submit task add: the pool is broken (a worker process died (exit code 3))' }, 'later submits fail')
  t.equal(await gone(pid), true, 'the process is gone')
  await pool.shutdown()
  t.pass('shutdown() of a broken pool resolves')
})

t.test('a process killed with SIGKILL breaks the pool as CPython\'s terminate_broken: every running and queued task fails, the other processes end', async t => {
  const pool = await ProcessPoolExecutor.start<Tasks>(2, TASKS, { workerData: taskData })
  t.teardown(() => pool.shutdown())
  const [other, victim] = [newTag(), newTag()] as [string, string]
  const running = pool.submit('held', other)
  const killed = pool.submit('held', victim)
  const queued = pool.submit('add', 1, 2)
  const [heldOther, heldVictim] = [await heldTask(server, other), await heldTask(server, victim)]
  process.kill(heldVictim.pid, 'SIGKILL')
  await t.rejects(killed.result(), { name: 'BrokenProcessPool', message: 'task held failed: a worker process died (killed by SIGKILL); the pool is broken' })
  await t.rejects(running.result(), { name: 'BrokenProcessPool', message: 'task held stopped: the pool is broken (a worker process died (killed by SIGKILL))' }, 'the task running in the other process fails too')
  await t.rejects(queued.result(), { name: 'BrokenProcessPool', message: 'task add not run: the pool is broken (a worker process died (killed by SIGKILL))' })
  t.ok((await running.exception()) instanceof BrokenPoolError, 'a BrokenPoolError, to catch by class')
  t.equal(pool.broken, true)
  t.throws(() => pool.submit('pid'), { name: 'BrokenProcessPool' }, 'a later submit throws at once')
  t.equal(await gone(heldOther.pid), true, 'the other process is ended without shutdown()')
  heldOther.release()
  await pool.shutdown()
  t.pass('shutdown() of a broken pool resolves')
})

t.test('shutdown() lets the tasks finish, then ends every process', async t => {
  const pool = await ProcessPoolExecutor.start<Tasks>(2, TASKS, { workerData: taskData })
  t.teardown(() => pool.shutdown())
  const [a, b] = [newTag(), newTag()] as [string, string]
  const futures = [pool.submit('held', a), pool.submit('held', b), pool.submit('add', 1, 2)]
  const pids = [(await heldTask(server, a)).pid, (await heldTask(server, b)).pid]
  let shutDown = false
  const shutdown = pool.shutdown().then(() => { shutDown = true })
  t.throws(() => pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been shut down' })
  t.notOk(shutDown, 'waits while tasks are running or queued')
  t.ok(pids.every(isAlive), 'the processes run meanwhile')
  for (const request of [...server.held]) request.release()
  await shutdown
  t.same((await Promise.all(futures.map(async future => await future.result()))).map(result => typeof result === 'number' ? result : result.tag), [a, b, 3], 'every task finished, the queued one too')
  for (const pid of pids) t.equal(await gone(pid), true, `process ${pid} is gone`)
})

t.test('terminate() kills the processes, failing running and queued tasks', async t => {
  const pool = await ProcessPoolExecutor.start<Tasks>(1, TASKS, { workerData: taskData })
  t.teardown(() => pool.shutdown())
  const tag = newTag()
  const running = pool.submit('held', tag)
  const queued = pool.submit('add', 1, 2)
  const { pid } = await heldTask(server, tag)
  const failed = [
    t.rejects(running.result(), { message: 'task held stopped: the pool was terminated' }),
    t.rejects(queued.result(), { message: 'task add not run: the pool was terminated' })
  ]
  await pool.terminate()
  await Promise.all(failed)
  t.notOk(isAlive(pid), 'the process has been killed by the time terminate() resolves')
  t.equal(pool.broken, false, 'a terminated pool is not a broken one')
  t.throws(() => pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been terminated' })
})

t.test('utilization() and rssBytes() asked as terminate() kills the processes resolve, without them', async t => {
  const pool = await ProcessPoolExecutor.start<Tasks>(2, TASKS, { workerData: taskData })
  t.teardown(() => pool.shutdown())
  t.equal((await pool.utilization()).length, 2, 'two processes answer')
  // terminate() has sent SIGKILL by the time it returns: the questions reach processes that will never answer.
  const terminated = pool.terminate()
  const [utilization, rss] = await Promise.all([pool.utilization(), pool.rssBytes()])
  await terminated
  t.same(utilization, [], 'no figures from processes that ended before they answered')
  t.equal(rss, 0, 'nor any memory')
  t.same(await pool.utilization(), [], 'asked once they are gone: none either')
})

t.test('start() that fails rejects naming the module, and leaves no process', async t => {
  const before = new Set(childrenOf(process.pid))
  // The child's uncaught error goes to the inherited stderr; the rejection names the module.
  await t.rejects(ProcessPoolExecutor.start(2, new URL('../../../fixtures/executor-unloadable.ts', import.meta.url)), {
    message: /^cannot start 2 worker\(s\) on file:.*executor-unloadable\.ts: exit code 1$/
  })
  t.same(childrenOf(process.pid).filter(pid => !before.has(pid)), [], 'no worker process left')
})

t.test('`await using` shuts a process pool down on leaving the block', async t => {
  let pid = 0
  let escaped: ProcessPoolExecutor<Tasks> | undefined
  {
    await using pool = await ProcessPoolExecutor.start<Tasks>(1, TASKS, { workerData: taskData })
    escaped = pool
    pid = await pool.submit('pid').result()
  }
  t.notOk(isAlive(pid), 'the process has ended by the time the block is left')
  t.throws(() => (escaped as ProcessPoolExecutor<Tasks>).submit('pid'), { message: 'cannot submit task pid: the pool has been shut down' })
})

t.test('execArgv: Node options for every worker process, after this process\'s own', async t => {
  await using own = await ProcessPoolExecutor.start<Tasks>(1, TASKS, { workerData: taskData, execArgv: ['--no-liftoff'] })
  // This process's options (tap's loader) first, as fork passes them on, then the pool's.
  t.same(await own.submit('nodeOptions').result(), [...process.execArgv, '--no-liftoff'])
  t.same(await pool.submit('nodeOptions').result(), process.execArgv, 'none added unless asked')
})

t.test('ProcessPoolExecutor.start(undefined, ...) starts as many processes as the machine has CPUs', async t => {
  const before = childrenOf(process.pid).length
  const pool = await ProcessPoolExecutor.start<Tasks>(undefined, TASKS, { workerData: taskData })
  t.teardown(() => pool.shutdown())
  // Known answer on the 2-core machine of these tests: 2.
  t.equal(pool.workers, availableParallelism())
  t.equal(childrenOf(process.pid).length - before, availableParallelism(), 'that many child processes')
})

t.test('map with a chunksize over processes: the same results, in fewer round trips (the figure for many small tasks)', async t => {
  // 4,000 add() calls on 2 processes, the tasks nothing: the cost is the round trip, one IPC
  // message each way per task with chunksize 1, per 100 tasks with chunksize 100. Measured here
  // (2 cores shared with other work, tap's loader): chunksize 1 1,615 ms, chunksize 100 248 ms,
  // 6.5 × faster; docs/LESSON.md quotes it. Printed, not asserted: no bound on time.
  const xs = Array.from({ length: 4000 }, (_, i) => i)
  const expected = xs.map(x => x + 1)
  const timed = async (chunksize: number): Promise<number> => {
    const began = performance.now()
    const results: number[] = []
    for await (const result of pool.map('add', xs, xs.map(() => 1), { chunksize })) results.push(result)
    t.same(results, expected, `chunksize ${chunksize}: every result, in order`)
    return performance.now() - began
  }
  await timed(100)
  const one = await timed(1)
  const hundred = await timed(100)
  t.comment(`4,000 small tasks on 2 processes: chunksize 1 ${one.toFixed(0)} ms, chunksize 100 ${hundred.toFixed(0)} ms (${(one / hundred).toFixed(1)} ×)`)
})
