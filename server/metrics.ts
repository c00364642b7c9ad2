// Per-site counters in Prometheus text format. Written by hand: four series do not need a
// client library, and the hot path is a Map increment.

/** Injected delay buckets, seconds: spans the LOCAL site (0) to the default --max-latency (30 s). */
const DELAY_BUCKETS_S = [0, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30]

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

  start (): void {
    this.inFlight++
  }

  /** A request is over: answered with a status, or 'none' when a fault or the client cut it first. */
  finish (route: string, status: number | 'none'): void {
    this.inFlight--
    let byStatus = this.responses.get(route)
    if (byStatus === undefined) this.responses.set(route, byStatus = new Map())
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
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
    lines.push('# HELP flags_injected_delay_seconds Injected delay before each answer.', '# TYPE flags_injected_delay_seconds histogram')
    let cumulative = 0
    DELAY_BUCKETS_S.forEach((le, i) => {
      cumulative += this.delayCounts[i] ?? 0
      lines.push(`flags_injected_delay_seconds_bucket{le="${le}"} ${cumulative}`)
    })
    cumulative += this.delayCounts[DELAY_BUCKETS_S.length] ?? 0
    lines.push(
      `flags_injected_delay_seconds_bucket{le="+Inf"} ${cumulative}`,
      `flags_injected_delay_seconds_sum ${Number(this.delaySumS.toFixed(6))}`,
      `flags_injected_delay_seconds_count ${cumulative}`,
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

function escapeLabel (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}
