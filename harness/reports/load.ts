// npm run load's report: the one plain object --json prints, and its terminal form.

import type { LoadFigures } from '../core/load/little.js'
import { formatDuration } from '../../server/contract/duration.js'
import { millis, table } from './format.js'
import { describeConfig } from './terminal.js'

export interface LoadReport extends LoadFigures {
  command: string
  /** True when Ctrl-C (or SIGTERM) cut the run short: the figures cover what ran. */
  incomplete: boolean
  connections: number
  durationMs: number | null
  amount: number | null
  flags: number
  seed: number | null
  /** The fixed injected latency L behind boundRps, or null when the latency is not fixed. */
  fixedLatencyMs: number | null
  /**
   * How the server drew the fates: per request, from its seed, the path and the salt header sent
   * with each request (connection k's i-th request, both from 0, carries "k.i"), so a fault rate
   * is a share of the requests, every path alike, and one seed with one --amount draws the same.
   */
  fates: { drawn: 'per request', saltHeader: string, salt: string }
  server: {
    url: string
    embedded: boolean
    config: Record<string, string> | null
    note: string | null
    /** The embedded server's CPU time over the run, in % of one core; null for another server. */
    cpuPercent: number | null
  }
  /** This process's CPU time over the run (autocannon's), in % of one core: near 100, it is the bottleneck. */
  loadCpuPercent: number
  node: string
  cores: number
}

const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'
const ratio = (n: number | null): string => n === null || !Number.isFinite(n) ? '-' : n.toFixed(3)

export function loadTerminalReport (report: LoadReport): string {
  const out: string[] = []
  const how = report.amount !== null ? `${int(report.amount)} requests` : formatDuration(report.durationMs ?? 0)
  out.push(`Load: ${int(report.connections)} connections, ${how}, round-robin over ${report.flags} flags`)
  out.push(`${report.seed === null ? '' : `Seed ${report.seed}, `}Node ${report.node} on ${report.cores} CPUs`)
  out.push(`Server: ${report.server.url}${report.server.embedded ? ', started by the load tool' : ''}${report.server.cpuPercent === null ? '' : `; its CPU: ${Math.round(report.server.cpuPercent)}% of a core`}`)
  const injection = [describeConfig(report.server.config), report.server.note].filter(part => part !== null)
  if (injection.length > 0) out.push(`  ${injection.join('; ')}`)
  const { fates } = report
  out.push(`Fates: drawn ${fates.drawn}, salted (${fates.saltHeader}: ${fates.salt}), so a rate is a share of the requests, every path alike`)
  out.push(`Load generator (autocannon, this process): ${Math.round(report.loadCpuPercent)}% of a core`)
  out.push('')
  const l = report.latencyMs
  out.push(table(
    ['requests', 'elapsed', 'req/s', 'mean', 'p50', 'p90', 'p99', 'max', 'non-2xx', 'errors'],
    [[int(report.requests), `${(report.elapsedMs / 1000).toFixed(2)}s`, int(report.throughput), millis(l.mean), millis(l.p50), millis(l.p90), millis(l.p99), millis(l.max), int(report.non2xx), int(report.errors)]]
  ))
  out.push('')
  const c = int(report.connections)
  out.push(`Little's law: C / mean latency = ${c} / ${millis(l.mean)} = ${int(report.littlesLawRps)} req/s; measured / that = ${ratio(report.ratio)}`)
  if (report.boundRps !== null && report.fixedLatencyMs !== null) {
    out.push(`The bound:    C / L = ${c} / ${millis(report.fixedLatencyMs)} = ${int(report.boundRps)} req/s; measured / bound = ${ratio(report.boundRatio)}`)
  }
  if (report.incomplete) out.push('INCOMPLETE: interrupted; the figures cover what ran until then')
  return out.join('\n') + '\n'
}
