// --sweep: speedup against concurrency, next to what Little's law allows. With N requests of
// equal delay the best speedup at concurrency C is min(C, N); with unequal delays it is the
// simulated ideal of the same dispatch order.

import type { ModeFigures } from './figures.js'
import type { SweptMode } from './modes/registry.js'

/** One point of --sweep: a mode at one concurrency. */
export interface SweepPoint {
  mode: SweptMode
  concurrency: number
  elapsedMs: number
  /** Null when the server did not say what it injected (ModeFigures.idealUnknown). */
  idealMs: number | null
  /** The sequential run's elapsed time over this one's. */
  speedup: number
  /** Little's law: the best speedup at this concurrency, from the simulated ideal (min(C, N) for equal delays). */
  idealSpeedup: number | null
  efficiency: number | null
  errors: number
}

export interface Sweep {
  concurrencies: number[]
  /** The sequential run every speedup is measured against. */
  sequentialMs: number
  points: SweepPoint[]
}

const round = (value: number): number => Math.round(value * 1000) / 1000

export function sweepPoint (mode: SweepPoint['mode'], concurrency: number, measured: ModeFigures, sequential: ModeFigures): SweepPoint {
  return {
    mode,
    concurrency,
    elapsedMs: measured.elapsedMs,
    idealMs: measured.idealMs,
    speedup: measured.elapsedMs > 0 ? round(sequential.elapsedMs / measured.elapsedMs) : 0,
    idealSpeedup: measured.idealMs === null || sequential.idealMs === null ? null : measured.idealMs > 0 ? round(sequential.idealMs / measured.idealMs) : 0,
    efficiency: measured.efficiency,
    errors: measured.errors
  }
}

/** 1..50 → the 1-2-5 series within it: 1, 2, 5, 10, 20, 50. */
export function expandSweepRange (from: number, to: number): number[] {
  const values: number[] = []
  for (let decade = 1; decade <= to; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = step * decade
      if (value >= from && value <= to) values.push(value)
    }
  }
  return values
}
