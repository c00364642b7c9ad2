// concurrent.futures.Future, for the executors: the outcome of one submitted task, made by the
// executor (never by the user), pending, then running, then finished or cancelled. result()
// waits for it and gives the value or throws the task's error, as future.result() does.

import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'

/** The task never ran: cancel() caught it in the queue, or shutdown({ cancelFutures: true }). */
export class CancelledError extends Error {
  constructor (message = 'the future was cancelled before its task ran') {
    super(message)
    this.name = 'CancelledError'
  }
}

/** result(timeoutMs), exception(timeoutMs), map and asCompleted: the time ran out; the task goes on. */
export class TimeoutError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TimeoutError'
  }
}

/** A future's outcome set twice: a bug in the executor, as Python's set_result on a done future. */
export class InvalidStateError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidStateError'
  }
}

type State = 'pending' | 'running' | 'finished' | 'cancelled'

/** Futures finished with an error, for wait(FIRST_EXCEPTION), which must tell them at once (exception() is async). */
const failedFutures = new WeakSet<Future<unknown>>()

/** Python's futures print their id() as an address; ours have none, so a number in turn, in hex too. */
let futuresMade = 0

/** The type of a value as the Future's text form names it: Python says `str`, we say `string`, `Buffer`, `Object`. */
function typeName (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'Object'
}

export class Future<T> {
  #state: State = 'pending'
  #value: T | undefined
  #error: Error | undefined
  // Closures over this future, not the callbacks themselves: a field typed by Future<T> in a
  // parameter would make Future invariant, and a Future<number> no Future<unknown>.
  readonly #callbacks: Array<() => void> = []
  readonly #settled: Promise<void>
  #settle: () => void = () => {}
  readonly #onCancel: () => boolean
  readonly #id = ++futuresMade

  /** Only an executor makes futures (Future.make); `onCancel` takes the task out of its queue. */
  private constructor (onCancel: () => boolean) {
    this.#onCancel = onCancel
    this.#settled = new Promise(resolve => { this.#settle = resolve })
  }

  /** True once the task has finished (with a value or an error) or was cancelled. */
  done (): boolean {
    return this.#state === 'finished' || this.#state === 'cancelled'
  }

  running (): boolean {
    return this.#state === 'running'
  }

  cancelled (): boolean {
    return this.#state === 'cancelled'
  }

