// Python's concurrent.futures.ThreadPoolExecutor, over worker_threads: W workers, each running
// one task at a time (the Node twin of a thread blocked in I/O), fed from one FIFO queue.
//
// Functions cannot cross threads, a module URL can: the tasks are the exported functions of one
// module that every worker imports.
//
//   const pool = await ThreadPoolExecutor.start<typeof import('./tasks.js')>(20, new URL('./tasks.js', import.meta.url))
//   const sizes = await pool.map('downloadOne', codes)                    // executor.map
//   const promises = codes.map(cc => pool.submit('downloadOne', cc))     // executor.submit
//   for await (const { promise } of asCompleted(promises)) await promise  // as_completed, future.result()
//   await pool.shutdown()

import type { EventLoopUtilization } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import type { ErrorReport, TaskRequest, WorkerReply } from './worker.js'

/** The tasks of a module, as seen through `typeof import(...)`: its exported functions. */
export type TaskName<Tasks> = { [K in keyof Tasks]: Tasks[K] extends (...args: never[]) => unknown ? K : never }[keyof Tasks] & string
type TaskArgs<Task> = Task extends (...args: infer Args) => unknown ? Args : never
type TaskResult<Task> = Task extends (...args: never[]) => infer Result ? Awaited<Result> : never

export interface ExecutorOptions {
  /** Given to every worker as `workerData` (structured clone; a SharedArrayBuffer stays shared). */
  workerData?: unknown
}

interface Job {
  fn: string
  args: unknown[]
  resolve: (result: unknown) => void
  reject: (error: Error) => void
}

const WORKER_SCRIPT = new URL('./worker.js', import.meta.url)

export class ThreadPoolExecutor<Tasks> {
  readonly workers: number
  readonly #tasksModule: URL
  readonly #workerData: unknown
  #startupMs = 0
  /** Every worker thread not yet exited, starting ones included: what shutdown must terminate. */
  readonly #live = new Set<Worker>()
  readonly #idle: Worker[] = []
  readonly #running = new Map<Worker, Job>()
  readonly #queue: Job[] = []
  #taskNames: string[] = []
  #shutdown: Promise<void> | undefined
  #terminate: Promise<void> | undefined
  #whenDrained: (() => void) | undefined
  /** Set once workers are being terminated: their exits are expected, nobody replaces them. */
  #terminating = false
  #brokenBy: string | undefined

  private constructor (workers: number, tasksModule: URL, workerData: unknown) {
    this.workers = workers
    this.#tasksModule = tasksModule
    this.#workerData = workerData
  }

  /** Resolves once every worker has imported the tasks module; rejects, leaving no thread behind, if one cannot. */
  static async start<Tasks> (workers: number, tasksModule: URL, options: ExecutorOptions = {}): Promise<ThreadPoolExecutor<Tasks>> {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a whole number >= 1, got ${workers}`)
    const began = performance.now()
    const pool = new ThreadPoolExecutor<Tasks>(workers, tasksModule, options.workerData)
    try {
      await Promise.all(Array.from({ length: workers }, () => pool.#spawn()))
    } catch (error) {
      pool.#terminating = true
      await Promise.all([...pool.#live].map(worker => worker.terminate()))
      throw new Error(`cannot start ${workers} worker(s) on ${tasksModule.href}: ${firstLine((error as Error).message)}`)
    }
    pool.#startupMs = performance.now() - began
    return pool
  }

  /** From start() called to every worker ready: the pool's start-up cost, apart from any task. */
  get startupMs (): number {
    return this.#startupMs
  }

  /** Queues fn(...args); the promise settles with its result or its error, like a Future. */
  submit<K extends TaskName<Tasks>> (fn: K, ...args: TaskArgs<Tasks[K]>): Promise<TaskResult<Tasks[K]>> {
    const refusal = this.#refusal(fn)
    if (refusal !== undefined) return Promise.reject(new Error(refusal))
    return new Promise((resolve, reject) => {
      this.#queue.push({ fn, args, resolve: resolve as (result: unknown) => void, reject })
      this.#dispatch()
    })
  }

  /**
   * Submits fn(item) for every item at once, results in input order whatever the order of
   * completion (Executor.map). The first task to fail rejects it; the others still run.
   */
  async map<K extends TaskName<Tasks>> (fn: K, items: Iterable<TaskArgs<Tasks[K]>[0]>): Promise<Array<TaskResult<Tasks[K]>>> {
    return await Promise.all(Array.from(items, item => this.submit(fn, ...[item] as TaskArgs<Tasks[K]>)))
  }

  /** Each worker's event-loop figures since it started, read from this thread (Worker.performance). */
  utilization (): EventLoopUtilization[] {
    return [...this.#live].map(worker => worker.performance.eventLoopUtilization())
  }

  /** shutdown(wait=True): refuses new tasks, lets queued and running ones finish, then ends every thread. */
  shutdown (): Promise<void> {
    this.#shutdown ??= this.#drainThenTerminate()
    return this.#shutdown
  }

  /**
   * For Ctrl-C (multiprocessing.Pool.terminate): stops every worker where it is. Running and
   * queued tasks reject, new ones are refused. Idempotent, and shutdown() may follow.
   */
  terminate (): Promise<void> {
    this.#terminate ??= this.#terminateNow()
    return this.#terminate
  }

  async #terminateNow (): Promise<void> {
    this.#terminating = true
    for (const job of this.#queue.splice(0)) job.reject(new Error(`task ${job.fn} not run: the pool was terminated`))
    for (const job of this.#running.values()) job.reject(new Error(`task ${job.fn} stopped: the pool was terminated`))
    this.#running.clear()
    this.#checkDrained()
    await Promise.all([...this.#live].map(worker => worker.terminate()))
  }

  async #drainThenTerminate (): Promise<void> {
    await new Promise<void>(resolve => {
      this.#whenDrained = resolve
      this.#checkDrained()
    })
    this.#terminating = true
    await Promise.all([...this.#live].map(worker => worker.terminate()))
  }

  #refusal (fn: string): string | undefined {
    if (this.#terminate !== undefined) return `cannot submit task ${fn}: the pool has been terminated`
    if (this.#shutdown !== undefined) return `cannot submit task ${fn}: the pool has been shut down`
    if (this.#brokenBy !== undefined) return `cannot submit task ${fn}: the pool is broken (${this.#brokenBy})`
    if (!this.#taskNames.includes(fn)) {
      return `unknown task ${fn}: ${this.#tasksModule.href} exports ${this.#taskNames.join(', ') || 'no functions'}`
    }
    return undefined
  }

  /**
   * A worker that never got ready fails its promise (start() or #replace() decides what that
   * means); one that dies later fails its task, if any, and is replaced.
   */
  #spawn (): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_SCRIPT, { argv: [this.#tasksModule.href], workerData: this.#workerData })
      this.#live.add(worker)
      let ready = false
      let failure: Error | undefined
      worker.on('message', (reply: WorkerReply) => {
        if ('ready' in reply) {
          ready = true
          this.#taskNames = reply.ready
          resolve()
        } else {
          const job = this.#running.get(worker)
          // None if terminate() has failed it already.
          if (job === undefined) return
          this.#running.delete(worker)
          if ('error' in reply) job.reject(revive(reply.error))
          else job.resolve(reply.result)
        }
        this.#becomeIdle(worker)
      })
      // An uncaught error ends the thread: 'exit' follows and does the accounting.
      worker.on('error', error => { failure = error })
      worker.on('exit', code => {
        this.#live.delete(worker)
        const reason = failure === undefined ? `exit code ${code}` : firstLine(failure.message)
        if (!ready) {
          reject(new Error(reason))
          return
        }
        const idleAt = this.#idle.indexOf(worker)
        if (idleAt !== -1) this.#idle.splice(idleAt, 1)
        const job = this.#running.get(worker)
        if (job !== undefined) {
          this.#running.delete(worker)
          job.reject(new Error(`the worker thread running task ${job.fn} died: ${reason}`))
        }
        if (!this.#terminating) this.#replace()
        this.#checkDrained()
      })
    })
  }

