// Real worker threads. The fixture task modules are TypeScript: workers inherit tap's
// --import of its TypeScript loader through execArgv, so they import .ts like the test does
// (and harness/core/worker.js resolves to harness/core/worker.ts the same way).
//
// Each worker pays about a second of CPU for tap's loaders, so the tests that need no pool of
// their own share one, each with gates of its own.
//
// No assertion depends on machine speed: tasks wait on gates in shared memory that the test
// opens in the order it wants, and everyone sleeps on Atomics, never on a timer.

import { once } from 'node:events'
import { setImmediate as tick } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import t from 'tap'
import { asCompleted, ThreadPoolExecutor } from '../../../harness/core/executor.js'
import { newShared, openGate, type Shared, until } from '../../fixtures/executor-shared.js'

type Tasks = typeof import('../../fixtures/executor-tasks.js')
const TASKS = new URL('../../fixtures/executor-tasks.ts', import.meta.url)

// A worker here costs about a second of CPU (above), and this file starts about twenty.
t.setTimeout(120_000)

const shared = newShared()
const pool = await ThreadPoolExecutor.start<Tasks>(4, TASKS, { workerData: shared })
t.teardown(() => pool.shutdown())

let gatesTaken = 0
/** Gates no other test of the shared pool uses. */
function newGates (count: number): number[] {
  gatesTaken += count
  return Array.from({ length: count }, (_, i) => gatesTaken - count + i)
}

/** Threads alive in this process right now, as the diagnostic report sees them. */
function liveThreadIds (): number[] {
  const report = process.report.getReport() as unknown as { workers: Array<{ header: { threadId: number } }> }
  return report.workers.map(worker => worker.header.threadId)
}

/**
 * Runs more gated tasks than workers, all behind one gate opened only once W of them run:
 * the most seen at once is then W exactly, unless the pool lets more than W run.
 */
async function observeConcurrency (pool: ThreadPoolExecutor<Tasks>, shared: Shared, gate: number): Promise<{ most: number, threadIds: Set<number>, alone: boolean }> {
  Atomics.store(shared.running, 1, 0)
  const results = Array.from({ length: pool.workers * 3 }, () => pool.submit('gated', gate))
  await until(shared.running, 0, pool.workers)
  openGate(shared, gate)
  const done = await Promise.all(results)
  return {
    most: Atomics.load(shared.running, 1),
    threadIds: new Set(done.map(result => result.threadId)),
    alone: done.every(result => result.aloneInWorker)
  }
}

t.test('start() sizes the pool and reports its start-up time', async t => {
  t.equal(pool.workers, 4, 'workers is the size asked for')
  t.ok(pool.startupMs > 0, `startupMs is positive (${pool.startupMs.toFixed(1)} ms)`)
  t.equal(await pool.submit('add', 2, 3), 5, 'a task runs')
  await t.rejects(ThreadPoolExecutor.start(0, TASKS), { name: 'RangeError', message: /workers must be a whole number >= 1, got 0/ }, 'at least one worker')
})

t.test('map returns results in input order, whatever the order tasks finish', async t => {
  const gates = newGates(4)
  const results = pool.map('gated', gates)
  const finishedBefore = Atomics.load(shared.finished, 0)
  for (const [finished, gate] of [...gates].reverse().entries()) {
    openGate(shared, gate)
    await until(shared.finished, 0, finishedBefore + finished + 1)
  }
  const done = await results
  t.same(done.map(result => result.gate), gates, 'results in input order')
  t.same(done.map(result => result.finishRank - finishedBefore), [3, 2, 1, 0], 'while the tasks finished in reverse')
})

t.test('map rejects with the first task error', async t => {
  await t.rejects(pool.map('fail', ['no flag for ZZ']), { message: 'no flag for ZZ' })
  t.same(await pool.map('add', []), [], 'no items, no results')
})

