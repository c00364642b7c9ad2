// Future and asCompleted, over a real one-thread pool: with one worker, a task submitted behind a
// gated one stays queued (pending) until the test opens the gate, so every state is reached on
// purpose, never by timing. Where a timeout must pass, only its lower bound is asserted.

import { inspect } from 'node:util'
import t from 'tap'
import { ALL_COMPLETED, asCompleted, CancelledError, FIRST_COMPLETED, FIRST_EXCEPTION, Future, futureOf, InvalidStateError, TimeoutError, wait } from '../../../../harness/core/executor/future.js'
import { ThreadPoolExecutor } from '../../../../harness/core/executor/pool.js'
import { newShared, openGate, until } from '../../../fixtures/executor-shared.js'

type Tasks = typeof import('../../../fixtures/executor-future-tasks.js')
const TASKS = new URL('../../../fixtures/executor-future-tasks.ts', import.meta.url)

t.setTimeout(120_000)

/** A timeout short enough to wait for, where one must pass. */
const SHORT_MS = 60
/** A timeout no wait in these tests comes near: where the test is about the value, not the time. */
const LONG_MS = 600_000

const shared = newShared()
const pool = await ThreadPoolExecutor.start<Tasks>(1, TASKS, { workerData: shared })
t.teardown(() => pool.shutdown())

let gatesTaken = 0
function newGate (): number {
  return gatesTaken++
}
let marksTaken = 0
function newMark (): number {
  return marksTaken++
}

function states (future: Future<unknown>): { running: boolean, done: boolean, cancelled: boolean } {
  return { running: future.running(), done: future.done(), cancelled: future.cancelled() }
}

/** The next process warning with this name (others, an ExperimentalWarning say, are passed over). */
async function nextWarning (name: string): Promise<Error> {
  return await new Promise(resolve => {
    const listener = (warning: Error): void => {
      if (warning.name !== name) return
      process.off('warning', listener)
      resolve(warning)
    }
    process.on('warning', listener)
  })
}

t.test('a future is pending, then running, then done', async t => {
  const gate = newGate()
  const running = pool.submit('gated', gate)
  const queued = pool.submit('add', 1, 2)
  await until(shared.running, 0, 1)
  t.same(states(running), { running: true, done: false, cancelled: false }, 'the task at the worker: running')
  t.same(states(queued), { running: false, done: false, cancelled: false }, 'the one queued behind it: pending')
  openGate(shared, gate)
  t.equal((await running.result()).gate, gate)
  t.same(states(running), { running: false, done: true, cancelled: false }, 'finished: done')
  t.equal(await queued.result(), 3)
  t.same(states(queued), { running: false, done: true, cancelled: false })
  const failed = pool.submit('fail', 'no flag for ZZ')
  await failed.exception()
  t.same(states(failed), { running: false, done: true, cancelled: false }, 'a task that failed is done too, not cancelled')
})

t.test('cancel() is true only while the task is queued; a cancelled future throws CancelledError', async t => {
  const gate = newGate()
  const cell = newMark()
  const running = pool.submit('gated', gate)
  const queued = pool.submit('mark', cell)
  const behind = pool.submit('mark', cell)
  await until(shared.running, 0, 1)
  t.equal(running.cancel(), false, 'a running task cannot be cancelled')
  t.same(states(running), { running: true, done: false, cancelled: false }, 'and goes on')
  t.equal(queued.cancel(), true, 'a queued one can')
  t.same(states(queued), { running: false, done: true, cancelled: true }, 'it is cancelled, and done')
  t.equal(queued.cancel(), true, 'cancel() again: still true, as in Python')
  const error = await queued.result().catch((error: unknown) => error)
  t.ok(error instanceof CancelledError, 'result() throws a CancelledError')
  t.match(error, { name: 'CancelledError', message: 'the future was cancelled before its task ran' })
  await t.rejects(queued.exception(), CancelledError, 'so does exception()')
  await t.rejects(queued.result(LONG_MS), CancelledError, 'with a timeout too')
  openGate(shared, gate)
  await running.result()
  t.equal(running.cancel(), false, 'nor can a finished one')
  t.notOk(running.cancelled())
  t.equal(await behind.result(), 1, 'the task queued behind the cancelled one ran, and was the first to mark')
  t.equal(Atomics.load(shared.marks, cell), 1, 'the cancelled task never ran')
  const failed = pool.submit('fail', 'no flag for ZZ')
  await failed.exception()
  t.equal(failed.cancel(), false, 'nor one that failed')
  const refused = pool.submit('nope' as 'add', 1, 2)
  t.equal(refused.cancel(), false, 'nor one the executor refused: it is done at once')
  await t.rejects(refused.result(), { message: /^unknown task nope/ })
})

