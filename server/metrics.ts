// Per-site counters in Prometheus text format. Written by hand: a few series do not need a
// client library, and the hot path is a Map increment and an array increment.

import { LoopDelay } from './loop-delay.js'

/** Injected delay buckets, seconds: spans the LOCAL site (0) to the default --max-latency (30 s). */
const DELAY_BUCKETS_S = [0, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30]

/**
 * Response-time buckets, seconds: Prometheus's defaults from 1 ms, with 0.2 and 0.25 added so that
 * the lab's usual fixed 200 ms latency lands in a bucket of its own, and 30 s (the default
 * --max-latency) on top.
 */
const RESPONSE_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const RESPONSE_BUCKETS_MS = RESPONSE_BUCKETS_S.map(s => s * 1000)

export class SiteMetrics {
  inFlight = 0
  /** Answers by route, then by status: two lookups, no key string built per request. */
  private readonly responses = new Map<string, Map<number | 'none', number>>()
  private readonly faults = new Map<string, number>()
  /** Connections open now, on every listener of the site (connections.ts). */
  connectionsOpen = 0
  private readonly dropped = new Map<string, number>()
  private readonly delayCounts = new Array<number>(DELAY_BUCKETS_S.length + 1).fill(0)
  private delaySumS = 0
  /** Per bucket, not cumulative: an answer adds one to one slot; render() sums them. */
  private readonly responseCounts = new Array<number>(RESPONSE_BUCKETS_S.length + 1).fill(0)
  private responseSumMs = 0
  private readonly loopDelay = new LoopDelay()

  /** `timedRoute`: the route whose answers flags_response_seconds times (the flags'). */
  constructor (private readonly timedRoute: string) {}

  start (): void {
    this.inFlight++
  }

  /**
   * A request is over, `tookMs` after it arrived: answered with a status, or 'none' when a fault
   * or the client cut it first (then it is not timed: it has no answer).
   */
  finish (route: string, status: number | 'none', tookMs: number): void {
    this.inFlight--
    let byStatus = this.responses.get(route)
    if (byStatus === undefined) this.responses.set(route, byStatus = new Map())
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
    if (route !== this.timedRoute || status === 'none') return
    let i = 0
    while (i < RESPONSE_BUCKETS_MS.length && tookMs > (RESPONSE_BUCKETS_MS[i] as number)) i++
    this.responseCounts[i] = (this.responseCounts[i] ?? 0) + 1
    this.responseSumMs += tookMs
  }

  /** The site is closed: its loop-delay monitor's timer goes. */
  stop (): void {
    this.loopDelay.stop()
  }

  countFault (kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1)
  }

  /** A connection the server closed to protect itself: 'max-connections' (refused) or 'no-progress' (a stalled reader). */
  countDropped (reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1)
  }

  observeDelay (ms: number): void {
    const s = ms / 1000
    let i = DELAY_BUCKETS_S.findIndex(le => s <= le)
    if (i === -1) i = DELAY_BUCKETS_S.length
    this.delayCounts[i] = (this.delayCounts[i] ?? 0) + 1
    this.delaySumS += s
  }

  render (): string {
    const lines = [
      '# HELP flags_requests_total Requests answered, by route and status ("none" when a fault sent no status).',
      '# TYPE flags_requests_total counter'
    ]
    const answered = [...this.responses].flatMap(([route, byStatus]) => [...byStatus].map(([status, count]) => ({ route, status: String(status), count })))
    answered.sort((a, b) => a.route < b.route ? -1 : a.route > b.route ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0)
    for (const { route, status, count } of answered) lines.push(`flags_requests_total{route="${escapeLabel(route)}",status="${status}"} ${count}`)
    lines.push('# HELP flags_faults_injected_total Injected faults, by kind.', '# TYPE flags_faults_injected_total counter')
    for (const [kind, count] of [...this.faults].sort()) lines.push(`flags_faults_injected_total{kind="${kind}"} ${count}`)
    lines.push(
      '# HELP flags_injected_delay_seconds Injected delay before each answer.',
      ...histogram('flags_injected_delay_seconds', DELAY_BUCKETS_S, this.delayCounts, this.delaySumS),
      '# HELP flags_response_seconds Flag requests answered, from their arrival to the answer written out.',
      ...histogram('flags_response_seconds', RESPONSE_BUCKETS_S, this.responseCounts, this.responseSumMs / 1000),
      ...this.loopDelay.render(),
      '# HELP flags_requests_in_flight Requests received and not yet answered.',
      '# TYPE flags_requests_in_flight gauge',
      `flags_requests_in_flight ${this.inFlight}`,
      '# HELP flags_connections_open Connections open now.',
      '# TYPE flags_connections_open gauge',
      `flags_connections_open ${this.connectionsOpen}`,
      '# HELP flags_connections_dropped_total Connections the server closed to protect itself, by reason.',
      '# TYPE flags_connections_dropped_total counter'
    )
    for (const [reason, count] of [...this.dropped].sort()) lines.push(`flags_connections_dropped_total{reason="${reason}"} ${count}`)
    return lines.join('\n') + '\n'
  }
}

/** A histogram's TYPE line and series, from its per-bucket counts (the last one past every bound). */
function histogram (name: string, bounds: readonly number[], counts: readonly number[], sumS: number): string[] {
  const lines = [`# TYPE ${name} histogram`]
  let cumulative = 0
  bounds.forEach((le, i) => {
    cumulative += counts[i] ?? 0
    lines.push(`${name}_bucket{le="${le}"} ${cumulative}`)
  })
  cumulative += counts[bounds.length] ?? 0
  lines.push(`${name}_bucket{le="+Inf"} ${cumulative}`, `${name}_sum ${Number(sumS.toFixed(6))}`, `${name}_count ${cumulative}`)
  return lines
}

function escapeLabel (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}
