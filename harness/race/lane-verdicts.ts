// What a race can say about its lanes: how much faster each would be with nothing but the
// server's waits and the CPU work (its ideal speedup), and which lane beat which beyond the
// run-to-run spread, so that the page never ranks two lanes by noise.
//
// The rule, from the ideal-relative overhead: a lane's time is its ideal (what the server
// injected and the CPU work, the same fates in every lane) plus an overhead (the client's own
// cost, the machine's other load, the lanes' contention for the cores), and that overhead is what
// changes from one race to the next: in another race the lane could finish anywhere from its
// ideal to well past this race's time. So a lane is ranked ahead of another only when it
// finished before the other's ideal, the least the other could have taken with no overhead at
// all; otherwise the two are within the spread. Two lanes with the same ideal (pooled and async
// without CPU work) are never ranked: the race cannot tell them apart, which is the lesson.

import type { ModeName } from '../core/modes/registry.js'

export interface LaneTime {
  mode: ModeName
  elapsedMs: number
  /** Null when the server did not say what it injected (no Server-Timing). */
  idealMs: number | null
}

/** `ahead`: the lane that finished before the other's ideal; 'spread' when neither did; 'unknown' without both ideals. */
export interface Verdict {
  modes: [ModeName, ModeName]
  ahead: ModeName | 'spread' | 'unknown'
}

function verdict (a: LaneTime, b: LaneTime): Verdict {
  const modes: [ModeName, ModeName] = [a.mode, b.mode]
  if (a.idealMs === null || b.idealMs === null) return { modes, ahead: 'unknown' }
  if (a.elapsedMs < b.idealMs) return { modes, ahead: a.mode }
  if (b.elapsedMs < a.idealMs) return { modes, ahead: b.mode }
  return { modes, ahead: 'spread' }
}

/** Every pair of lanes, in the order given (a before b when a comes first). */
export function verdicts (lanes: readonly LaneTime[]): Verdict[] {
  return lanes.flatMap((a, i) => lanes.slice(i + 1).map(b => verdict(a, b)))
}

/** Sequential's ideal over the lane's: its speedup with nothing but the waits and the work; null without both. */
export function idealSpeedup (sequential: LaneTime | undefined, lane: LaneTime): number | null {
  if (sequential?.idealMs == null || lane.idealMs === null || lane.idealMs === 0) return null
  return Math.round(sequential.idealMs / lane.idealMs * 1000) / 1000
}