t.test('result(timeoutMs) throws a TimeoutError when time is up, while the task goes on and can still finish', async t => {
  const gate = newGate()
  const future = pool.submit('gated', gate)
  await until(shared.running, 0, 1)
  const began = performance.now()
  const error = await future.result(SHORT_MS).catch((error: unknown) => error)
  const elapsed = performance.now() - began
  t.ok(error instanceof TimeoutError, 'a TimeoutError')
  t.match(error, { name: 'TimeoutError', message: `result(): no outcome within ${SHORT_MS} ms` })
  t.ok(elapsed >= SHORT_MS, `not before the time was up (${elapsed.toFixed(1)} ms)`)
  t.same(states(future), { running: true, done: false, cancelled: false }, 'the task goes on')
  const later = future.result(LONG_MS)
  openGate(shared, gate)
  t.equal((await later).gate, gate, 'and finishes later: result() gives its value')
  t.equal((await future.result(0)).gate, gate, 'a done future needs no time: result(0) gives the value')
})

t.test('result(timeoutMs) gives the value, or throws the task\'s error, when it comes in time', async t => {
  const gate = newGate()
  const future = pool.submit('gatedOutcome', { gate })
  const value = future.result(LONG_MS)
  openGate(shared, gate)
  t.equal((await value).gate, gate, 'the value')
  const failing = newGate()
  const failed = pool.submit('gatedOutcome', { gate: failing, failure: 'no flag for ZZ' })
  const error = failed.result(LONG_MS)
  openGate(shared, failing)
  await t.rejects(error, { name: 'FlagError', message: 'no flag for ZZ', code: 'FLAG_EMPTY' }, 'the task\'s error')
  await t.rejects(failed.result(), { name: 'FlagError' }, 'every time it is asked')
})

t.test('exception(timeoutMs): null for a success, the task\'s error for a failure, TimeoutError when time is up', async t => {
  t.equal(await pool.submit('add', 1, 2).exception(), null, 'null when the task succeeded')
  t.match(await pool.submit('fail', 'no flag for ZZ').exception(), { name: 'FlagError', message: 'no flag for ZZ', code: 'FLAG_EMPTY' }, 'the error, returned rather than thrown')
  const gate = newGate()
  const future = pool.submit('gatedOutcome', { gate, failure: 'late' })
  await until(shared.running, 0, 1)
  const began = performance.now()
  await t.rejects(future.exception(SHORT_MS), { name: 'TimeoutError', message: `exception(): no outcome within ${SHORT_MS} ms` })
  const elapsed = performance.now() - began
  t.ok(elapsed >= SHORT_MS, `not before the time was up (${elapsed.toFixed(1)} ms)`)
  const later = future.exception(LONG_MS)
  openGate(shared, gate)
  t.match(await later, { name: 'FlagError', message: 'late' }, 'the task went on, and its error comes later')
})

t.test('addDoneCallback: called once the future is done, in order; a callback that throws is a warning, not the end of the others', async t => {
  const gate = newGate()
  const future = pool.submit('gated', gate)
  const calls: string[] = []
  future.addDoneCallback(done => { calls.push(`first: the same future ${String(done === future)}, done ${String(done.done())}`) })
  future.addDoneCallback(() => { throw new Error('a broken callback') })
  future.addDoneCallback(() => { calls.push('third') })
  const warning = nextWarning('FutureCallbackWarning')
  await until(shared.running, 0, 1)
  t.same(calls, [], 'none called while the task runs')
  openGate(shared, gate)
  await future.result()
  t.same(calls, ['first: the same future true, done true', 'third'], 'called in order with the done future; the third despite the second\'s error')
  t.match(await warning, { name: 'FutureCallbackWarning', message: /a broken callback/ }, 'the error is a process warning')

  let late: Future<unknown> | undefined
  future.addDoneCallback(done => { late = done })
  t.equal(late, future, 'added once it is done: called at once, before addDoneCallback returns')
  const alsoWarned = nextWarning('FutureCallbackWarning')
  future.addDoneCallback(() => { throw new Error('broken late') })
  t.match(await alsoWarned, { name: 'FutureCallbackWarning', message: /broken late/ }, 'one that throws then is a warning too')
})

