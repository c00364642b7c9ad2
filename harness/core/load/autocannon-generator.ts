// autocannon as drive()'s load generator, on this thread (or its worker threads): the warm-up
// and the measured window are one autocannon run on the same connections, cut in two here.

import type autocannon from 'autocannon'
import type { GeneratorFigures, LoadGenerator, LoadWindow } from './generator.js'
import { asRequests, requestsFor } from './flag-requests.js'
import { runCannon } from './run-cannon.js'

/** A warm-up counted in requests ends by then whatever happens; the window still gets its length. */
const WARMUP_BOUND_S = 600

function percentile (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
}

function cpuSecondsSince (start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

/** What autocannon's events say of the window, from the cut on. */
class Tally {
  /** Infinity until the cut: everything before it is warm-up. */
  cut = Infinity
  /** A paced window's stop: its rate is its answers from the cut to here, whole bursts, not a connection's span. */
  pacedStop: number | null = null
  private readonly perClient = new Map<autocannon.Client, { first: number, last: number, count: number }>()
  private readonly latencies: number[] = []
  private readonly errorKinds: Record<string, number> = {}
  private warmupErrors = 0

  response (client: autocannon.Client, status: number, ms: number): void {
    const now = performance.now()
    if (now < this.cut || status < 200 || status > 299) return
    // Only requests sent after the cut: one sent before may have waited for its connection.
    if (now - ms >= this.cut) this.latencies.push(ms)
    const seen = this.perClient.get(client)
    if (seen === undefined) this.perClient.set(client, { first: now, last: now, count: 1 })
    else {
      seen.last = now
      seen.count++
    }
  }

  error (error: Error & { code?: string }): void {
    if (performance.now() < this.cut) {
      this.warmupErrors++
      return
    }
    const kind = error.code ?? error.message
    this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1
  }

  figures (non2xx: number, cpuS: number | null): GeneratorFigures {
    let rps = 0
    let answered = 0
    for (const { first, last, count } of this.perClient.values()) {
      answered += count
      if (count > 1 && last > first) rps += (count - 1) * 1000 / (last - first)
    }
    if (this.pacedStop !== null) rps = answered * 1000 / (this.pacedStop - this.cut)
    const sorted = Float64Array.from(this.latencies).sort()
    return { rps, answered, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), errorKinds: this.errorKinds, warmupErrors: this.warmupErrors, non2xx, cpuS }
  }
}

/**
 * autocannon holds a rate (overallRate) as a budget per connection per second, refilled by each
 * connection's own one-second timer from its creation and spent at once: the load comes as a
 * burst at the top of each second. So a paced window is cut in the middle of a gap between two
 * bursts and stopped durationS later, the stop landing within PACED_SAMPLE_MS (autocannon stops
 * at its next sample tick, a second away by default): it holds one whole burst a second.
 */
const BURST_PERIOD_MS = 1000
const PACED_SAMPLE_MS = 100

/** From `elapsedMs` after the connections were made, the wait until the middle of a gap between bursts. */
function untilMidGap (elapsedMs: number): number {
  return (((BURST_PERIOD_MS / 2 - elapsedMs) % BURST_PERIOD_MS) + BURST_PERIOD_MS) % BURST_PERIOD_MS
}

/**
 * Warm-up + measurement in one run on the same connections: the measurement then starts with
 * every connection open and the server's JIT warm. Opening thousands of connections at once
 * overflows the listen backlog (511 by default) and some SYNs are only retried 1 s or 3 s
 * later, which a separate warm-up run would bring back into the measurement.
 */
