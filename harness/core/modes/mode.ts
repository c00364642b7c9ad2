// What every mode gets and gives back. A mode only decides how downloadOne is scheduled.
// A mode is opened once (its clients, its pool) and run once or more: a warm-up run then warms
// the connections and the JIT of every mode alike.

import type { DownloadOptions } from '../download.js'
import { watchLoop, type LoopFigures, type LoopSample, type MemoryFigures } from '../loop-monitor.js'
import { wallClockMs, type RequestRecord } from '../record.js'
import type { ReplicaSpread } from '../replicas.js'

export interface ModeContext {
  /** The flags' base URL, e.g. http://127.0.0.1:8000/flags */
  baseUrl: string
  /** Country codes in dispatch order. */
  codes: readonly string[]
  /** Requests at once: 1 for sequential, the workers of a pool, the semaphore for async (registry.ts, concurrencyOf). */
  concurrency: number
  download: DownloadOptions
  /** Ctrl-C: stop handing out requests, cut those in flight. */
  interrupt: AbortSignal
  /** The addresses baseUrl's host resolves to, when several: connections are dealt over them round robin. */
  replicas?: ReplicaSpread
}

/** Called as each request completes, in completion order (progress, --verbose). */
export type OnRecord = (record: RequestRecord) => void

export interface ModeSession {
  /** One run over every code; `salt` (x-flags-salt) draws fates other than the path's own, null for those. */
  run: (onRecord: OnRecord, salt: string | null) => Promise<ModeRun>
  close: () => Promise<void>
}

export interface ModeRun {
  /** In completion order. */
  records: RequestRecord[]
  startMs: number
  endMs: number
  /** Pool start-up, measured apart from the downloads (pooled and processes only). */
  startupMs: number | null
  /** The worker processes' resident memory summed, at the end of the run (processes only). */
  workersRssMb: number | null
  /** The harness's main thread during the run. */
  eventLoop: LoopFigures
  memory: MemoryFigures
  loopSamples: LoopSample[]
  /** Each worker's event-loop utilization during the run (pooled and processes only). */
  workerUtilization: number[] | null
}

/** Collects records as they complete; the clock and the loop watch start when it is made. */
export function recorder (onRecord: OnRecord): { add: (record: RequestRecord) => void, finish: (pooled?: Pick<ModeRun, 'startupMs' | 'workerUtilization' | 'workersRssMb'>) => ModeRun } {
  const records: RequestRecord[] = []
  const watch = watchLoop()
  const startMs = wallClockMs()
  return {
    add: record => {
      records.push(record)
      onRecord(record)
    },
    finish: pooled => {
      const endMs = wallClockMs()
      const { eventLoop, memory, samples } = watch.stop()
      return { records, startMs, endMs, startupMs: pooled?.startupMs ?? null, workerUtilization: pooled?.workerUtilization ?? null, workersRssMb: pooled?.workersRssMb ?? null, eventLoop, memory, loopSamples: samples }
    }
  }
}