t.test('addDoneCallback: a cancelled future calls its callbacks too', async t => {
  const gate = newGate()
  const running = pool.submit('gated', gate)
  const queued = pool.submit('add', 1, 2)
  let seen: { cancelled: boolean } | undefined
  queued.addDoneCallback(done => { seen = { cancelled: done.cancelled() } })
  t.equal(seen, undefined)
  queued.cancel()
  t.same(seen, { cancelled: true }, 'called on cancel(), seeing the future cancelled')
  openGate(shared, gate)
  await running.result()
})

t.test('futureOf makes a running future of a promise', async t => {
  let resolve: (value: string) => void = () => {}
  const future = futureOf(new Promise<string>(_resolve => { resolve = _resolve }))
  t.same(states(future), { running: true, done: false, cancelled: false }, 'running from the start: nothing to queue')
  t.equal(future.cancel(), false, 'so it cannot be cancelled')
  resolve('BR')
  t.equal(await future.result(), 'BR')
  t.same(states(future), { running: false, done: true, cancelled: false })
  // eslint-disable-next-line prefer-promise-reject-errors
  const odd = futureOf(Promise.reject('not an Error'))
  await t.rejects(odd.result(), { name: 'Error', message: 'not an Error' }, 'a rejection with a non-Error becomes an Error')
  t.match(await futureOf(Promise.reject(new RangeError('out'))).exception(), { name: 'RangeError', message: 'out' }, 'an Error stays itself')
})

t.test('asCompleted takes futures and plain promises together, yielding each once it is done', async t => {
  const first = newGate()
  const third = newGate()
  const gated = pool.submit('gated', first)
  let resolvePlain: (value: string) => void = () => {}
  const plain = new Promise<string>(resolve => { resolvePlain = resolve })
  const queued = pool.submit('gated', third)
  const completed = asCompleted<unknown>([gated, plain, queued])
  // The plain promise first, then the gated future, then the one queued behind it.
  const next = completed.next()
  resolvePlain('plain')
  const one = await next
  t.equal(await one.value?.result(), 'plain', 'the plain promise, settled first, comes first, as a future')
  openGate(shared, first)
  const two = await completed.next()
  t.equal(two.value, gated, 'then the executor\'s own future, itself')
  openGate(shared, third)
  t.equal((await completed.next()).value, queued)
  t.same(await completed.next(), { done: true, value: undefined })
})

t.test('asCompleted with timeoutMs throws a TimeoutError when futures are left after that long', async t => {
  const done = pool.submit('add', 1, 2)
  await done.result()
  const gate = newGate()
  const waiting = pool.submit('gated', gate)
  const yielded: Array<Future<unknown>> = []
  const began = performance.now()
  const error = await (async () => {
    for await (const future of asCompleted<unknown>([waiting, done], { timeoutMs: SHORT_MS })) yielded.push(future)
  })().catch((error: unknown) => error)
  const elapsed = performance.now() - began
  t.ok(error instanceof TimeoutError, 'a TimeoutError')
  t.match(error, { name: 'TimeoutError', message: `asCompleted: 1 of 2 futures unfinished after ${SHORT_MS} ms` })
  t.same(yielded, [done], 'after yielding the future that was done')
  t.ok(elapsed >= SHORT_MS, `not before the time was up (${elapsed.toFixed(1)} ms)`)
  t.ok(waiting.running(), 'the unfinished task goes on')
  openGate(shared, gate)
  t.equal((await waiting.result()).gate, gate, 'and finishes')
})

t.test('asCompleted yields a future given twice only once, as Python takes set(fs)', async t => {
  const future = pool.submit('add', 1, 2)
  const promise = Promise.resolve('plain')
  const yielded: Array<Future<unknown>> = []
  for await (const done of asCompleted<unknown>([future, future, promise, promise])) yielded.push(done)
  t.equal(yielded.length, 2, 'two distinct items, two futures')
  t.ok(yielded.includes(future), 'the executor\'s future among them')
})

