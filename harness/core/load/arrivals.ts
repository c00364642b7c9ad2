// When the open loop's requests arrive: evenly spaced at the rate, or a Poisson process (the
// gaps drawn from an exponential distribution of mean 1/rate) from a seed, so that one seed gives
// one schedule on every run.

export const ARRIVAL_KINDS = ['uniform', 'poisson'] as const
export type ArrivalKind = typeof ARRIVAL_KINDS[number]

/** mulberry32: 32 bits of state, enough for a schedule, and the same numbers on every platform. */
function seededRandom (seed: number): () => number {
  // A seed may use 53 bits: both halves go into the 32-bit state.
  let state = ((seed % 2 ** 32) ^ Math.floor(seed / 2 ** 32)) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/**
 * The arrivals' offsets in ms from the schedule's start, one per call, the first at 0: i / rate
 * for `uniform`; for `poisson`, each gap −ln(1 − u) / rate with u uniform in [0, 1).
 */
export function arrivalOffsets (kind: ArrivalKind, ratePerS: number, seed: number): () => number {
  const gapMs = 1000 / ratePerS
  if (kind === 'uniform') {
    // Multiplied, not summed: no rounding error builds up over millions of arrivals.
    let i = 0
    return () => i++ * gapMs
  }
  const random = seededRandom(seed)
  let next = 0
  return () => {
    const now = next
    next += -Math.log(1 - random()) * gapMs
    return now
  }
}

/**
 * The warm-up's arrivals before a schedule at `ratePerS`: the rate rising evenly from 0 to
 * `ratePerS` over `rampMs`, uniform. The arrivals by t are then λt²/2T (λ per ms), so the k-th
 * (from 0) is due at √(2Tk/λ), and there are ⌈λT/2⌉ before T. Offsets in ms, one per call, then
 * null.
 */
export function rampOffsets (ratePerS: number, rampMs: number): () => number | null {
  const perMs = ratePerS / 1000
  let k = 0
  return () => {
    const offset = Math.sqrt(2 * rampMs * k / perMs)
    if (offset >= rampMs) return null
    k++
    return offset
  }
}
