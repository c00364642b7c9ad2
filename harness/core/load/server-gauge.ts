// The flag server's own count of requests in flight (its /metrics gauge, server/metrics.ts),
// sampled through a run and averaged: Little's L as the server saw it, set beside the
// generator's λW. A server without the gauge gives null; replicas' gauges are summed.

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
