// What a load driver saw, request by request, turned into the load report's figures. Every
// request that ended counts — answered (any status), failed or timed out: each held its
// connection for its time. Latencies are read from performance.now() (sub-microsecond), kept
// whole, so the percentiles are exact and `max` is the largest measured.
//
// The steady state: each connection from its first ended request to its last. Its first
// request also opened the connection (the ramp-up), and once a connection has no more to send
// the others go on without it (the drain tail of --amount): both are left out, and shown.

import { LatencySample } from './latency-sample.js'
import { littlesLaw, type LoadFigures } from './little.js'

export type RequestOutcome = { status: number, bytes: number } | { error: 'timeout' | string }

interface ConnectionSpan {
  firstEnd: number
  lastEnd: number
  /** Requests ended after the first: the steady state's. */
  steady: number
}

export class LoadTally {
  private started = Infinity
  private lastEnd = -Infinity
  private readonly spans = new Map<number, ConnectionSpan>()
  private readonly latencies = new LatencySample()
  private steadySum = 0
  private ok = 0
  private non2xx = 0
  private timeouts = 0
  private readonly errorKinds: Record<string, number> = {}
  private bytes = 0
  private cut = 0

  /** A request of `connection` sent at `startMs` ended at `endMs` (performance.now()). */
  ended (connection: number, startMs: number, endMs: number, outcome: RequestOutcome): void {
    this.started = Math.min(this.started, startMs)
    this.lastEnd = Math.max(this.lastEnd, endMs)
    const ms = endMs - startMs
    this.latencies.add(ms)
    if ('error' in outcome) {
      if (outcome.error === 'timeout') this.timeouts++
      this.errorKinds[outcome.error] = (this.errorKinds[outcome.error] ?? 0) + 1
    } else {
      if (outcome.status >= 200 && outcome.status <= 299) this.ok++
      else this.non2xx++
      this.bytes += outcome.bytes
    }
    const span = this.spans.get(connection)
    if (span === undefined) this.spans.set(connection, { firstEnd: endMs, lastEnd: endMs, steady: 0 })
    else {
      span.lastEnd = endMs
      span.steady++
      this.steadySum += ms
    }
  }

  /** The mean latency so far, of every request that ended. */
  get meanLatencyMs (): number {
    return this.latencies.mean
  }

  /** A request in flight when the run was stopped: it never ended, so it is counted apart. */
  wasCut (): void {
    this.cut++
  }

  /** The figures for `connections` connections; `boundMs`, the least latency a request can take when it is fixed. */
  figures (connections: number, boundMs: number | null): LoadFigures {
    const requests = this.ok + this.non2xx + Object.values(this.errorKinds).reduce((sum, n) => sum + n, 0)
    const elapsedMs = requests === 0 ? 0 : this.lastEnd - this.started
    const latencyMs = this.latencies.figures()
    const spans = [...this.spans.values()]
    const steadyRequests = spans.reduce((sum, span) => sum + span.steady, 0)
    // Each connection's own rate over its own span, summed: the rate of C connections all busy.
    const steadyRps = spans.reduce((sum, { firstEnd, lastEnd, steady }) => steady > 0 && lastEnd > firstEnd ? sum + steady * 1000 / (lastEnd - firstEnd) : sum, 0)
    const steady = steadyRequests === 0
      ? null
      : {
          requests: steadyRequests,
          meanLatencyMs: this.steadySum / steadyRequests,
          rampUpMs: Math.max(...spans.map(span => span.firstEnd)) - this.started,
          drainMs: this.lastEnd - Math.min(...spans.map(span => span.lastEnd))
        }
    const wholeRunRps = elapsedMs > 0 ? requests * 1000 / elapsedMs : 0
    return {
      requests,
      ok: this.ok,
      non2xx: this.non2xx,
      errors: requests - this.ok - this.non2xx,
      timeouts: this.timeouts,
      errorKinds: { ...this.errorKinds },
      cut: this.cut,
      elapsedMs,
      bytesPerSecond: elapsedMs > 0 ? this.bytes * 1000 / elapsedMs : 0,
      latencyMs,
      steady,
      ...littlesLaw(connections, steady === null ? wholeRunRps : steadyRps, steady?.meanLatencyMs ?? latencyMs.mean, boundMs)
    }
  }
}
