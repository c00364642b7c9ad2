// The race's lanes, each in a process of its own (child_process.fork of lane.ts, compiled, with
// IPC): a lane's client, its event loop and its CPU work are its own, so the lanes share only the
// server and the machine's cores. On one event loop they slowed each other: at 20 flags and
// 100 ms, async took 0.37 s for an ideal of 0.10 s.
//
// A lane is forked and opened (its client, or pooled's worker threads) before the race, then
// warmed up when every lane is open; go() starts its run, and every download's end comes back as
// it happens, then the lane's figures.
// Nothing outlives the race process: stop() closes the channel (the lane exits when it closes,
// however this process ended) and waits for the exit, and this process's exit kills whatever is
// left.

import { fork } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from '../../server/contract/project.js'
import { describeExit, killOnExit } from '../core/children.js'
import type { ModeFigures } from '../core/figures.js'
import type { DownloadOptions } from '../core/download.js'
import type { ModeName } from '../core/modes/registry.js'
import type { Outcome } from '../core/record.js'

/** What a lane is asked to run. */
export interface LaneJob {
  mode: ModeName
  /** Requests at once: 1 for sequential, workers for pooled, the semaphore for async. */
  concurrency: number
  baseUrl: string
  codes: readonly string[]
  download: DownloadOptions
  /** --cpu-work in ms, for the lane's ideal time (download.cpuSlices is the work itself). */
  cpuWorkMs: number
}

/** What a lane paid before the race, as the harness shows it apart: pooled's start-up, the cold run. */
export interface ColdCosts {
  /** The worker threads' start-up (pooled); null for a mode without workers. */
  startupMs: number | null
  /** The first warm-up run, unmeasured: new connections, the JIT cold, each worker's first request. */
  coldMs: number | null
}

/** One download over: `atMs` from the lane's go. */
export interface LaneFlag { cc: string, outcome: Outcome, reason: string | null, atMs: number }

export type ToLane = { type: 'open', job: LaneJob } | { type: 'warm' } | { type: 'go' }

export type FromLane =
  /** Opened (pooled's worker threads started): waiting to warm up. */
  | { type: 'opened', pid: number }
  /** Warmed up (the harness's warm-up runs): waiting for go. */
  | ({ type: 'warmed' } & ColdCosts)
  | ({ type: 'flag' } & LaneFlag)
  /** The run is over: its figures, as the harness computes them for one run. */
  | { type: 'done', figures: ModeFigures }
  | { type: 'failed', message: string }

export interface LaneProcess {
  mode: ModeName
  pid: number | undefined
  /** Resolves with the lane's pid once it is open; rejects if it fails or ends first. */
  opened: Promise<number>
  /** Runs the harness's warm-up (once the lane is open); resolves with the cold costs, the first warm-up's. */
  warm: () => Promise<ColdCosts>
  /** Starts the run. */
  go: () => void
  /** Resolves with the run's figures; rejects if the lane fails or ends first. */
  done: Promise<ModeFigures>
  /** Closes the channel, so the lane exits; SIGKILL if it has not within STOP_GRACE_MS. Idempotent. */
  stop: () => Promise<void>
}

/** From dist/, as the page's script (assets.ts): npm run build compiles it. */
const LANE_SCRIPT = join(projectRoot(), 'dist', 'harness', 'race', 'lane.js')
/** A lane that is told to go exits at once (its 'disconnect' handler): this is only a backstop. */
const STOP_GRACE_MS = 5000

/** A settled-once promise whose rejection, if nobody waits on it, is not an unhandled one. */
function deferred<T> (): { promise: Promise<T>, resolve: (value: T) => void, reject: (error: Error) => void } {
  let settle!: { resolve: (value: T) => void, reject: (error: Error) => void }
  const promise = new Promise<T>((resolve, reject) => { settle = { resolve, reject } })
  promise.catch(() => {})
  return { promise, ...settle }
}

/** Forks a lane and opens it; `onFlag` is called as each of its downloads ends. */
export function startLane (job: LaneJob, onFlag: (flag: LaneFlag) => void): LaneProcess {
  // Always the compiled lane, with no loader, even when this process runs from the sources under
  // tap's TypeScript loader: a lane that inherited the loader compiled every module again in its
  // process and in each of pooled's 20 worker threads, for seconds of CPU before the race could
  // start; beside a CPU hog, the page's sequential lane was still not done a minute after Start.
  const child = fork(LANE_SCRIPT, [job.mode], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  killOnExit(child)
  const opened = deferred<number>()
  // One warm-up at a time: the one asked last is the one waiting.
  let warmed = deferred<ColdCosts>()
  const done = deferred<ModeFigures>()
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  let failure: Error | null = null
  const fail = (error: Error): void => {
    failure ??= error
    opened.reject(error)
    warmed.reject(error)
    done.reject(error)
  }
  child.on('message', (message: FromLane) => {
    switch (message.type) {
      case 'opened': opened.resolve(message.pid); break
      case 'warmed': warmed.resolve({ startupMs: message.startupMs, coldMs: message.coldMs }); break
      case 'flag': onFlag({ cc: message.cc, outcome: message.outcome, reason: message.reason, atMs: message.atMs }); break
      case 'done': done.resolve(message.figures); break
      case 'failed': fail(new Error(`the ${job.mode} lane failed: ${message.message}`))
    }
  })
  child.on('error', error => fail(new Error(`the ${job.mode} lane's process: ${error.message}`)))
  child.on('exit', (code, signal) => {
    // Settled promises stay as they are: this only tells those still waiting.
    fail(new Error(`the ${job.mode} lane's process ended (${describeExit(code, signal)}) before its run was over`))
  })
  const send = (message: ToLane): void => {
    child.send(message, error => { if (error !== null) fail(new Error(`the ${job.mode} lane's process: ${error.message}`)) })
  }
  send({ type: 'open', job })
  return {
    mode: job.mode,
    pid: child.pid,
    opened: opened.promise,
    warm: async () => {
      if (failure !== null) throw failure
      warmed = deferred<ColdCosts>()
      send({ type: 'warm' })
      return await warmed.promise
    },
    go: () => send({ type: 'go' }),
    done: done.promise,
    stop: async () => {
      // No pid: the fork itself failed, and there is nothing to wait for.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.disconnect()
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
        await exited
        clearTimeout(timer)
      }
    }
  }
}