  /** Cancels a task still in the queue and returns true; a running or finished one cannot be, and returns false (true if already cancelled). */
  cancel (): boolean {
    if (this.#state === 'cancelled') return true
    if (this.#state !== 'pending' || !this.#onCancel()) return false
    this.#finish('cancelled')
    return true
  }

  /**
   * The task's value; rejects with its error, a CancelledError, or (with `timeoutMs`) a
   * TimeoutError once that long has passed without an outcome (the task goes on).
   */
  async result (timeoutMs?: number): Promise<T> {
    await this.#wait(timeoutMs, 'result')
    if (this.#state === 'cancelled') throw new CancelledError()
    if (this.#error !== undefined) throw this.#error
    return this.#value as T
  }

  /** The task's error, or null if it succeeded; rejects as result() does when cancelled or out of time. */
  async exception (timeoutMs?: number): Promise<Error | null> {
    await this.#wait(timeoutMs, 'exception')
    if (this.#state === 'cancelled') throw new CancelledError()
    return this.#error ?? null
  }

  /**
   * `fn(future)` once it is done: at once if it already is. A callback that throws is reported
   * as a process warning, and the others still run, as in Python (which logs it).
   */
  addDoneCallback (fn: (future: Future<T>) => void): void {
    if (this.done()) this.#call(fn)
    else this.#callbacks.push(() => this.#call(fn))
  }

  /** As Python's repr: `<Future at 0x1f state=finished returned string>`, `... raised TypeError>`, `<Future at 0x20 state=pending>`. */
  toString (): string {
    const outcome = this.#state !== 'finished' ? '' : this.#error !== undefined ? ` raised ${this.#error.name}` : ` returned ${typeName(this.#value)}`
    return `<Future at 0x${this.#id.toString(16)} state=${this.#state}${outcome}>`
  }

  [inspect.custom] (): string {
    return this.toString()
  }

  async #wait (timeoutMs: number | undefined, what: string): Promise<void> {
    if (this.done() || timeoutMs === undefined) {
      await this.#settled
      return
    }
    const timer = new AbortController()
    try {
      const outcome = await Promise.race([this.#settled.then(() => 'done' as const), timeUp(timeoutMs, timer.signal)])
      if (outcome === 'timeout') throw new TimeoutError(`${what}(): no outcome within ${timeoutMs} ms`)
    } finally {
      timer.abort()
    }
  }

  #call (fn: (future: Future<T>) => void): void {
    try {
      fn(this)
    } catch (error) {
      process.emitWarning(`a done callback of a future threw: ${error instanceof Error ? error.message : String(error)}`, 'FutureCallbackWarning')
    }
  }

  #finish (state: State): void {
    this.#state = state
    this.#settle()
    // Settled first: a callback that asks result() finds it done.
    for (const call of this.#callbacks.splice(0)) call()
  }

  #settleOnce (what: string): void {
    if (this.done()) throw new InvalidStateError(`${what} on a future already ${this.#state}: ${this.toString()}`)
  }

  /**
   * The executor's side: made pending, set running, set a value or an error (once: a second
   * outcome is an InvalidStateError, as in Python, since it means the executor lost track). Not for users.
   */
  static make<T> (onCancel: () => boolean): { future: Future<T>, run: () => boolean, setResult: (value: T) => void, setException: (error: Error) => void } {
    const future = new Future<T>(onCancel)
    return {
      future,
      // False when the future was cancelled meanwhile: the task must not run.
      run: () => {
        if (future.#state !== 'pending') return false
        future.#state = 'running'
        return true
      },
      setResult: value => {
        future.#settleOnce('setResult')
        future.#value = value
        future.#finish('finished')
      },
      setException: error => {
        future.#settleOnce('setException')
        future.#error = error
        failedFutures.add(future)
        future.#finish('finished')
      }
    }
  }
}

/** A promise as a future, for as_completed over plain promises (the async mode's semaphore slots). */
export function futureOf<T> (promise: Promise<T>): Future<T> {
  const made = Future.make<T>(() => false)
  made.run()
  promise.then(made.setResult, (error: unknown) => made.setException(error instanceof Error ? error : new Error(String(error))))
  return made.future
}

/** Futures, and plain promises made futures; one given twice is taken once, as Python's set(fs). */
function distinctFutures<T> (items: Iterable<Future<T> | Promise<T>>): Array<Future<T>> {
  const seen = new Map<Future<T> | Promise<T>, Future<T>>()
  for (const item of items) if (!seen.has(item)) seen.set(item, item instanceof Future ? item : futureOf(item))
  return [...seen.values()]
}

/**
 * Yields each future once it is done, in the order they finish, as as_completed does; with
 * `timeoutMs`, throws a TimeoutError if futures are left when that long has passed since the
 * call. Plain promises are taken too (made futures here); a future given twice is yielded once.
 */
export async function * asCompleted<T> (items: Iterable<Future<T> | Promise<T>>, options: { timeoutMs?: number } = {}): AsyncGenerator<Future<T>, void, undefined> {
  const futures = distinctFutures(items)
  const started = performance.now()
  const queue: Array<Future<T>> = []
  let wake: (() => void) | undefined
  for (const future of futures) {
    future.addDoneCallback(done => {
      queue.push(done)
      wake?.()
    })
  }
  for (let yielded = 0; yielded < futures.length; yielded++) {
    while (queue.length === 0) {
      const arrived = new Promise<void>(resolve => { wake = resolve })
      if (options.timeoutMs === undefined) {
        await arrived
        continue
      }
      const left = options.timeoutMs - (performance.now() - started)
      const timer = new AbortController()
      const outcome = await Promise.race([arrived.then(() => 'arrived' as const), timeUp(left, timer.signal)]).finally(() => timer.abort())
      if (outcome === 'timeout') throw new TimeoutError(`asCompleted: ${futures.length - yielded} of ${futures.length} futures unfinished after ${options.timeoutMs} ms`)
    }
    yield queue.shift() as Future<T>
  }
}

export const FIRST_COMPLETED = 'FIRST_COMPLETED'
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION'
export const ALL_COMPLETED = 'ALL_COMPLETED'
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED

/**
 * concurrent.futures.wait: resolves with the futures done and those not, once `returnWhen` holds
 * (FIRST_COMPLETED: any done; FIRST_EXCEPTION: one failed, or all done; ALL_COMPLETED, the
 * default: all done) or `timeoutMs` has passed, whichever comes first. Never throws: a time-out
 * only leaves futures in notDone. A cancelled future counts as done, not as an exception.
 */
export async function wait<T> (items: Iterable<Future<T> | Promise<T>>, options: { timeoutMs?: number, returnWhen?: ReturnWhen } = {}): Promise<{ done: Set<Future<T>>, notDone: Set<Future<T>> }> {
  const futures = distinctFutures(items)
  const returnWhen = options.returnWhen ?? ALL_COMPLETED
  const split = (): { done: Set<Future<T>>, notDone: Set<Future<T>> } => ({ done: new Set(futures.filter(f => f.done())), notDone: new Set(futures.filter(f => !f.done())) })
  const enough = (): boolean => {
    const done = futures.filter(f => f.done()).length
    if (done === futures.length) return true
    if (returnWhen === FIRST_COMPLETED) return done > 0
    return returnWhen === FIRST_EXCEPTION && futures.some(future => failedFutures.has(future))
  }
  if (enough()) return split()
  const timer = new AbortController()
  const reached = new Promise<void>(resolve => {
    for (const future of futures) future.addDoneCallback(() => { if (enough()) resolve() })
  })
  await Promise.race([reached, ...(options.timeoutMs === undefined ? [] : [timeUp(options.timeoutMs, timer.signal).catch(() => {})])]).finally(() => timer.abort())
  return split()
}

/**
 * Resolves once `ms` have passed by performance.now(). Node's timers count whole milliseconds
 * of the event loop's time and may fire up to one early: a timeout must never end sooner than
 * it says, so an early timer waits out the rest.
 */
async function timeUp (ms: number, signal: AbortSignal): Promise<'timeout'> {
  const due = performance.now() + ms
  for (let left = ms; left > 0; left = due - performance.now()) await sleep(left, undefined, { signal })
  return 'timeout'
}
