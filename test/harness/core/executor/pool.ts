// ThreadPoolExecutor over real worker threads. The fixture task modules are TypeScript: workers
// inherit tap's --import of its TypeScript loader through execArgv, so they import .ts like the
// test does (and harness/core/executor/thread-worker.js resolves to thread-worker.ts the same way).
//
// Each worker pays about a second of CPU for tap's loaders, so the tests that need no pool of
// their own share one, each with gates of its own.
//
// No assertion depends on machine speed: tasks wait on gates in shared memory that the test
// opens in the order it wants, and everyone sleeps on Atomics, never on a timer. Where a timeout
// must pass (map's), only its lower bound is asserted.

import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import { setImmediate as tick } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import t from 'tap'
import { asCompleted, CancelledError, type Future, TimeoutError } from '../../../../harness/core/executor/future.js'
import { defaultWorkers, ThreadPoolExecutor } from '../../../../harness/core/executor/pool.js'
import { newShared, openGate, type Shared, until, untilAtMost } from '../../../fixtures/executor-shared.js'

type Tasks = typeof import('../../../fixtures/executor-future-tasks.js')
const TASKS = new URL('../../../fixtures/executor-future-tasks.ts', import.meta.url)
/** The tasks of the first executor tests, whose list of exports one test asserts. */
const PLAIN_TASKS = new URL('../../../fixtures/executor-tasks.ts', import.meta.url)

// A worker here costs about a second of CPU (above), and this file starts about thirty.
t.setTimeout(240_000)

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

async function collect<T> (results: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const result of results) all.push(result)
  return all
}

/**
 * Runs more gated tasks than workers, all behind one gate opened only once W of them run:
 * the most seen at once is then W exactly, unless the pool lets more than W run.
 */
async function observeConcurrency (pool: ThreadPoolExecutor<Tasks>, shared: Shared, gate: number): Promise<{ most: number, threadIds: Set<number>, alone: boolean }> {
  // A task of an earlier test, its gate open, may not have ended yet on a slow worker: W
  // counted running must be this call's own.
  await untilAtMost(shared.running, 0, 0)
  Atomics.store(shared.running, 1, 0)
  const futures = Array.from({ length: pool.workers * 3 }, () => pool.submit('gated', gate))
  await until(shared.running, 0, pool.workers)
  openGate(shared, gate)
  const done = await Promise.all(futures.map(async future => await future.result()))
  return {
    most: Atomics.load(shared.running, 1),
    threadIds: new Set(done.map(result => result.threadId)),
    alone: done.every(result => result.aloneInWorker)
  }
}

t.test('start() sizes the pool and reports its start-up time', async t => {
  t.equal(pool.workers, 4, 'workers is the size asked for')
  t.ok(pool.startupMs > 0, `startupMs is positive (${pool.startupMs.toFixed(1)} ms)`)
  t.equal(await pool.submit('add', 2, 3).result(), 5, 'a task runs')
  await t.rejects(ThreadPoolExecutor.start(0, TASKS), { name: 'RangeError', message: /workers must be a whole number >= 1, got 0/ }, 'at least one worker')
})

t.test('map submits every task when called and yields results in input order, whatever the order they finish', async t => {
  const gates = newGates(4)
  const finishedBefore = Atomics.load(shared.finished, 0)
  const results = pool.map('gated', gates)
  // As Executor.map: every task is submitted by the call itself, so all four finish (in reverse)
  // before any result is asked for. Were they submitted at the first next(), this would wait
  // for ever, and tap's timeout would fail the test.
  for (const [finished, gate] of [...gates].reverse().entries()) {
    openGate(shared, gate)
    await until(shared.finished, 0, finishedBefore + finished + 1)
  }
  const done = await collect(results)
  t.same(done.map(result => result.gate), gates, 'results in input order')
  t.same(done.map(result => result.finishRank - finishedBefore), [3, 2, 1, 0], 'while the tasks finished in reverse')
})

t.test('map throws the first task error', async t => {
  await t.rejects(collect(pool.map('fail', ['no flag for ZZ'])), { message: 'no flag for ZZ' })
  t.same(await collect(pool.map('add', [], [])), [], 'no items, no results')
})

