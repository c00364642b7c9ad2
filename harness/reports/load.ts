// npm run load's report in the terminal (--json prints load()'s object as it is).

import { LATE_MS, type OpenLoopFigures } from '../core/load/open-loop.js'
import type { LoadReport } from '../core/load/report.js'
import { KEEP_UP_SHARE, P99_GROWTH, type SweepReport, type SweepStep } from '../core/load/sweep.js'
import { formatDuration } from '../../server/contract/duration.js'
import { cells, shown, type Column } from './columns.js'
import { prose, table } from './format.js'
import { describeConfig, replicasLine } from './terminal.js'

const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'
const ratio = (n: number | null): string => n === null || !Number.isFinite(n) ? '-' : n.toFixed(3)

/**
 * A latency to three significant digits, what a percentile of a few hundred requests knows
 * (the clock itself reads below a microsecond): 1235ms, 200.6ms, 20.61ms, 712µs.
 */
export function latency (ms: number): string {
  if (!Number.isFinite(ms)) return '-'
  if (ms >= 100) return `${ms.toFixed(0)}ms`
  if (ms >= 10) return `${ms.toFixed(1)}ms`
  if (ms >= 1) return `${ms.toFixed(2)}ms`
  return `${(ms * 1000).toFixed(0)}µs`
}

const column = (header: string, cell: (r: LoadReport) => string, wide = false): Column<LoadReport> => ({ header, cell, wide })

/** The run's figures; the default view fits in 80 columns, --wide adds p90 and max. */
export const LOAD_COLUMNS: ReadonlyArray<Column<LoadReport>> = [
  column('requests', r => int(r.requests)),
  column('elapsed', r => `${(r.elapsedMs / 1000).toFixed(2)}s`),
  column('req/s', r => int(r.open?.achievedRps ?? r.throughput)),
  column('mean', r => latency(r.latencyMs.mean)),
  column('p50', r => latency(r.latencyMs.p50)),
  column('p90', r => latency(r.latencyMs.p90), true),
  column('p99', r => latency(r.latencyMs.p99)),
  column('max', r => latency(r.latencyMs.max), true),
  column('non-2xx', r => int(r.non2xx)),
  column('errors', r => int(r.errors))
]

/** A rate as the load reports write it: 250/s, 4,000.1/s. */
export const rate = (n: number): string => Number.isFinite(n) ? `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s` : '-'
const inFlight = (n: number | null): string => n === null || !Number.isFinite(n) ? '-' : n.toFixed(1)

/** The open loop's own lines: the rate, the generator's punctuality, every arrival accounted for, Little's law from the arrival side. */
function openLoopLines (report: LoadReport, open: OpenLoopFigures): string[] {
  const send = open.sendLatencyMs
  const { lateness, little } = open
  return [
    `Rate: target ${rate(open.targetRps)}, achieved ${rate(open.achievedRps)} (${ratio(open.achievedRps / open.targetRps)} of the target)`,
    'Latency above: from each request\'s intended start, its wait for a connection included (what a user waits);',
    `  from its actual send: mean ${latency(send.mean)}, p50 ${latency(send.p50)}, p99 ${latency(send.p99)}, max ${latency(send.max)}`,
    `Generator lateness: p50 ${latency(lateness.p50)}, p99 ${latency(lateness.p99)}, max ${latency(lateness.max)}; ${int(open.late)} sent more than ${LATE_MS}ms late, ${int(open.waitedForConnection)} waited for a connection (${int(report.connections)} opened, at most ${int(open.maxConnections)})`,
    `Every arrival: ${int(open.scheduled)} scheduled = ${int(report.requests)} ended + ${int(report.cut)} cut + ${int(open.dropped)} dropped (never sent: waited past the timeout, or stopped)`,
    open.warmup.ms > 0
      ? `Warm-up before them, in no figure: ${int(open.warmup.arrivals)} arrivals over ${formatDuration(open.warmup.ms)}, the rate rising from 0 to the target (the JIT warm, the connections open)`
      : 'No warm-up (--warmup 0s): the first arrivals met a cold JIT and no connection open',
    `Little's law: L = λW = ${rate(open.achievedRps)} × ${latency(report.latencyMs.mean)} = ${inFlight(little.lambdaW)} in flight; measured ${inFlight(little.measuredInFlight)}; the server's gauge ${inFlight(little.serverInFlight)}`,
    'Coordinated omission: a closed loop sends nothing while the server stalls, so the requests that would have waited are never timed; here they are.'
  ]
}

