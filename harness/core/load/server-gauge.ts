// The flag server's own figures, read from its /metrics (server/metrics.ts). Its count of
// requests in flight, sampled through a run and averaged: Little's L as the server saw it, set
// beside the generator's λW; replicas' gauges are summed. Its event-loop delay, read before and
// after a sweep's step: how late its loop ran while the step drove it. A server without them
// gives null.

import { request } from 'undici'

/** The gauge's line in the Prometheus text of GET /metrics. */
const GAUGE = /^flags_requests_in_flight (\d+)$/m
/** Often enough for a few hundred samples over a run of seconds; each costs the server one request. */
const EVERY_MS = 50

export function serverInFlight (origins: readonly string[]): { start: () => void, stop: () => Promise<number | null> } {
  const samples: number[] = []
  let missing = false
  let timer: NodeJS.Timeout | undefined
  let reading: Promise<void> = Promise.resolve()
  const readOne = async (origin: string): Promise<number | null> => {
    try {
      const res = await request(`${origin}/metrics`)
      const match = GAUGE.exec(await res.body.text())
      // The sampling request is itself in flight as the server counts.
      return match?.[1] === undefined ? null : Number(match[1]) - 1
    } catch {
      return null
    }
  }
  const read = async (): Promise<void> => {
    const gauges = await Promise.all(origins.map(readOne))
    if (gauges.some(n => n === null)) missing = true
    else samples.push(gauges.reduce<number>((sum, n) => sum + (n ?? 0), 0))
  }
  const sample = (): void => {
    reading = read()
    timer = setTimeout(sample, EVERY_MS)
  }
  return {
    start: sample,
    stop: async () => {
      clearTimeout(timer)
      await reading
      return missing || samples.length === 0 ? null : samples.reduce((sum, n) => sum + n, 0) / samples.length
    }
  }
}

/** The loop-delay summary's running sum and count (server/loop-delay.ts), in seconds and ticks. */
const LOOP_SUM = /^flags_event_loop_delay_seconds_sum (\S+)$/m
const LOOP_COUNT = /^flags_event_loop_delay_seconds_count (\d+)$/m

export interface LoopDelayReading {
  sumS: number
  count: number
}

/** The server's loop-delay summary now; null when it has none (another server, or unreachable). */
export async function readLoopDelay (origin: string): Promise<LoopDelayReading | null> {
  try {
    const text = await (await request(`${origin}/metrics`)).body.text()
    const sum = LOOP_SUM.exec(text)?.[1]
    const count = LOOP_COUNT.exec(text)?.[1]
    return sum === undefined || count === undefined ? null : { sumS: Number(sum), count: Number(count) }
  } catch {
    return null
  }
}

/** The mean delay of the ticks between two readings, in ms: how late the loop ran in that window. */
export function meanLoopDelayMs (before: LoopDelayReading | null, after: LoopDelayReading | null): number | null {
  if (before === null || after === null || after.count <= before.count) return null
  return 1000 * (after.sumS - before.sumS) / (after.count - before.count)
}
