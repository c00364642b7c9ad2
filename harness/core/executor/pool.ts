// Python's concurrent.futures executors: ThreadPoolExecutor over worker_threads and
// ProcessPoolExecutor over child processes. W workers, each running one task at a time (the Node
// twin of a thread blocked in I/O), fed from one FIFO queue; submit() returns a Future.
//
// Functions cannot cross threads or processes, a module URL can: the tasks are the exported
// functions of one module that every worker imports (its data from taskData()).
//
//   await using pool = await ThreadPoolExecutor.start<typeof import('./tasks.js')>(20, new URL('./tasks.js', import.meta.url))
//   for await (const size of pool.map('downloadOne', codes)) ...              // executor.map
//   const futures = codes.map(cc => pool.submit('downloadOne', cc))          // executor.submit
//   for await (const future of asCompleted(futures)) await future.result()   // as_completed
//   // leaving the block: await pool.shutdown()                              // the with block

import type { EventLoopUtilization } from 'node:perf_hooks'
import { availableParallelism } from 'node:os'
import { CancelledError, Future, InvalidStateError, TimeoutError } from './future.js'
import { PROCESSES, THREADS, type WorkerHandle, type WorkerKind, type WorkerSetup } from './worker-kinds.js'
import { reviveError, type ErrorClass, type WorkerReply } from './task-runner.js'

/** The tasks of a module, as seen through `typeof import(...)`: its exported functions. */
export type TaskName<Tasks> = { [K in keyof Tasks]: Tasks[K] extends (...args: never[]) => unknown ? K : never }[keyof Tasks] & string
type TaskArgs<Task> = Task extends (...args: infer Args) => unknown ? Args : never
type TaskResult<Task> = Task extends (...args: never[]) => infer Result ? Awaited<Result> : never
/** map's iterables: one per parameter of the task, as Python's map(fn, *iterables). */
type Iterables<Args extends readonly unknown[]> = { [I in keyof Args]: Iterable<Args[I]> }

export interface MapOptions {
  /** A TimeoutError once a result is not there that long after the call. */
  timeoutMs?: number
  /** Items sent to a worker in one message and run there in turn (Python's chunksize): fewer round trips for many small tasks. */
  chunksize?: number
}

export interface ExecutorOptions<Tasks = Record<string, unknown>> {
  /** Given to every worker (taskData()): structured clone for threads (a SharedArrayBuffer stays shared), JSON for processes. */
  workerData?: unknown
  /** A task of the module each worker runs once, before it takes any other (Python's initializer); if it throws, start() rejects. */
  initializer?: TaskName<Tasks>
  initargs?: readonly unknown[]
  /**
   * Error classes of the caller's own, rebuilt by name when a task throws one, so that a catch
   * by class works across the boundary (built-in errors and the executor's are rebuilt anyway).
   */
  errorClasses?: readonly ErrorClass[]
}

export interface ProcessExecutorOptions<Tasks = Record<string, unknown>> extends ExecutorOptions<Tasks> {
  /** Node options for every worker process, after this process's own (fork's execArgv). */
  execArgv?: readonly string[]
}

/** A worker process died: the pool is broken, as Python's BrokenProcessPool. */
export class BrokenPoolError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BrokenProcessPool'
  }
}

/** Python's defaults: ThreadPoolExecutor min(32, cpus + 4) (I/O-bound work), ProcessPoolExecutor the CPU count. */
export function defaultWorkers (kind: 'threads' | 'processes'): number {
  return kind === 'threads' ? Math.min(32, availableParallelism() + 4) : availableParallelism()
}

interface Job {
  fn: string
  args: unknown[]
  /** args is a list of argument lists, run in turn in one worker (map's chunksize). */
  chunk: boolean
  future: Future<unknown>
  run: () => boolean
  setResult: (value: unknown) => void
  setException: (error: Error) => void
}

interface Worker {
  handle: WorkerHandle
  /** Ready once its tasks module is loaded and its initializer, if any, has run. */
  ready: boolean
  /** Its initializer is running. */
  initializing: boolean
  /** Set when the worker ends with an error: the reason its exit gives. */
  failure?: Error
}