t.test('map throws a task\'s error when iteration reaches it, after the results before it', async t => {
  const [first, failing, third] = newGates(3) as [number, number, number]
  const finishedBefore = Atomics.load(shared.finished, 0)
  const results = pool.map('gatedOutcome', [{ gate: first }, { gate: failing, failure: 'no flag for ZZ' }, { gate: third }])
  const firstResult = results.next()
  openGate(shared, failing)
  await until(shared.finished, 0, finishedBefore + 1)
  openGate(shared, first)
  t.equal((await firstResult).value?.gate, first, 'the first result, though the second task had failed before it finished')
  await t.rejects(results.next(), { name: 'FlagError', message: 'no flag for ZZ' }, 'the error once iteration reaches its task')
  openGate(shared, third)
})

t.test('map with timeoutMs throws a TimeoutError when a result is not there in time', async t => {
  const [open, closed] = newGates(2) as [number, number]
  openGate(shared, open)
  const yielded: number[] = []
  const began = performance.now()
  const error = await (async () => {
    // 1 s: the open gate's task must come back within it, however busy the machine.
    for await (const result of pool.map('gated', [open, closed], { timeoutMs: 1000 })) yielded.push(result.gate)
  })().catch((error: unknown) => error)
  const elapsed = performance.now() - began
  t.ok(error instanceof TimeoutError, 'a TimeoutError')
  t.match(error, { name: 'TimeoutError', message: 'map: a result not there within 1000 ms' })
  t.same(yielded, [open], 'after the result that was there')
  // Timers count whole milliseconds: one may fire up to a millisecond early by performance.now().
  t.ok(elapsed >= 999, `not before the time was up (${elapsed.toFixed(1)} ms)`)
  openGate(shared, closed)
})

t.test('asCompleted yields the executor\'s futures in the order they finish', async t => {
  const gates = newGates(3)
  const futures = gates.map(gate => pool.submit('gated', gate))
  const opening = [2, 0, 1]
  openGate(shared, gates[2] as number)
  const yielded: number[] = []
  for await (const future of asCompleted(futures)) {
    const index = futures.indexOf(future)
    yielded.push(index)
    t.ok(future.done(), 'the yielded future is done')
    t.equal((await future.result()).gate, gates[index], 'and is one of those given')
    const next = opening[yielded.length]
    if (next !== undefined) openGate(shared, gates[next] as number)
  }
  t.same(yielded, opening, 'in order of finishing')
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
  const firstFuture = (await first).value as Future<string>
  await t.rejects(firstFuture.result(), { message: 'BR failed' }, 'the rejected one first: its result() throws its error')
  t.equal(await (await second).value?.result(), 'CN')
  settlers[0]?.resolve('IN')
  t.equal(await (await completed.next()).value?.result(), 'IN')
  t.same(await completed.next(), { done: true, value: undefined }, 'then done')
  t.same(await asCompleted([]).next(), { done: true, value: undefined }, 'nothing to wait for: done at once')
})

t.test('at most W tasks run at once, one per worker', async t => {
  const { most, threadIds, alone } = await observeConcurrency(pool, shared, newGates(1)[0] as number)
  t.equal(most, 4, '4 workers, 12 tasks: 4 ran at once, never more')
  t.equal(threadIds.size, 4, 'on 4 threads')
  t.ok(alone, 'no worker ever ran two tasks at once')
})

t.test('a task error rejects its future\'s result() with name, message, code, cause and stack', async t => {
  const error = await pool.submit('fail', 'no flag for ZZ').result().catch((error: unknown) => error)
  t.match(error, { name: 'FlagError', message: 'no flag for ZZ', code: 'FLAG_EMPTY', cause: { name: 'RangeError', message: 'the cause' } })
  t.match((error as Error).stack, /executor-tasks\.ts/, 'the stack is the worker\'s, where the task threw')
  await t.rejects(pool.submit('throwValue', { cc: 'ZZ' }).result(), { name: 'Error', message: 'task throwValue threw a non-Error: { cc: \'ZZ\' }' })
  t.equal(await pool.submit('add', 1, 1).result(), 2, 'the worker survives its tasks\' errors')
})

t.test('an unknown task is refused, naming the tasks there are', async t => {
  const plain = await ThreadPoolExecutor.start<typeof import('../../../fixtures/executor-tasks.js')>(1, PLAIN_TASKS)
  t.teardown(() => plain.shutdown())
  const refused = plain.submit('nope' as 'add', 1, 2)
  t.ok(refused.done(), 'its future is done at once')
  await t.rejects(refused.result(), { message: /^unknown task nope: file:.*executor-tasks\.ts exports add, crashSoon, exit, fail, gated, returnFunction, scriptArguments, threadIdOf, throwValue$/ }, 'in the order of the module namespace: alphabetical')
})

