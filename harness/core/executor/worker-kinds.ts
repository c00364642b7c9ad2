// The two kinds of worker a pool runs its tasks on: a worker thread (ThreadPoolExecutor) or a
// child process (ProcessPoolExecutor). A worker runs one task at a time; the pool does the rest.

import { fork } from 'node:child_process'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { describeExit, killOnExit } from '../children.js'
import type { StatsReply } from './process-worker.js'
import { TASK_DATA_ENV } from './task-data.js'
import type { TaskRequest, WorkerReply } from './task-runner.js'

export interface WorkerEvents {
  reply: (reply: WorkerReply) => void
  /** An error that ends the worker (an uncaught one in a thread, a failed spawn); 'exit' follows. */
  error: (error: Error) => void
  exit: (description: string) => void
}

export interface WorkerHandle {
  /** Sends one task; throws when its arguments cannot be sent. */
  send: (task: TaskRequest) => void
  /** A referenced worker keeps this process alive: only while it has work. */
  ref: () => void
  unref: () => void
  terminate: () => Promise<void>
  /** The worker's event loop since it started. */
  utilization: () => Promise<EventLoopUtilization>
  /** Its resident memory in bytes; null for a thread, whose memory is the process's. */
  rssBytes: () => Promise<number | null>
}

/** What every worker of a pool starts from. */
export interface WorkerSetup {
  tasksModule: URL
  workerData: unknown
  /** Node options added for a worker process (threads take none: V8's flags are per process). */
  execArgv: readonly string[]
}

export interface WorkerKind {
  /** How errors name a worker: 'worker thread', 'worker process'. */
  noun: string
  /** What a worker's death does to the pool: a thread is replaced; a process breaks the pool, as Python's does. */
  onDeath: 'replace' | 'break'
  spawn: (setup: WorkerSetup, events: WorkerEvents) => WorkerHandle
}

const THREAD_SCRIPT = new URL('./thread-worker.js', import.meta.url)
const PROCESS_SCRIPT = new URL('./process-worker.js', import.meta.url)

export const THREADS: WorkerKind = {
  noun: 'worker thread',
  onDeath: 'replace',
  spawn: ({ tasksModule, workerData }, events) => {
    const worker = new Worker(THREAD_SCRIPT, { argv: [tasksModule.href], workerData })
    worker.on('message', events.reply)
    worker.on('error', events.error)
    worker.on('exit', code => events.exit(`exit code ${code}`))
    return {
      send: task => worker.postMessage(task),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      terminate: async () => { await worker.terminate() },
      utilization: async () => worker.performance.eventLoopUtilization(),
      rssBytes: async () => null
    }
  }
}

export const PROCESSES: WorkerKind = {
  noun: 'worker process',
  onDeath: 'break',
  spawn: ({ tasksModule, workerData, execArgv }, events) => {
    // The child runs plain compiled JavaScript unless this process runs under a loader (tests):
    // its execArgv (tap's TypeScript loader) goes on, as worker threads inherit it.
    const child = fork(PROCESS_SCRIPT, [tasksModule.href], {
      execArgv: [...process.execArgv, ...execArgv],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [TASK_DATA_ENV]: JSON.stringify(workerData ?? null) }
    })
    killOnExit(child)
    // The questions asked and not yet answered, in order: the process answers them in turn.
    const stats: Array<{ answer: (reply: StatsReply['stats']) => void, fail: (error: Error) => void }> = []
    child.on('message', (message: WorkerReply | StatsReply) => {
      if ('stats' in message) stats.shift()?.answer(message.stats)
      else events.reply(message)
    })
    child.on('error', events.error)
    child.on('exit', (code, signal) => {
      const description = describeExit(code, signal)
      // A process that ends (killed by terminate(), say) answers no more: its questions fail
      // rather than wait forever.
      for (const question of stats.splice(0)) question.fail(new Error(`the worker process ended (${description}) before it answered`))
      events.exit(description)
    })
    // Referenced while it has a task, or while an answer to a question is awaited: an idle,
    // unreferenced worker would let this process end in the middle of the wait.
    let busy = false
    const hold = (held: boolean): void => {
      if (held) { child.ref(); child.channel?.ref() } else { child.unref(); child.channel?.unref() }
    }
    const ask = async (): Promise<StatsReply['stats']> => {
      hold(true)
      try {
        return await new Promise((resolve, reject) => {
          const question = { answer: resolve, fail: reject }
          stats.push(question)
          // A closed channel fails this question, not the worker: its exit says why it ended.
          child.send({ stats: true }, error => {
            if (error === null || !stats.includes(question)) return
            stats.splice(stats.indexOf(question), 1)
            reject(error)
          })
        })
      } finally {
        if (!busy && stats.length === 0) hold(false)
      }
    }
    return {
      send: task => { child.send(task) },
      ref: () => { busy = true; hold(true) },
      unref: () => { busy = false; if (stats.length === 0) hold(false) },
      terminate: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise(resolve => child.once('exit', resolve))
        hold(true)
        child.kill('SIGKILL')
        await exited
      },
      utilization: async () => (await ask()).elu,
      rssBytes: async () => (await ask()).rssBytes
    }
  }
}