function firstLine (text: string): string {
  return text.split('\n', 1)[0] ?? ''
}

class PoolExecutor<Tasks> {
  readonly workers: number
  readonly #kind: WorkerKind
  readonly #setup: WorkerSetup
  readonly #initializer: { fn: string, args: unknown[] } | undefined
  readonly #errorClasses: readonly ErrorClass[]
  #startupMs = 0
  /** Every worker not yet exited, starting ones included: what shutdown must end. */
  readonly #live = new Set<Worker>()
  readonly #idle: Worker[] = []
  readonly #running = new Map<Worker, Job>()
  readonly #queue: Job[] = []
  #taskNames: string[] = []
  #shutdown: Promise<void> | undefined
  #terminate: Promise<void> | undefined
  #whenDrained: (() => void) | undefined
  /** Set once workers are being ended: their exits are expected, nobody replaces them. */
  #terminating = false
  #brokenBy: string | undefined

  protected constructor (kind: WorkerKind, workers: number, setup: WorkerSetup, options: ExecutorOptions<Tasks>) {
    this.#kind = kind
    this.workers = workers
    this.#setup = setup
    this.#initializer = options.initializer === undefined ? undefined : { fn: options.initializer, args: [...options.initargs ?? []] }
    this.#errorClasses = [CancelledError, TimeoutError, InvalidStateError, BrokenPoolError, ...options.errorClasses ?? []]
  }