async function runInThread (window: LoadWindow, cut: () => void, signal: AbortSignal): Promise<GeneratorFigures> {
  const tally = new Tally()
  const timers: NodeJS.Timeout[] = []
  let cpuStart: NodeJS.CpuUsage | undefined
  const { warmup, ratePerS } = window
  // A paced window ends by the timer below, not by autocannon's duration: that is only a bound.
  const stoppedByDuration = 'seconds' in warmup && ratePerS === undefined
  const duration = (stoppedByDuration ? warmup.seconds : WARMUP_BOUND_S) + window.durationS
  const paced = ratePerS === undefined ? {} : { overallRate: ratePerS, sampleInt: PACED_SAMPLE_MS }
  const options = { url: window.url, connections: window.connections, ...requestsFor(window.paths, window.connections), ...paced }
  const { result } = await runCannon({ ...options, duration }, signal, instance => {
    // Called as autocannon returns, its connections (and their rate timers) just made.
    const madeAt = performance.now()
    const startCut = (): void => {
      tally.cut = performance.now()
      cpuStart = process.cpuUsage()
      cut()
      if (!stoppedByDuration) {
        timers.push(setTimeout(() => {
          if (ratePerS !== undefined) tally.pacedStop = performance.now()
          instance.stop()
        }, window.durationS * 1000))
      }
    }
    const cutWhenDue = ratePerS === undefined ? startCut : () => timers.push(setTimeout(startCut, untilMidGap(performance.now() - madeAt)))
    // From 'start': autocannon times the run from there, once its connections are set up.
    if ('seconds' in warmup) instance.on('start', () => timers.push(setTimeout(cutWhenDue, warmup.seconds * 1000)))
    else countWarmup(instance, warmup.requests, cutWhenDue)
    instance.on('response', (client, status, _bytes, ms) => tally.response(client, status, ms))
    instance.on('reqError', (error: Error & { code?: string }) => tally.error(error))
  })
  for (const timer of timers) clearTimeout(timer)
  return tally.figures(result.non2xx, cpuStart === undefined ? null : cpuSecondsSince(cpuStart))
}

/** Calls `done` once `requests` requests have ended, answered or not (at 'start' for none). */
function countWarmup (instance: autocannon.Instance, requests: number, done: () => void): void {
  if (requests === 0) {
    instance.on('start', done)
    return
  }
  let ended = 0
  const count = (): void => { if (++ended === requests) done() }
  instance.on('response', count)
  instance.on('reqError', count)
}

/**
 * With worker threads, answers are not reported to this thread: a separate warm-up run, then
 * autocannon's own figures (whole-run counts, latencies in whole milliseconds).
 */
async function runWithWorkers (window: LoadWindow, workers: number, cut: () => void, signal: AbortSignal): Promise<GeneratorFigures> {
  if (window.ratePerS !== undefined) throw new Error('a request rate is held on this thread only: use no autocannon worker threads')
  // Plain requests: a setupClient function (requestsFor's, past its limit) cannot go to a worker.
  const options = { url: window.url, connections: window.connections, requests: asRequests(window.paths), workers }
  const { warmup } = window
  const warm = 'seconds' in warmup ? { duration: warmup.seconds } : { amount: warmup.requests }
  if (('seconds' in warmup ? warmup.seconds : warmup.requests) > 0) {
    await runCannon({ ...options, ...warm }, signal)
  }
  cut()
  const cpuStart = process.cpuUsage()
  const { result } = await runCannon({ ...options, duration: window.durationS }, signal)
  const cpuS = cpuSecondsSince(cpuStart)
  // autocannon counts a timeout as an error too.
  const errorKinds = Object.fromEntries(Object.entries({ timeout: result.timeouts, other: result.errors - result.timeouts }).filter(([, n]) => n > 0))
  return { rps: null, answered: result['2xx'], p50Ms: result.latency.p50, p99Ms: result.latency.p99, errorKinds, warmupErrors: 0, non2xx: result.non2xx, cpuS }
}

/** autocannon in this process: its CPU is this process's. */
export function autocannonGenerator (workers = 0): LoadGenerator {
  return {
    name: 'autocannon',
    run: async (window, cut, signal) => workers > 0
      ? await runWithWorkers(window, workers, cut, signal)
      : await runInThread(window, cut, signal)
  }
}