t.test('a tasks module sees no argument of the executor\'s in process.argv', async t => {
  t.same(await pool.submit('scriptArguments').result(), [], 'so a command-line script can be a tasks module too')
})

t.test('values that cannot cross threads are clear errors, and the pool goes on', async t => {
  await t.rejects(pool.submit('add', (() => 1) as unknown as number, 2).result(), { message: /^cannot send task add to a worker thread: .*could not be cloned/ })
  await t.rejects(pool.submit('returnFunction').result(), { message: /^task returnFunction returned a value that cannot be sent back from the worker thread: .*could not be cloned/ })
  t.equal(await pool.submit('add', 1, 2).result(), 3)
})

t.test('a thread pool reports its workers\' event loops, and no memory of their own', async t => {
  const utilization = await pool.utilization()
  t.equal(utilization.length, 4, 'one figure per worker')
  t.ok(utilization.every(figure => figure.active > 0), 'each worker\'s loop has been active')
  t.equal(await pool.rssBytes(), null, 'a thread\'s memory is the process\'s')
})

t.test('a worker that dies fails its task and is replaced', async t => {
  const before = new Set((await observeConcurrency(pool, shared, newGates(1)[0] as number)).threadIds)
  await t.rejects(pool.submit('exit', 3).result(), { message: 'the worker thread running task exit died: exit code 3' })
  await t.rejects(pool.submit('crashSoon', 'thrown outside any task').result(), { message: 'the worker thread running task crashSoon died: thrown outside any task' })
  const { most, threadIds, alone } = await observeConcurrency(pool, shared, newGates(1)[0] as number)
  t.equal(most, 4, 'four workers again')
  t.equal(threadIds.size, 4)
  t.ok(alone)
  t.equal([...threadIds].filter(id => !before.has(id)).length, 2, 'two of them replacements')
  t.equal(pool.broken, false, 'a thread pool is not broken by a dead worker it replaced')
})

t.test('a dead worker that cannot be replaced breaks the pool', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<typeof import('../../../fixtures/executor-fragile.js')>(1, new URL('../../../fixtures/executor-fragile.ts', import.meta.url), { workerData: { shared, loadable: 1 } })
  t.teardown(() => pool.shutdown())
  const died = pool.submit('exit', 1)
  const queued = pool.submit('add', 1, 2)
  await t.rejects(died.result(), { message: 'the worker thread running task exit died: exit code 1' })
  const broken = /the pool is broken \(a dead worker could not be replaced: only 1 worker\(s\) may load this module\)/
  await t.rejects(queued.result(), { message: broken }, 'the queued task fails')
  t.equal(pool.broken, true, 'the pool says so')
  t.throws(() => pool.submit('add', 1, 2), { message: broken }, 'and so do new ones')
})