/** The closed loop's lines: the steady state and Little's law as C / W, with the bound C / L. */
function closedLoopLines (report: LoadReport): string[] {
  const out: string[] = []
  const c = int(report.connections)
  const { steady } = report
  if (steady === null) out.push('Steady state: none (no connection ended two requests); the figures below are the whole run\'s')
  else out.push(`Steady state: ${int(steady.requests)} of ${int(report.requests)} requests, each connection from its first end to its last (ramp-up ${latency(steady.rampUpMs)} and drain ${latency(steady.drainMs)} left out)`)
  const w = steady?.meanLatencyMs ?? report.latencyMs.mean
  out.push(`Little's law: C / mean latency = ${c} / ${latency(w)} = ${int(report.littlesLawRps)} req/s; measured / that = ${ratio(report.ratio)}`)
  if (report.boundRps !== null && report.fixedLatencyMs !== null) {
    out.push(`The bound:    C / L = ${c} / ${latency(report.fixedLatencyMs)} = ${int(report.boundRps)} req/s; measured / bound = ${ratio(report.boundRatio)}`)
  }
  return out
}

/** Which machine, which server and its injection; `cpu`: with the server's CPU over the run. */
function serverLines (report: LoadReport, cpu: boolean): string[] {
  const out = [`${report.seed === null ? '' : `Seed ${report.seed}, `}Node ${report.node} on ${report.cores} CPUs`]
  const serverCpu = !cpu || report.server.cpuPercent === null ? '' : `; its CPU: ${Math.round(report.server.cpuPercent)}% of a core`
  out.push(`Server: ${report.server.url}${report.server.embedded ? ', started by the load tool' : ''}${serverCpu}`)
  const injection = [describeConfig(report.server.config), report.server.note].filter(part => part !== null)
  if (injection.length > 0) out.push(`  ${injection.join('; ')}`)
  return out
}

/**
 * A report as the terminal and the HTML page both show it: the lines above its table, the table,
 * the lines below. Lines are prose, each a sentence or a figure, for the reader to wrap.
 */
export interface ReportParts {
  above: string[]
  header: string[]
  rows: string[][]
  below: string[]
}

/** The run's report; `wide`: every column. */
export function loadReportParts (report: LoadReport, wide: boolean): ReportParts {
  const above: string[] = []
  const how = report.amount !== null ? `${int(report.amount)} requests` : formatDuration(report.durationMs ?? 0)
  const { open } = report
  above.push(open === null
    ? `Load: ${int(report.connections)} connections, ${how}, round-robin over ${report.flags} flags`
    : `Load: an open loop, ${open.arrivals} arrivals at ${rate(open.targetRps)}, ${how}, round-robin over ${report.flags} flags`)
  above.push(...serverLines(report, true))
  const { fates } = report
  above.push(`Fates: drawn ${fates.drawn}, salted (${fates.saltHeader}: ${fates.salt}), so a rate is a share of the requests, every path alike`)
  if (report.replicas !== undefined) above.push(replicasLine(report.replicas))
  above.push(`Load generator (${open === null ? 'a closed' : 'an open'} loop on undici, this process): ${Math.round(report.loadCpuPercent)}% of a core`)
  const { header, rows } = cells(shown(LOAD_COLUMNS, wide), [report])
  const below: string[] = []
  const errors = Object.entries(report.errorKinds).map(([kind, n]) => `${kind} ${int(n)}`)
  if (errors.length > 0) below.push(`Errors (each held its connection, and counts in the latencies): ${errors.join(', ')}`)
  if (report.cut > 0) below.push(`Cut: ${int(report.cut)} in flight when the run stopped, counted nowhere else`)
  below.push(...(open === null ? closedLoopLines(report) : openLoopLines(report, open)))
  if (report.incomplete) below.push('INCOMPLETE: interrupted; the figures cover what ran until then')
  return { above, header, rows, below }
}

