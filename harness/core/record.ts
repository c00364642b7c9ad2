// What one request came to. Records are plain data: they cross from worker threads by
// structured clone and go into the JSON report as they are.

export type Outcome = 'ok' | 'not-found' | 'error'

export interface RequestRecord {
  /** Upper case, as the book prints it. */
  cc: string
  outcome: Outcome
  /** The HTTP status, when one arrived. */
  status: number | null
  /** Why an error is one: http-418, timeout, reset, truncated, refused, interrupted... */
  reason: string | null
  /** Wall-clock epoch ms (timeOrigin + now), comparable across worker threads. */
  startMs: number
  endMs: number
  /** The delay the server says it injected (Server-Timing), when it said so. */
  injectedDelayMs: number | null
  /** For a slow body, how long the server says it takes to send it after the delay (Server-Timing). */
  injectedBodyMs: number | null
  /** The fault the server says it injected (Server-Timing desc), when it said so. */
  fault: string | null
  bytes: number
}

/** Epoch milliseconds with sub-millisecond resolution, on the same clock in every thread. */
export function wallClockMs (): number {
  return performance.timeOrigin + performance.now()
}