t.test('start() that fails rejects with one line naming the module, and leaves no thread', async t => {
  const threadsBefore = liveThreadIds().length
  await t.rejects(ThreadPoolExecutor.start(2, new URL('../../../fixtures/executor-unloadable.ts', import.meta.url)), {
    message: /^cannot start 2 worker\(s\) on file:.*executor-unloadable\.ts: missing FLAGS_DIR$/
  })
  await t.rejects(ThreadPoolExecutor.start(1, new URL('../../../fixtures/executor-missing.ts', import.meta.url)), {
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
  t.throws(() => pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been shut down' })
  await tick()
  t.notOk(shutDown, 'waits while tasks are running or queued')
  for (const gate of [0, 1, 2, 3]) openGate(shared, gate)
  await shutdown
  const threadIds = new Set((await Promise.all(tasks.map(async task => await task.result()))).map(result => result.threadId))
  t.equal(threadIds.size, 2, 'the tasks ran on both workers')
  t.notOk(liveThreadIds().some(id => threadIds.has(id)), 'both worker threads have exited')
  await pool.shutdown()
  t.pass('shutdown() again is harmless')
})

t.test('shutdown({ wait: false }) returns at once; the tasks go on, then the workers end', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  const threadId = await pool.submit('threadIdOf').result()
  const running = pool.submit('gated', 0)
  const queued = pool.submit('mark', 0)
  await pool.shutdown({ wait: false })
  t.ok(running.running(), 'returned while a task still waits at its gate')
  t.notOk(queued.done(), 'and another waits in the queue')
  t.notOk(queued.cancelled(), 'not cancelled')
  t.throws(() => pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been shut down' }, 'new tasks are refused')
  openGate(shared, 0)
  t.equal((await running.result()).gate, 0, 'the running task finished')
  t.equal(await queued.result(), 1, 'the queued one ran too')
  await pool.shutdown()
  t.notOk(liveThreadIds().includes(threadId), 'then the worker thread ended')
})

t.test('shutdown({ cancelFutures: true }) cancels the queued tasks and lets the running ones finish', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  const threadId = await pool.submit('threadIdOf').result()
  const running = pool.submit('gated', 0)
  const queued = [pool.submit('mark', 0), pool.submit('mark', 0)]
  let shutDown = false
  const shutdown = pool.shutdown({ cancelFutures: true }).then(() => { shutDown = true })
  t.ok(queued.every(future => future.cancelled()), 'the queued futures are cancelled at once')
  t.notOk(running.cancelled(), 'not the running one')
  t.ok(running.running(), 'which goes on')
  await tick()
  t.notOk(shutDown, 'shutdown waits for it')
  openGate(shared, 0)
  await shutdown
  t.equal((await running.result()).gate, 0, 'it finished with its value')
  for (const future of queued) await t.rejects(future.result(), CancelledError, 'a cancelled future\'s result() throws a CancelledError')
  t.equal(Atomics.load(shared.marks, 0), 0, 'the cancelled tasks never ran')
  t.notOk(liveThreadIds().includes(threadId), 'the worker thread has exited')
})

t.test('`await using` shuts the pool down, waiting for its tasks, on leaving the block', async t => {
  const shared = newShared()
  let escaped: ThreadPoolExecutor<Tasks> | undefined
  let threadId = 0
  let running: ReturnType<ThreadPoolExecutor<Tasks>['submit']> | undefined
  let left = false
  const block = (async () => {
    await using pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
    escaped = pool
    threadId = await pool.submit('threadIdOf').result()
    running = pool.submit('gated', 0)
  })().then(() => { left = true })
  await until(shared.running, 0, 1)
  await tick()
  t.notOk(left, 'leaving the block waits for the running task')
  openGate(shared, 0)
  await block
  t.ok(running?.done(), 'which finished before the block was left')
  t.throws(() => (escaped as ThreadPoolExecutor<Tasks>).submit('add', 1, 2), { message: 'cannot submit task add: the pool has been shut down' }, 'the pool is shut down')
  t.notOk(liveThreadIds().includes(threadId), 'and its worker thread has exited')
})

t.test('leaving map early cancels the tasks not yet begun', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  // One worker: gate 0's task runs, then gate 1's, which waits; gate 2's, open, waits in the queue.
  openGate(shared, 0)
  openGate(shared, 2)
  const results = pool.map('gated', [0, 1, 2])
  t.equal((await results.next()).value?.gate, 0)
  // What `break` in a for await loop does.
  await results.return()
  openGate(shared, 1)
  t.equal(await pool.submit('add', 1, 2).result(), 3, 'a task queued after them ran')
  t.equal(Atomics.load(shared.finished, 0), 2, 'gate 0\'s and gate 1\'s tasks finished; gate 2\'s, cancelled, never ran')
})

t.test('terminate() stops running tasks, fails queued ones, and ends every worker', async t => {
  const shared = newShared()
  const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  const threadId = await pool.submit('threadIdOf').result()
  const running = pool.submit('gated', 0)
  const queued = pool.submit('add', 1, 2)
  await until(shared.running, 0, 1)
  const failed = [
    t.rejects(running.result(), { message: 'task gated stopped: the pool was terminated' }, 'the running task, whose gate never opens'),
    t.rejects(queued.result(), { message: 'task add not run: the pool was terminated' })
  ]
  await pool.terminate()
  await Promise.all(failed)
  t.throws(() => pool.submit('add', 1, 2), { message: 'cannot submit task add: the pool has been terminated' })
  t.notOk(liveThreadIds().includes(threadId), 'the worker thread has exited')
  await pool.shutdown()
  t.pass('shutdown() after terminate() is harmless')
})

t.test('a pool nobody shuts down does not keep its thread alive once idle', async t => {
  const thread = new Worker(new URL('../../../fixtures/executor-forgotten-shutdown.ts', import.meta.url))
  const [result] = await once(thread, 'message') as [number]
  t.equal(result, 3, 'its task ran')
  const [code] = await once(thread, 'exit') as [number]
  t.equal(code, 0, 'then the thread ended by itself, no shutdown()')
})

t.test('map over several iterables calls fn with one item of each, stopping at the shortest, as zip', async t => {
  t.same(await collect(pool.map('add', [1, 2, 3], [10, 20])), [11, 22], 'add(1, 10), add(2, 20); the 3 has no partner')
  t.same(await collect(pool.map('add', new Set([5]), (function * () { yield 7; yield 8 })(), { timeoutMs: 600_000 })), [12], 'any iterables, the options last')
})

t.test('map with a chunksize sends the items in chunks, each run in turn by one worker, the results in order', async t => {
  const gates = newGates(6)
  for (const gate of gates) openGate(shared, gate)
  const results = await collect(pool.map('gated', gates, { chunksize: 2 }))
  t.same(results.map(result => result.gate), gates, 'in input order')
  const threads = results.map(result => result.threadId)
  t.ok(threads[0] === threads[1] && threads[2] === threads[3] && threads[4] === threads[5], `each chunk of two in one thread (${threads.join(', ')})`)
  await t.rejects(collect(pool.map('fail', ['a', 'b'], { chunksize: 2 })), { name: 'FlagError', message: 'a' }, 'an item\'s error fails its chunk, as in Python')
  t.throws(() => pool.map('add', [1], [2], { chunksize: 0 }), { name: 'RangeError', message: 'chunksize must be a whole number >= 1, got 0' })
})

t.test('the default number of workers is Python\'s: min(32, cpus + 4) threads, the CPU count of processes', async t => {
  // Known answer on the 2-core machine of these tests: 6 threads, 2 processes.
  t.equal(defaultWorkers('threads'), Math.min(32, availableParallelism() + 4))
  t.equal(defaultWorkers('processes'), availableParallelism())
  const before = liveThreadIds().length
  const pool = await ThreadPoolExecutor.start<Tasks>(undefined, TASKS, { workerData: shared })
  t.teardown(() => pool.shutdown())
  t.equal(pool.workers, Math.min(32, availableParallelism() + 4), 'start(undefined, ...) sizes the pool by the machine')
  t.equal(liveThreadIds().length - before, pool.workers, 'and starts that many threads')
})

t.test('an initializer runs once in every worker, with its initargs, before any task', async t => {
  const cell = 0
  const pool = await ThreadPoolExecutor.start<Tasks>(3, TASKS, { workerData: shared, initializer: 'mark', initargs: [cell] })
  t.teardown(() => pool.shutdown())
  t.equal(Atomics.load(shared.marks, cell), 3, 'three workers, three runs, all done when start() resolves')
  await Promise.all(Array.from({ length: 9 }, async () => await pool.submit('add', 1, 1).result()))
  t.equal(Atomics.load(shared.marks, cell), 3, 'and never again, whatever the tasks')
  await t.rejects(ThreadPoolExecutor.start<Tasks>(2, TASKS, { workerData: shared, initializer: 'fail', initargs: ['no set-up'] }), { message: /^cannot start 2 worker\(s\) on file:.*executor-future-tasks\.ts: its initializer fail failed: no set-up$/ }, 'an initializer that throws: start() rejects')
})

t.test('a task\'s error keeps its class across the thread boundary: built-in, the executor\'s, and the caller\'s own named in errorClasses', async t => {
  class FlagError extends Error {}
  const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared, errorClasses: [FlagError] })
  t.teardown(() => pool.shutdown())
  const error = await pool.submit('fail', 'no flag for ZZ').exception()
  t.ok(error instanceof FlagError, 'the caller\'s class: a catch by class works, as except httpx.HTTPStatusError')
  t.match(error, { name: 'FlagError', message: 'no flag for ZZ', code: 'FLAG_EMPTY' })
  t.ok(error?.cause instanceof RangeError, 'its cause a RangeError again')
  const typeError = await pool.submit('throwValue', new TypeError('not a code')).exception()
  t.ok(typeError instanceof TypeError, 'a TypeError stays one')
  const unknown = await (await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared }).then(plain => { t.teardown(() => plain.shutdown()); return plain })).submit('fail', 'x').exception()
  t.ok(unknown instanceof Error && !(unknown instanceof FlagError), 'without errorClasses, an Error')
  t.equal(unknown?.name, 'FlagError', 'that bears the name')
})