  /** A replacement that cannot start breaks the pool, as in Python: retrying could loop forever. */
  #replace (): void {
    this.#spawn().catch((error: Error) => {
      if (this.#terminating) return
      this.#brokenBy = `a dead worker could not be replaced: ${error.message}`
      for (const job of this.#queue.splice(0)) job.reject(new Error(`task ${job.fn} not run: the pool is broken (${this.#brokenBy})`))
      this.#checkDrained()
    })
  }

  /** Idle workers are unref'd: a pool nobody shut down holds the process only while it has work. */
  #becomeIdle (worker: Worker): void {
    worker.unref()
    this.#idle.push(worker)
    this.#dispatch()
    this.#checkDrained()
  }

  #dispatch (): void {
    while (this.#queue.length > 0 && this.#idle.length > 0) {
      // The worker idle the shortest time: its thread is likely still awake, which about halves
      // the round trip when tasks come one at a time (a sleeping thread is slow to wake).
      const worker = this.#idle.pop() as Worker
      const job = this.#queue.shift() as Job
      try {
        worker.postMessage({ fn: job.fn, args: job.args } satisfies TaskRequest)
      } catch (error) {
        this.#idle.push(worker)
        job.reject(new Error(`cannot send task ${job.fn} to a worker thread: ${(error as Error).message}`))
        continue
      }
      worker.ref()
      this.#running.set(worker, job)
    }
  }

  #checkDrained (): void {
    if (this.#queue.length === 0 && this.#running.size === 0) this.#whenDrained?.()
  }
}

/** What asCompleted yields: a promise that has settled, the very one it was given. */
export interface Completed<T> {
  promise: Promise<T>
}

/**
 * Yields each promise once it has settled, in order of settling, like as_completed yields
 * futures: `await` the yielded promise for its result or its error (future.result()). Being
 * the promise given, it also finds what it was for in a Map keyed by promises:
 *
 *   for await (const { promise } of asCompleted(toDo.keys())) { const cc = toDo.get(promise); await promise }
 *
 * Each promise comes wrapped because `for await` (in TypeScript's types) and `yield` in an
 * async generator (at run time) both await what is yielded: a bare promise would arrive as
 * its result, or throw.
 */
export function asCompleted<T> (promises: Iterable<Promise<T>>): AsyncIterableIterator<Completed<T>> {
  const all = Array.from(promises)
  const settle: Array<(next: IteratorResult<Completed<T>>) => void> = []
  // The n-th call to next() gets the n-th promise to settle, however many calls are pending.
  const nexts = all.map(() => new Promise<IteratorResult<Completed<T>>>(resolve => { settle.push(resolve) }))
  let settled = 0
  for (const promise of all) {
    const onSettled = (): void => { settle[settled++]?.({ done: false, value: { promise } }) }
    promise.then(onSettled, onSettled)
  }
  let taken = 0
  return {
    [Symbol.asyncIterator] () { return this },
    next: async () => await (nexts[taken++] ?? { done: true, value: undefined })
  }
}

function revive (report: ErrorReport): Error {
  const { name, message, stack, code, cause } = report
  const error = new Error(message, cause === undefined ? undefined : { cause: revive(cause) })
  error.name = name
  if (stack !== undefined) error.stack = stack
  return code === undefined ? error : Object.assign(error, { code })
}

function firstLine (text: string): string {
  return text.split('\n', 1)[0] ?? ''
}
