// A rate sweep: one open-loop run per arrival rate, on one server, to find the knee where it
// saturates — the first rate it no longer keeps up with — and one closed-loop run after, to set
// the best rate a closed loop reaches beside it. Each step also reads the server's event-loop
// delay before and after it (its /metrics), so the class sees what saturated: the server's loop,
// or something it waits on.

import { openTarget, type Target } from '../target.js'
import { loadOn, type LoadJobOptions, type LoadListeners } from './load.js'
import type { LoadReport } from './report.js'
import { meanLoopDelayMs, readLoopDelay } from './server-gauge.js'

/** Below this share of its target rate, a step did not keep up. */
export const KEEP_UP_SHARE = 0.95
/** Above this many times the first step's p99, a step's requests queued. */
export const P99_GROWTH = 10

export interface SweepOptions extends Omit<LoadJobOptions, 'open' | 'connections'> {
  /** Arrival rates, increasing: one step each. */
  rates: readonly number[]
  arrivals: NonNullable<LoadJobOptions['open']>['arrivals']
  maxConnections: number
  /** Each step's warm-up (open-loop.ts). */
  warmupMs: number
}

export interface SweepStep {
  /** The open loop's report at this step's rate (its `open` is never null). */
  report: LoadReport
  /** The server's mean event-loop delay over the step, in ms; null when it has no such figure. */
  serverLoopDelayMs: number | null
}

export interface SweepReport {
  steps: SweepStep[]
  /** The index of the first step that did not keep up; null when every one did. */
  knee: number | null
  /**
   * A closed loop after the sweep, with as many connections as the open loop had opened at the
   * knee (at the last step when there is none): the rate that concurrency reaches when each
   * connection waits for its answer; null when the sweep was stopped first.
   */
  closed: LoadReport | null
}

export interface StepFigures {
  targetRps: number
  achievedRps: number
  p99Ms: number
}

/**
 * The knee: the first step whose achieved rate falls below KEEP_UP_SHARE of its target, or
 * whose p99 (from the intended start) passes P99_GROWTH times the first step's.
 */
export function findKnee (steps: readonly StepFigures[]): number | null {
  const first = steps[0]
  if (first === undefined) return null
  const knee = steps.findIndex(step => step.achievedRps < KEEP_UP_SHARE * step.targetRps || step.p99Ms > P99_GROWTH * first.p99Ms)
  return knee === -1 ? null : knee
}

const figuresOf = ({ report }: SweepStep): StepFigures => ({
  targetRps: report.open?.targetRps ?? NaN,
  achievedRps: report.open?.achievedRps ?? NaN,
  p99Ms: report.latencyMs.p99
})

/** What happens during sweep(); every listener is optional. */
export interface SweepListeners extends LoadListeners {
  /** A step begins: the open loop at `ratePerS`, or the closed loop (null) at the end. */
  step?: (ratePerS: number | null) => void
}

/**
 * The whole sweep on one server. Rejects with a TargetError when the server cannot be used;
 * resolves with null when the signal aborted before the first step, else with what ran.
 */
export async function sweep (options: SweepOptions, listeners: SweepListeners = {}): Promise<SweepReport | null> {
  const { rates, arrivals, maxConnections, warmupMs, ...job } = options
  const target: Target = await openTarget(options)
  try {
    const codes = await target.listCodes()
    if (options.signal.aborted) return null
    listeners.start?.({ target, codes })
    const { origin } = new URL(target.baseUrl)
    const steps: SweepStep[] = []
    for (const ratePerS of rates) {
      if (options.signal.aborted) break
      listeners.step?.(ratePerS)
      const before = await readLoopDelay(origin)
      const report = await loadOn(target, codes, { ...job, connections: 1, open: { ratePerS, arrivals, maxConnections, warmupMs } }, listeners)
      steps.push({ report, serverLoopDelayMs: meanLoopDelayMs(before, await readLoopDelay(origin)) })
    }
    const knee = findKnee(steps.map(figuresOf))
    const at = steps[knee ?? steps.length - 1]
    let closed: LoadReport | null = null
    if (at !== undefined && !options.signal.aborted) {
      listeners.step?.(null)
      closed = await loadOn(target, codes, { ...job, connections: Math.max(1, at.report.connections), open: null }, listeners)
    }
    return { steps, knee, closed }
  } finally {
    await target.stop()
  }
}
