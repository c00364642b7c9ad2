// The report for people: a header that says what was measured, the tables of figures, then the
// book's own closing lines for each mode (flags2_common.final_report).

import type { ModeFigures } from '../core/figures.js'
import type { ReplicaFigures } from '../core/replicas.js'
import type { HarnessReport, ReportHeader } from '../core/result.js'
import { describeInjectionText } from '../../server/contract/injection.js'
import { TEXT_WIDTH } from '../../server/contract/text.js'
import { cells, clientKnobs, incompleteRun, LEGENDS, LOOP_COLUMNS, MODE_COLUMNS, modeNotes, runsLine, shown, SWEEP_COLUMNS, sweepTitle, type Column } from './columns.js'
import { prose, table } from './format.js'
import { timelines } from './timeline.js'

function codesLine (codes: readonly string[]): string {
  const plural = codes.length === 1 ? '' : 's'
  return codes.length <= 10 ? `${codes.length} flag${plural}: ${codes.join(', ')}` : `${codes.length} flags, from ${codes[0]} to ${codes.at(-1)}`
}

/** flags2_common.final_report, word for word. */
export function bookClosingLines (figures: ModeFigures): string {
  const lines = ['-'.repeat(20), `${String(figures.ok).padStart(3)} flag${figures.ok === 1 ? '' : 's'} downloaded.`]
  if (figures.notFound > 0) lines.push(`${String(figures.notFound).padStart(3)} not found.`)
  if (figures.errors > 0) lines.push(`${String(figures.errors).padStart(3)} error${figures.errors === 1 ? '' : 's'}.`)
  lines.push(`Elapsed time: ${(figures.elapsedMs / 1000).toFixed(2)}s`)
  return lines.join('\n')
}

/** "latency 500ms..5s, error-rate 418:0.25": what differs from no injection, as the server prints it. */
export function describeConfig (config: Readonly<Record<string, string>> | null): string | null {
  return config === null ? null : describeInjectionText(config)
}

const percent = (part: number, whole: number): string => whole > 0 ? `${Math.round(100 * part / whole)}%` : '-'

/**
 * The server as replicas, in one line: how many answered, each one's share of the requests (as
 * the client sent them, or else as each replica's /metrics counted them), their /metrics summed.
 */
export function replicasLine (replicas: ReplicaFigures): string {
  const sent = replicas.shares.every(share => share.requests !== null)
  const counts = replicas.shares.map(share => ({ address: share.address, n: share.requests ?? share.served?.requests ?? 0 }))
  const all = counts.reduce((sum, { n }) => sum + n, 0)
  const shares = counts.map(({ address, n }) => `${address} ${n.toLocaleString('en-US')} (${percent(n, all)})`).join(', ')
  const { served } = replicas
  const faults = served === null ? [] : Object.entries(served.faults).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n.toLocaleString('en-US')}`)
  const metrics = served === null
    ? 'a replica\'s /metrics did not answer'
    : `their /metrics summed: ${served.requests.toLocaleString('en-US')} flag requests, ${faults.length === 0 ? 'no faults' : `faults ${faults.join(', ')}`}, ${served.inFlight.toLocaleString('en-US')} in flight after`
  return `Replicas: ${replicas.answered} of ${replicas.shares.length} answered, connections dealt round robin; requests ${sent ? 'sent' : 'served'} ${shares}; ${metrics}`
}

function textTable<T> (columns: ReadonlyArray<Column<T>>, rows: readonly T[]): string {
  const { header, rows: body } = cells(columns, rows)
  return table(header, body)
}

export interface TerminalOptions {
  /** --timeline: each mode's requests as bars. */
  timeline: boolean
  /** --wide: every column; by default the tables fit in 80 columns. */
  wide: boolean
  /** Where prose wraps: 80, or a wider terminal's width. */
  width: number
  /** Leave out the header: it was printed as the run started (headerText). */
  headerShown: boolean
}

/** Under the tables of the default view: where the rest is. */
function narrowNote (report: HarnessReport): string {
  const repeats = Math.max(0, ...report.modes.map(m => m.runsMs.length))
  const median = repeats > 1 ? `elapsed is the median of ${repeats} runs; ` : ''
  return `${median}--wide adds the runs' range, req/s, p90, p99, max, threads and main heap; --json has every figure`
}

/** What was measured, where and how: known before the first request, so printed as the run starts. */
export function headerText (header: ReportHeader, width = TEXT_WIDTH): string {
  const { server, machine } = header
  const injection = [describeConfig(server.config), server.note].filter(part => part !== null)
  const knobs = clientKnobs(header)
  return prose([
    `Flag harness: ${codesLine(header.codes)}`,
    `Seed ${header.seed ?? 'unknown'}, Node ${machine.node} on ${machine.cpus} CPUs (${machine.platform})`,
    `Server: ${server.url}${server.embedded ? ', started by the harness' : ''}`,
    ...(injection.length > 0 ? [`  ${injection.join('; ')}`] : []),
    ...(knobs.length > 0 ? [`Client: ${knobs.join(', ')}`] : []),
    runsLine(header)
  ], width)
}

export function terminalReport (report: HarnessReport, options: Partial<TerminalOptions> = {}): string {
  const wide = options.wide ?? false
  const width = options.width ?? TEXT_WIDTH
  const out: string[] = []
  if (options.headerShown !== true) out.push(headerText(report, width))
  if (report.modes.length > 0) {
    out.push('', textTable(shown(MODE_COLUMNS, wide), report.modes), '', textTable(shown(LOOP_COLUMNS, wide), report.modes), '')
    const notes = report.modes.flatMap(m => {
      const said = modeNotes(m, report.codes.length)
      return said.length > 0 ? [`${m.mode}: ${said.join('; ')}`] : []
    })
    out.push(prose([...notes, ...LEGENDS, ...(wide ? [] : [narrowNote(report)])], width))
  }
  if (report.sweep !== null) out.push('', prose([sweepTitle(report.sweep.sequentialMs)], width), textTable(SWEEP_COLUMNS, report.sweep.points))
  if (options.timeline === true && report.modes.length > 0) out.push('', timelines(report.modes, width))
  if (report.replicas !== undefined) out.push('', prose([replicasLine(report.replicas)], width))
  for (const m of report.modes) out.push('', `${m.mode}:`, bookClosingLines(m))
  if (report.incomplete) out.push('', prose([incompleteRun(report)], width))
  return out.join('\n') + '\n'
}