t.test('asCompleted yields the executor\'s promises in the order they settle', async t => {
  const gates = newGates(3)
  const promises = gates.map(gate => pool.submit('gated', gate))
  const opening = [2, 0, 1]
  openGate(shared, gates[2] as number)
  const yielded: number[] = []
  for await (const { promise } of asCompleted(promises)) {
    const index = promises.indexOf(promise)
    yielded.push(index)
    t.equal((await promise).gate, gates[index], 'the yielded promise is one given, settled')
    const next = opening[yielded.length]
    if (next !== undefined) openGate(shared, gates[next] as number)
  }
  t.same(yielded, opening, 'in order of settling')
})

t.test('asCompleted works for any promises, rejected ones included', async t => {
  const settlers: Array<{ resolve: (value: string) => void, reject: (error: Error) => void }> = []
  const promises = [0, 1, 2].map(() => new Promise<string>((resolve, reject) => { settlers.push({ resolve, reject }) }))
  const completed = asCompleted(new Set(promises))
  // Asked for two before anything settles: each call gets its own, in order of settling.
  const first = completed.next()
  const second = completed.next()
  settlers[1]?.reject(new Error('BR failed'))
  settlers[2]?.resolve('CN')
  const firstPromise = (await first).value?.promise
  t.equal(firstPromise, promises[1], 'the rejected one first')
  await t.rejects(firstPromise, { message: 'BR failed' }, 'awaiting it throws its error, like future.result()')
  t.equal((await second).value?.promise, promises[2])
  settlers[0]?.resolve('IN')
  t.equal((await completed.next()).value?.promise, promises[0])
  t.same(await completed.next(), { done: true, value: undefined }, 'then done')
  t.same(await asCompleted([]).next(), { done: true, value: undefined }, 'nothing to wait for: done at once')
})

t.test('at most W tasks run at once, one per worker', async t => {
  const { most, threadIds, alone } = await observeConcurrency(pool, shared, newGates(1)[0] as number)
  t.equal(most, 4, '4 workers, 12 tasks: 4 ran at once, never more')
  t.equal(threadIds.size, 4, 'on 4 threads')
  t.ok(alone, 'no worker ever ran two tasks at once')
})

t.test('a task error rejects its promise with name, message, code, cause and stack', async t => {
  const error = await pool.submit('fail', 'no flag for ZZ').catch((error: unknown) => error)
  t.match(error, { name: 'FlagError', message: 'no flag for ZZ', code: 'FLAG_EMPTY', cause: { name: 'RangeError', message: 'the cause' } })
  t.match((error as Error).stack, /executor-tasks\.ts/, 'the stack is the worker\'s, where the task threw')
  await t.rejects(pool.submit('throwValue', { cc: 'ZZ' }), { name: 'Error', message: 'task throwValue threw a non-Error: { cc: \'ZZ\' }' })
  t.equal(await pool.submit('add', 1, 1), 2, 'the worker survives its tasks\' errors')
})

t.test('an unknown task is refused, naming the tasks there are', async t => {
  await t.rejects(pool.submit('nope' as 'add', 1, 2), { message: /^unknown task nope: file:.*executor-tasks\.ts exports add, crashSoon, exit, fail, gated, returnFunction, scriptArguments, threadIdOf, throwValue$/ }, 'in the order of the module namespace: alphabetical')
})

t.test('a tasks module sees no argument of the executor\'s in process.argv', async t => {
  t.same(await pool.submit('scriptArguments'), [], 'so a command-line script can be a tasks module too')
})

t.test('values that cannot cross threads are clear errors, and the pool goes on', async t => {
  await t.rejects(pool.submit('add', (() => 1) as unknown as number, 2), { message: /^cannot send task add to a worker thread: .*could not be cloned/ })
  await t.rejects(pool.submit('returnFunction'), { message: /^task returnFunction returned a value that cannot be sent back from the worker thread: .*could not be cloned/ })
  t.equal(await pool.submit('add', 1, 2), 3)
})