  /** Resolves once every worker has imported the tasks module; rejects, leaving no worker behind, if one cannot. */
  protected async started (): Promise<this> {
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new RangeError(`workers must be a whole number >= 1, got ${this.workers}`)
    const began = performance.now()
    try {
      await Promise.all(Array.from({ length: this.workers }, async () => await this.#spawn()))
    } catch (error) {
      this.#terminating = true
      await Promise.all([...this.#live].map(async worker => await worker.handle.terminate()))
      throw new Error(`cannot start ${this.workers} worker(s) on ${this.#setup.tasksModule.href}: ${firstLine((error as Error).message)}`)
    }
    this.#startupMs = performance.now() - began
    return this
  }

  /** From start() called to every worker ready: the pool's start-up cost, apart from any task. */
  get startupMs (): number {
    return this.#startupMs
  }

  /** True once a worker process died (BrokenProcessPool) or a dead thread could not be replaced. */
  get broken (): boolean {
    return this.#brokenBy !== undefined
  }

  /**
   * Queues fn(...args); the Future settles with its value or its error. Throws at once on a pool
   * shut down (Python's RuntimeError) or broken (BrokenProcessPool); an unknown task's Future fails at once.
   */
  submit<K extends TaskName<Tasks>> (fn: K, ...args: TaskArgs<Tasks[K]>): Future<TaskResult<Tasks[K]>> {
    return this.#submit(fn, args, false) as Future<TaskResult<Tasks[K]>>
  }

  #submit (fn: string, args: unknown[], chunk: boolean): Future<unknown> {
    this.#refuseIfClosed(fn)
    const job = this.#job(fn, args, chunk)
    if (!this.#taskNames.includes(fn)) {
      job.run()
      job.setException(new Error(`unknown task ${fn}: ${this.#setup.tasksModule.href} exports ${this.#taskNames.join(', ') || 'no functions'}`))
    } else {
      this.#queue.push(job)
      this.#dispatch()
    }
    return job.future
  }

  /**
   * Executor.map(fn, *iterables, timeout, chunksize): submits fn(a, b, ...) for every tuple of
   * the iterables taken together (stopping at the shortest, as zip) when called, as Python does
   * (not when the first result is asked for), then yields the results in input order, whatever
   * the order they finish in; a task's error is thrown when iteration reaches it (with a
   * chunksize, the error of one item fails its whole chunk, as in Python). The options, if any, come last.
   */
  map<K extends TaskName<Tasks>> (fn: K, ...iterablesAndOptions: [...Iterables<TaskArgs<Tasks[K]>>] | [...Iterables<TaskArgs<Tasks[K]>>, MapOptions]): AsyncGenerator<TaskResult<Tasks[K]>, void, undefined> {
    const began = performance.now()
    const last = iterablesAndOptions.at(-1)
    const given = last !== undefined && !(Symbol.iterator in Object(last))
    const options = (given ? last : {}) as MapOptions
    const iterables = (given ? iterablesAndOptions.slice(0, -1) : iterablesAndOptions) as Array<Iterable<unknown>>
    const chunksize = options.chunksize ?? 1
    if (!Number.isInteger(chunksize) || chunksize < 1) throw new RangeError(`chunksize must be a whole number >= 1, got ${chunksize}`)
    const chunks: unknown[][][] = []
    for (const args of zip(iterables)) {
      const current = chunks.at(-1)
      if (current === undefined || current.length === chunksize) chunks.push([args])
      else current.push(args)
    }
    const futures = chunksize === 1
      ? chunks.map(([args]) => this.#submit(fn, args ?? [], false))
      : chunks.map(chunk => this.#submit(fn, chunk, true))
    return inOrder(futures as Array<Future<TaskResult<Tasks[K]>>>, chunksize > 1, began, options.timeoutMs)
  }

  /** Each worker's event-loop figures since it started; a worker that ends before it answers (terminate()) is left out. */
  async utilization (): Promise<EventLoopUtilization[]> {
    return await this.#askLive(async handle => await handle.utilization())
  }

  /** The workers' resident memory summed, for processes (one that ends before it answers has none left); null for threads (theirs is the process's). */
  async rssBytes (): Promise<number | null> {
    const each = await this.#askLive(async handle => await handle.rssBytes())
    return each.some(bytes => bytes === null) ? null : each.reduce<number>((sum, bytes) => sum + (bytes ?? 0), 0)
  }

  async #askLive<T> (ask: (handle: WorkerHandle) => Promise<T>): Promise<T[]> {
    const answers = await Promise.allSettled([...this.#live].map(async worker => await ask(worker.handle)))
    return answers.flatMap(answer => answer.status === 'fulfilled' ? [answer.value] : [])
  }

  /**
   * shutdown(wait, cancel_futures), as Python 3.9: refuses new tasks; cancels the queued ones
   * with `cancelFutures`; lets the rest finish, then ends every worker. With `wait: false` it
   * returns at once, and the workers end on their own once the work is done.
   */
  async shutdown ({ wait = true, cancelFutures = false }: { wait?: boolean, cancelFutures?: boolean } = {}): Promise<void> {
    if (cancelFutures) for (const job of [...this.#queue]) job.future.cancel()
    this.#shutdown ??= this.#drainThenEnd()
    if (wait) await this.#shutdown
  }

  /** The twin of Python's `with` block: `await using pool = ...` shuts it down, waiting, on leaving. */
  async [Symbol.asyncDispose] (): Promise<void> {
    await this.shutdown()
  }

  /**
   * For Ctrl-C (multiprocessing.Pool.terminate): stops every worker where it is. Running and
   * queued tasks fail, new ones are refused. Idempotent, and shutdown() may follow.
   */
  terminate (): Promise<void> {
    this.#terminate ??= this.#terminateNow()
    return this.#terminate
  }

  #job (fn: string, args: unknown[], chunk: boolean): Job {
    const made = Future.make<unknown>(() => {
      const at = this.#queue.findIndex(job => job.future === made.future)
      if (at === -1) return false
      this.#queue.splice(at, 1)
      this.#checkDrained()
      return true
    })
    return { fn, args, chunk, ...made }
  }

  async #terminateNow (): Promise<void> {
    this.#terminating = true
    for (const job of this.#queue.splice(0)) job.setException(new Error(`task ${job.fn} not run: the pool was terminated`))
    for (const job of this.#running.values()) job.setException(new Error(`task ${job.fn} stopped: the pool was terminated`))
    this.#running.clear()
    this.#checkDrained()
    await Promise.all([...this.#live].map(async worker => await worker.handle.terminate()))
  }

  async #drainThenEnd (): Promise<void> {
    await new Promise<void>(resolve => {
      this.#whenDrained = resolve
      this.#checkDrained()
    })
    this.#terminating = true
    await Promise.all([...this.#live].map(async worker => await worker.handle.terminate()))
  }

  #refuseIfClosed (fn: string): void {
    if (this.#brokenBy !== undefined) throw this.#brokenError(`cannot submit task ${fn}: the pool is broken (${this.#brokenBy})`)
    if (this.#terminate !== undefined) throw new Error(`cannot submit task ${fn}: the pool has been terminated`)
    if (this.#shutdown !== undefined) throw new Error(`cannot submit task ${fn}: the pool has been shut down`)
  }

  #brokenError (message: string): Error {
    return this.#kind.onDeath === 'break' ? new BrokenPoolError(message) : new Error(message)
  }

  /**
   * A worker that never got ready fails its promise (started() or #replace() decides what that
   * means); one that dies later fails its task, if any, and is replaced or breaks the pool.
   */
  async #spawn (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const worker: Worker = {
        ready: false,
        initializing: false,
        handle: this.#kind.spawn(this.#setup, {
          reply: reply => this.#onReply(worker, reply, resolve, reject),
          error: error => { worker.failure = error },
          exit: description => this.#onExit(worker, description, reject)
        })
      }
      this.#live.add(worker)
    })
  }

  #onReply (worker: Worker, reply: WorkerReply, ready: () => void, notReady: (error: Error) => void): void {
    if ('ready' in reply) {
      this.#taskNames = reply.ready
      if (this.#initializer === undefined) {
        worker.ready = true
        ready()
      } else {
        worker.initializing = true
        worker.handle.send({ ...this.#initializer, chunk: false })
        return
      }
    } else if (worker.initializing) {
      worker.initializing = false
      if ('error' in reply) {
        worker.failure = new Error(`its initializer ${this.#initializer?.fn ?? ''} failed: ${reply.error.message}`)
        notReady(worker.failure)
        worker.handle.terminate().catch(() => {})
        return
      }
      worker.ready = true
      ready()
    } else {
      const job = this.#running.get(worker)
      // None if terminate() has failed it already.
      if (job === undefined) return
      this.#running.delete(worker)
      if ('error' in reply) job.setException(reviveError(reply.error, this.#errorClasses))
      else job.setResult(reply.result)
    }
    this.#becomeIdle(worker)
  }

  #onExit (worker: Worker, description: string, notReady: (error: Error) => void): void {
    this.#live.delete(worker)
    const reason = worker.failure === undefined ? description : firstLine(worker.failure.message)
    if (!worker.ready) {
      notReady(new Error(reason))
      return
    }
    const idleAt = this.#idle.indexOf(worker)
    if (idleAt !== -1) this.#idle.splice(idleAt, 1)
    const job = this.#running.get(worker)
    this.#running.delete(worker)
    if (this.#terminating) {
      job?.setException(new Error(`task ${job.fn} stopped: the pool was terminated`))
    } else if (this.#kind.onDeath === 'break') {
      this.#break(`a ${this.#kind.noun} died (${reason})`, job)
    } else {
      job?.setException(new Error(`the ${this.#kind.noun} running task ${job.fn} died: ${reason}`))
      this.#replace()
    }
    this.#checkDrained()
  }

  /** A replacement that cannot start breaks the pool, as in Python: retrying could loop forever. */
  #replace (): void {
    this.#spawn().catch((error: Error) => {
      if (!this.#terminating) this.#break(`a dead worker could not be replaced: ${error.message}`)
    })
  }

  /**
   * The pool is broken, as CPython's terminate_broken: the task of the dead worker, every other
   * running task and every queued one fail, the other workers are ended where they are, and
   * every later submit throws.
   */
  #break (why: string, dead?: Job): void {
    this.#brokenBy = why
    this.#terminating = true
    dead?.setException(this.#brokenError(`task ${dead.fn} failed: ${why}; the pool is broken`))
    for (const job of this.#running.values()) job.setException(this.#brokenError(`task ${job.fn} stopped: the pool is broken (${why})`))
    this.#running.clear()
    for (const job of this.#queue.splice(0)) job.setException(this.#brokenError(`task ${job.fn} not run: the pool is broken (${why})`))
    this.#checkDrained()
    for (const worker of this.#live) worker.handle.terminate().catch(() => {})
  }

  /** Idle workers are unref'd: a pool nobody shut down holds the process only while it has work. */
  #becomeIdle (worker: Worker): void {
    worker.handle.unref()
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
      if (!job.run()) {
        // Cancelled meanwhile: the worker stays idle for the next.
        this.#idle.push(worker)
        continue
      }
      try {
        worker.handle.send({ fn: job.fn, args: job.args, chunk: job.chunk })
      } catch (error) {
        this.#idle.push(worker)
        job.setException(new Error(`cannot send task ${job.fn} to a ${this.#kind.noun}: ${(error as Error).message}`))
        continue
      }
      worker.handle.ref()
      this.#running.set(worker, job)
    }
  }

  #checkDrained (): void {
    if (this.#queue.length === 0 && this.#running.size === 0) this.#whenDrained?.()
  }
}

export class ThreadPoolExecutor<Tasks> extends PoolExecutor<Tasks> {
  /** W workers; undefined: Python's default, min(32, cpus + 4). */
  static async start<Tasks> (workers: number | undefined, tasksModule: URL, options: ExecutorOptions<Tasks> = {}): Promise<ThreadPoolExecutor<Tasks>> {
    return await new ThreadPoolExecutor<Tasks>(THREADS, workers ?? defaultWorkers('threads'), { tasksModule, workerData: options.workerData, execArgv: [] }, options).started()
  }
}

/**
 * The same API over child processes (child_process.fork, IPC), each with its own heap and event
 * loop: they cost more to start and to feed than threads. A process that dies breaks the pool,
 * as Python's BrokenProcessPool; none outlives this one (they end with their IPC channel, and
 * are killed on exit).
 */
export class ProcessPoolExecutor<Tasks> extends PoolExecutor<Tasks> {
  /** W workers; undefined: Python's default, the CPU count. */
  static async start<Tasks> (workers: number | undefined, tasksModule: URL, options: ProcessExecutorOptions<Tasks> = {}): Promise<ProcessPoolExecutor<Tasks>> {
    return await new ProcessPoolExecutor<Tasks>(PROCESSES, workers ?? defaultWorkers('processes'), { tasksModule, workerData: options.workerData, execArgv: options.execArgv ?? [] }, options).started()
  }
}

/** The tuples of the iterables taken together, up to the shortest. */
function * zip (iterables: ReadonlyArray<Iterable<unknown>>): Generator<unknown[], void, undefined> {
  const iterators = iterables.map(iterable => iterable[Symbol.iterator]())
  if (iterators.length === 0) return
  while (true) {
    const tuple: unknown[] = []
    for (const iterator of iterators) {
      const next = iterator.next()
      if (next.done === true) return
      tuple.push(next.value)
    }
    yield tuple
  }
}

/** map's results: each future's in turn (each of a chunk's, when chunked), its error thrown when reached, the time counted from `began`. */
async function * inOrder<T> (futures: ReadonlyArray<Future<T>>, chunked: boolean, began: number, timeoutMs: number | undefined): AsyncGenerator<T, void, undefined> {
  try {
    for (const future of futures) {
      const left = timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (performance.now() - began))
      const result = await future.result(left).catch((error: unknown) => {
        throw error instanceof TimeoutError ? new TimeoutError(`map: a result not there within ${timeoutMs ?? 0} ms`) : error
      })
      if (chunked) yield * result as T[]
      else yield result
    }
  } finally {
    // Left early (an error, a break): the tasks not yet begun are not needed any more.
    for (const future of futures) future.cancel()
  }
}
