// A set of durations in ms, read from performance.now() (sub-microsecond) and kept whole, so
// the percentiles are exact and `max` is the largest measured; past LATENCIES_KEPT, a uniform
// sample of that size (Algorithm R), while the mean, deviation and max stay exact.

import type { LatencyFigures } from './little.js'

/** Kept whole up to here (8 bytes each). */
const LATENCIES_KEPT = 4_000_000

function percentile (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  // Nearest rank: the smallest value with at least p of the values at or below it.
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN
}

export class LatencySample {
  private values = new Float64Array(1024)
  private seen = 0
  private sum = 0
  private sumSquares = 0
  private max = -Infinity

  add (ms: number): void {
    const i = this.seen++
    this.sum += ms
    this.sumSquares += ms * ms
    this.max = Math.max(this.max, ms)
    if (i < LATENCIES_KEPT) {
      if (i === this.values.length) {
        const grown = new Float64Array(Math.min(LATENCIES_KEPT, 2 * i))
        grown.set(this.values)
        this.values = grown
      }
      this.values[i] = ms
    } else {
      const j = Math.floor(Math.random() * (i + 1))
      if (j < LATENCIES_KEPT) this.values[j] = ms
    }
  }

  get mean (): number {
    return this.seen === 0 ? NaN : this.sum / this.seen
  }

  figures (): LatencyFigures {
    const n = this.seen
    const mean = this.mean
    const sorted = this.values.slice(0, Math.min(n, LATENCIES_KEPT)).sort()
    return {
      mean,
      stddev: n === 0 ? NaN : Math.sqrt(Math.max(0, this.sumSquares / n - mean * mean)),
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: n === 0 ? NaN : this.max
    }
  }
}
