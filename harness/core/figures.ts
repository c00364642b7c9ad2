// From the runs of a mode to the figures the report shows: elapsed over the repeats, the ideal
// bound, counts by outcome, latency percentiles and rates.

import { idealMakespan, type IdealRequest, type Slots } from './ideal.js'
import type { LoopFigures, LoopSample, MemoryFigures } from './loop-monitor.js'
import type { ModeRun } from './modes/mode.js'
import type { ModeName } from './modes/registry.js'
import type { RequestRecord } from './record.js'

export interface RequestFigure {
  cc: string
  outcome: RequestRecord['outcome']
  status: number | null
  reason: string | null
  /** From the start of the mode's run, ms. */
  startMs: number
  endMs: number
  injectedDelayMs: number | null
}

export interface ModeFigures {
  mode: ModeName
  concurrency: number
  /** Median over the measured runs. */
  elapsedMs: number
  runsMs: number[]
  startupMs: number | null
  /** The first, unmeasured run: the cold one (connections, JIT, each worker's first request); null without a warm-up. */
  coldMs: number | null
  /** The makespan of this mode's schedule with nothing but the injected waits and the CPU work (ideal.ts); null when idealUnknown says why. */
  idealMs: number | null
  /** Why there is no ideal: the server did not say what it injected. */
  idealUnknown: string | null
  /** What dominates it: the waits (io) or the CPU work over the slots that can run it (cpu). */
  bound: 'io' | 'cpu' | null
  /** The same schedule without the CPU work: the waits alone. */
  ioIdealMs: number | null
  /** The CPU work over the threads that can run it at once: one loop, or min(workers, cores). */
  cpuBoundMs: number
  /** Over sequential's median, when sequential ran. */
  speedup: number | null
  /** ideal / elapsed: 1 is perfect; null without an ideal. */
  efficiency: number | null
  ok: number
  notFound: number
  errors: number
  errorReasons: Record<string, number>
  requestsPerSecond: number
  /** Over every measured run's requests, exact (nearest rank): the records hold each time. */
  latencyMs: { p50: number, p90: number, p99: number, max: number }
  /** Codes never dispatched because the run was cut (Ctrl-C, or the server died). */
  notRun: number
  complete: boolean
  /** The harness's main thread during the median run. */
  eventLoop: LoopFigures
  /** Peaks over every measured run; workersRssMb, the worker processes' resident memory summed (processes mode). */
  memory: MemoryFigures & { workersRssMb: number | null }
  /** Threads running JavaScript: the main one, plus each worker (a thread, or a process's main thread). */
  threads: number
  /** Each worker's event-loop utilization during the median run (pooled). */
  workerUtilization: number[] | null
  /** The main thread's loop delay over the median run, for the HTML report. */
  loopSamples: LoopSample[]
  /** The median run's requests, in dispatch order. */
  requests: RequestFigure[]
}

/** What the ideal needs to know of the mode: the CPU work per request, and its slots. */
export interface Schedule {
  workMs: number
  slots: Slots
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] ?? 0 : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/**
 * A request on an ideal client: it waits what the server injected (the delay, and a slow body's
 * time), or the client's timeout if that comes first, then does its CPU work if the download
 * succeeded. A failure before any header (a reset, a hang, a refused connection) has no
 * Server-Timing: the client's own wait stands in, the timeout for a timeout, the measured time
 * otherwise (no CPU work follows a failure, so that time holds none).
 */
function idealRequest (record: RequestRecord, timeoutMs: number, workMs: number): IdealRequest {
  const waitMs = record.injectedDelayMs !== null
    ? Math.min(timeoutMs, record.injectedDelayMs + (record.injectedBodyMs ?? 0))
    : record.reason === 'timeout' ? timeoutMs : record.endMs - record.startMs
  return { waitMs, workMs: record.outcome === 'ok' ? workMs : 0 }
}

/**
 * A response without Server-Timing comes from a server that does not say what it injected (any
 * --server URL not ours). Its measured time holds its CPU work and its queueing behind the
 * other requests' work, which no schedule can take apart, so there is no honest ideal.
 */
const NO_SERVER_TIMING = 'the server sent no Server-Timing, so what it injected is unknown'

const untimed = (record: RequestRecord): boolean => record.status !== null && record.injectedDelayMs === null

/** The value below which a share p of the sorted values lie, nearest rank; 0 for none. */
function percentileOf (sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(p / 100 * sorted.length) - 1)] ?? 0
}

/** To the microsecond: wallClockMs's resolution. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000

/** Every code answered or failed on its own, none cut by an interrupt. */
export function wholeRun (codes: readonly string[], records: readonly RequestRecord[]): boolean {
  return codes.length === records.length && records.every(record => record.reason !== 'interrupted')
}