t.test('a worker that dies fails its task and is replaced', async t => {
  const before = new Set((await observeConcurrency(pool, shared, newGates(1)[0] as number)).threadIds)
  await t.rejects(pool.submit('exit', 3), { message: 'the worker thread running task exit died: exit code 3' })
  await t.rejects(pool.submit('crashSoon', 'thrown outside any task'), { message: 'the worker thread running task crashSoon died: thrown outside any task' })
  const { most, threadIds, alone } = await observeConcurrency(pool, shared, newGates(1)[0] as number)
  t.equal(most, 4, 'four workers again')
  t.equal(threadIds.size, 4)
  t.ok(alone)
  t.equal([...threadIds].filter(id => !before.has(id)).length, 2, 'two of them replacements')
})

t.test('a dead worker that cannot be replaced breaks the pool', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<typeof import('../../fixtures/executor-fragile.js')>(1, new URL('../../fixtures/executor-fragile.ts', import.meta.url), { workerData: { shared, loadable: 1 } })
  t.teardown(() => pool.shutdown())
  const died = pool.submit('exit', 1)
  const queued = pool.submit('add', 1, 2)
  await t.rejects(died, { message: 'the worker thread running task exit died: exit code 1' })
  const broken = /the pool is broken \(a dead worker could not be replaced: only 1 worker\(s\) may load this module\)/
  await t.rejects(queued, { message: broken }, 'the queued task fails')
  await t.rejects(pool.submit('add', 1, 2), { message: broken }, 'and so do new ones')
})

t.test('start() that fails rejects with one line naming the module, and leaves no thread', async t => {
  const threadsBefore = liveThreadIds().length
  await t.rejects(ThreadPoolExecutor.start(2, new URL('../../fixtures/executor-unloadable.ts', import.meta.url)), {
    message: /^cannot start 2 worker\(s\) on file:.*executor-unloadable\.ts: missing FLAGS_DIR$/
  })
  await t.rejects(ThreadPoolExecutor.start(1, new URL('../../fixtures/executor-missing.ts', import.meta.url)), {
    message: /^cannot start 1 worker\(s\) on file:.*executor-missing\.ts: .*executor-missing/
  })
  t.equal(liveThreadIds().length, threadsBefore, 'no worker thread left')
})

t.test('shutdown() lets queued tasks finish, then ends every worker', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<Tasks>(2, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  const tasks = [0, 1, 2, 3].map(gate => pool.submit('gated', gate))
  let shutDown = false
  const shutdown = pool.shutdown().then(() => { shutDown = true })
  await t.rejects(pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been shut down' })
  await tick()
  t.notOk(shutDown, 'waits while tasks are running or queued')
  for (const gate of [0, 1, 2, 3]) openGate(shared, gate)
  await shutdown
  const threadIds = new Set((await Promise.all(tasks)).map(result => result.threadId))
  t.equal(threadIds.size, 2, 'the tasks ran on both workers')
  t.notOk(liveThreadIds().some(id => threadIds.has(id)), 'both worker threads have exited')
  await pool.shutdown()
  t.pass('shutdown() again is harmless')
})

t.test('terminate() stops running tasks, fails queued ones, and ends every worker', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  const threadId = await pool.submit('threadIdOf')
  const running = pool.submit('gated', 0)
  const queued = pool.submit('add', 1, 2)
  await until(shared.running, 0, 1)
  const failed = [
    t.rejects(running, { message: 'task gated stopped: the pool was terminated' }, 'the running task, whose gate never opens'),
    t.rejects(queued, { message: 'task add not run: the pool was terminated' })
  ]
  await pool.terminate()
  await Promise.all(failed)
  await t.rejects(pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been terminated' })
  t.notOk(liveThreadIds().includes(threadId), 'the worker thread has exited')
  await pool.shutdown()
  t.pass('shutdown() after terminate() is harmless')
})

t.test('a pool nobody shuts down does not keep its thread alive once idle', async t => {
  const thread = new Worker(new URL('../../fixtures/executor-forgotten-shutdown.ts', import.meta.url))
  const [result] = await once(thread, 'message') as [number]
  t.equal(result, 3, 'its task ran')
  const [code] = await once(thread, 'exit') as [number]
  t.equal(code, 0, 'then the thread ended by itself, no shutdown()')
})