/** The prose wrapped at 80 columns (or a wider terminal's), the table as it is. */
function terminalText ({ above, header, rows, below }: ReportParts, width: number | undefined): string {
  return [prose(above, width), '', table(header, rows), '', prose(below, width)].join('\n') + '\n'
}

export function loadTerminalReport (report: LoadReport, options: { wide?: boolean, width?: number } = {}): string {
  return terminalText(loadReportParts(report, options.wide ?? false), options.width)
}

const SWEEP_HEADER = ['target', 'achieved', 'p50', 'p99', 'server loop', 'connections', 'dropped', '']

function sweepRow ({ report, serverLoopDelayMs }: SweepStep, isKnee: boolean): string[] {
  return [
    rate(report.open?.targetRps ?? NaN),
    rate(report.open?.achievedRps ?? NaN),
    latency(report.latencyMs.p50),
    latency(report.latencyMs.p99),
    serverLoopDelayMs === null ? '-' : latency(serverLoopDelayMs),
    int(report.connections),
    int(report.open?.dropped ?? NaN),
    isKnee ? '< knee' : ''
  ]
}

/** A rate sweep's report: a row per rate, the knee, the closed loop beside it; null before its first step. */
export function sweepReportParts (sweep: SweepReport): ReportParts | null {
  const first = sweep.steps[0]
  if (first === undefined) return null
  const { open } = first.report
  const how = first.report.amount !== null ? `${int(first.report.amount)} requests` : formatDuration(first.report.durationMs ?? 0)
  const above = [
    `Sweep: an open loop, ${open?.arrivals ?? 'uniform'} arrivals, ${how} a rate, round-robin over ${first.report.flags} flags`,
    ...serverLines(first.report, false)
  ]
  const below = [
    'p50, p99: from each request\'s intended start; server loop: the server\'s mean event-loop delay over the step (its /metrics).',
    `The knee: the first rate achieved below ${KEEP_UP_SHARE} of its target, or with a p99 over ${P99_GROWTH} × the first rate's.`
  ]
  const knee = sweep.knee === null ? null : sweep.steps[sweep.knee] ?? null
  if (knee === null) below.push('Knee: none; the server kept up with every rate.')
  else below.push(`Knee: ${rate(knee.report.open?.targetRps ?? NaN)}, achieved ${rate(knee.report.open?.achievedRps ?? NaN)}, p99 ${latency(knee.report.latencyMs.p99)}.`)
  const { closed } = sweep
  if (closed !== null) {
    below.push(`Closed loop beside it, ${int(closed.connections)} connections (as many as the open loop opened ${knee === null ? 'at the last rate' : 'at the knee'}): ${rate(closed.throughput)}, p50 ${latency(closed.latencyMs.p50)}, p99 ${latency(closed.latencyMs.p99)}.`)
  }
  if (sweep.steps.some(step => step.report.incomplete)) below.push('INCOMPLETE: interrupted; the figures cover what ran until then')
  return { above, header: SWEEP_HEADER, rows: sweep.steps.map((step, i) => sweepRow(step, i === sweep.knee)), below }
}

/** npm run load's report of a rate sweep in the terminal. */
export function sweepTerminalReport (sweep: SweepReport, options: { width?: number } = {}): string {
  const parts = sweepReportParts(sweep)
  if (parts === null) return prose(['Sweep: stopped before its first step'], options.width) + '\n'
  return terminalText(parts, options.width)
}