t.test('wait with FIRST_COMPLETED returns once one future is done, the rest in notDone', async t => {
  const [first, second] = [newGate(), newGate()]
  const a = pool.submit('gated', first)
  const b = pool.submit('gated', second)
  const waited = wait<unknown>([a, b], { returnWhen: FIRST_COMPLETED })
  openGate(shared, first)
  const { done, notDone } = await waited
  t.same([...done], [a], 'the first done')
  t.same([...notDone], [b], 'the second, queued behind it on the one worker, not')
  openGate(shared, second)
  await b.result()
})

t.test('wait with FIRST_EXCEPTION passes over successes and returns at the first failure', async t => {
  const [ok, failing, last] = [newGate(), newGate(), newGate()]
  const a = pool.submit('gatedOutcome', { gate: ok })
  const b = pool.submit('gatedOutcome', { gate: failing, failure: 'no flag for ZZ' })
  const c = pool.submit('gated', last)
  const waited = wait<unknown>([a, b, c], { returnWhen: FIRST_EXCEPTION })
  openGate(shared, ok)
  await a.result()
  // Had the success ended the wait, done would hold a alone: b waits for its gate until now.
  openGate(shared, failing)
  const { done, notDone } = await waited
  t.same(new Set(done), new Set([a, b]), 'the success and the failure are done')
  t.same([...notDone], [c], 'the third is not')
  openGate(shared, last)
  await c.result()
})

t.test('wait with ALL_COMPLETED (the default) returns once every future is done; a timeout leaves the rest in notDone', async t => {
  const gate = newGate()
  const a = pool.submit('add', 2, 2)
  const b = pool.submit('gated', gate)
  // a done before the clock: on a busy machine its round trip to the worker may outlast SHORT_MS.
  await a.result()
  const began = performance.now()
  const early = await wait<unknown>([a, b], { timeoutMs: SHORT_MS })
  const elapsed = performance.now() - began
  t.same({ done: [...early.done], notDone: [...early.notDone] }, { done: [a], notDone: [b] }, 'out of time: what is done and what is not, no error')
  t.ok(elapsed >= SHORT_MS, `not before the time was up (${elapsed.toFixed(1)} ms)`)
  openGate(shared, gate)
  const all = await wait<unknown>([a, b], { returnWhen: ALL_COMPLETED })
  t.same({ done: all.done.size, notDone: all.notDone.size }, { done: 2, notDone: 0 }, 'both done')
})

t.test('a future\'s text form is Python\'s repr: its state, and the type of what it returned or raised', async t => {
  const gate = newGate()
  const running = pool.submit('gated', gate)
  const queued = pool.submit('add', 1, 2)
  const failing = pool.submit('fail', 'no flag for ZZ')
  const cancelled = pool.submit('add', 3, 4)
  cancelled.cancel()
  await until(shared.running, 0, 1)
  t.match(String(running), /^<Future at 0x[0-9a-f]+ state=running>$/)
  t.match(`${queued}`, /^<Future at 0x[0-9a-f]+ state=pending>$/)
  t.match(inspect(cancelled), /^<Future at 0x[0-9a-f]+ state=cancelled>$/, 'util.inspect (console.log) prints the same')
  openGate(shared, gate)
  await queued.result()
  await failing.exception()
  t.match(inspect(queued), /^<Future at 0x[0-9a-f]+ state=finished returned number>$/, 'the book prints "returned str" for a string; here "returned number"')
  t.match(String(failing), /^<Future at 0x[0-9a-f]+ state=finished raised FlagError>$/)
  t.match(String(await running.result().then(() => running)), /state=finished returned Object>$/, 'an object is named by its constructor')
  t.not(String(queued), String(failing), 'each future its own address')
})

t.test('setting a future\'s outcome twice is an InvalidStateError, as Python\'s set_result on a done future', async t => {
  const made = Future.make<number>(() => false)
  made.run()
  made.setResult(1)
  t.throws(() => made.setResult(2), { name: 'InvalidStateError', message: /^setResult on a future already finished: <Future at 0x[0-9a-f]+ state=finished returned number>$/ })
  t.throws(() => made.setException(new Error('late')), InvalidStateError)
  t.equal(await made.future.result(), 1, 'the first outcome stands')
})