export function modeFigures (mode: ModeName, concurrency: number, codes: readonly string[], runs: readonly ModeRun[], timeoutMs: number, schedule: Schedule, coldMs: number | null = null): ModeFigures {
  const elapsed = runs.map(run => run.endMs - run.startMs)
  const elapsedMs = median(elapsed)
  // The run whose elapsed time is the median one stands for the mode in counts and requests.
  const byElapsed = [...runs].sort((a, b) => (a.endMs - a.startMs) - (b.endMs - b.startMs))
  const chosen = byElapsed[Math.floor((byElapsed.length - 1) / 2)]
  const records = chosen?.records ?? []
  const byCode = new Map(records.map(record => [record.cc, record]))
  const dispatched = codes.filter(cc => byCode.has(cc)).map(cc => byCode.get(cc) as RequestRecord)

  const latencies = runs.flatMap(run => run.records.map(record => record.endMs - record.startMs)).sort((a, b) => a - b)
  const percentile = (p: number): number => round(percentileOf(latencies, p))

  const errorReasons: Record<string, number> = {}
  for (const record of records) if (record.reason !== null) errorReasons[record.reason] = (errorReasons[record.reason] ?? 0) + 1
  const startMs = chosen?.startMs ?? 0
  const ideal = dispatched.map(record => idealRequest(record, timeoutMs, schedule.workMs))
  const idealUnknown = dispatched.some(untimed) ? NO_SERVER_TIMING : null
  const idealMs = idealUnknown === null ? idealMakespan(ideal, schedule.slots) : null
  const ioIdealMs = idealUnknown === null ? idealMakespan(ideal.map(r => ({ ...r, workMs: 0 })), schedule.slots) : null
  const cpuBoundMs = ideal.reduce((sum, r) => sum + r.workMs, 0) / schedule.slots.cpu
  return {
    mode,
    concurrency,
    elapsedMs: round(elapsedMs),
    runsMs: elapsed.map(round),
    startupMs: chosen?.startupMs === null || chosen === undefined ? null : round(chosen.startupMs),
    coldMs: coldMs === null ? null : round(coldMs),
    idealMs: idealMs === null ? null : round(idealMs),
    idealUnknown,
    bound: ioIdealMs === null ? null : cpuBoundMs > 0 && cpuBoundMs >= ioIdealMs ? 'cpu' : 'io',
    ioIdealMs: ioIdealMs === null ? null : round(ioIdealMs),
    cpuBoundMs: round(cpuBoundMs),
    speedup: null,
    efficiency: idealMs === null ? null : elapsedMs > 0 ? round(idealMs / elapsedMs) : 1,
    ok: records.filter(r => r.outcome === 'ok').length,
    notFound: records.filter(r => r.outcome === 'not-found').length,
    errors: records.filter(r => r.outcome === 'error').length,
    errorReasons,
    requestsPerSecond: elapsedMs > 0 ? round(records.length / (elapsedMs / 1000)) : 0,
    latencyMs: { p50: percentile(50), p90: percentile(90), p99: percentile(99), max: percentile(100) },
    notRun: codes.length - records.length,
    complete: wholeRun(codes, records),
    eventLoop: chosen?.eventLoop ?? { delayP50Ms: 0, delayP99Ms: 0, delayMaxMs: 0, utilization: 0, machine: null },
    memory: {
      rssPeakMb: Math.max(0, ...runs.map(run => run.memory.rssPeakMb)),
      heapPeakMb: Math.max(0, ...runs.map(run => run.memory.heapPeakMb)),
      workersRssMb: runs.some(run => run.workersRssMb !== null) ? Math.max(...runs.map(run => run.workersRssMb ?? 0)) : null
    },
    threads: 1 + (chosen?.workerUtilization?.length ?? 0),
    workerUtilization: chosen?.workerUtilization ?? null,
    loopSamples: chosen?.loopSamples ?? [],
    requests: dispatched.map(r => ({
      cc: r.cc,
      outcome: r.outcome,
      status: r.status,
      reason: r.reason,
      startMs: round(r.startMs - startMs),
      endMs: round(r.endMs - startMs),
      injectedDelayMs: r.injectedDelayMs
    }))
  }
}

/** Fill in each mode's speedup over sequential, when sequential ran. */
export function withSpeedups (modes: ModeFigures[]): ModeFigures[] {
  const sequential = modes.find(m => m.mode === 'sequential')
  return modes.map(m => ({ ...m, speedup: sequential === undefined || m.elapsedMs === 0 ? null : round(sequential.elapsedMs / m.elapsedMs) }))
}
