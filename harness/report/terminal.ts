// The report for people: a header that says what was measured, one table row per mode, then
// the book's own closing lines for each mode (flags2_common.final_report).

import { describeInjection, NO_INJECTION, parseInjection } from '../../server/config.js'
import type { ModeFigures } from '../figures.js'
import type { HarnessReport, Sweep } from './report.js'
import { millis, seconds, table } from './table.js'
import { timeline } from './timeline.js'

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
export function describeConfig (config: Record<string, string> | null): string | null {
  if (config === null) return null
  try {
    return describeInjection(parseInjection(config, NO_INJECTION, name => name))
  } catch {
    // A server of another version: show what it said, as it said it.
    return Object.entries(config).map(([name, value]) => `${name} ${value}`).join(', ')
  }
}

function elapsedCell (m: ModeFigures): string {
  if (m.runsMs.length === 1) return seconds(m.elapsedMs)
  return `${seconds(m.elapsedMs)} (${seconds(Math.min(...m.runsMs))}-${seconds(Math.max(...m.runsMs))})`
}

function sweepTable (sweep: Sweep): string {
  const rows = sweep.concurrencies.flatMap(c => sweep.points.filter(p => p.concurrency === c).map(p => [
    `${p.mode} ${p.concurrency}`, seconds(p.elapsedMs), seconds(p.idealMs), `${p.speedup.toFixed(1)}x`, `${p.idealSpeedup.toFixed(1)}x`, p.efficiency.toFixed(2), String(p.errors)
  ]))
  return [
    `Sweep: speedup over sequential (${seconds(sweep.sequentialMs)}) against Little's law (the ideal speedup at that concurrency)`,
    table(['mode conc', 'elapsed', 'ideal', 'speedup', 'little', 'effic', 'err'], rows)
  ].join('\n')
}

export function terminalReport (report: HarnessReport, options: { timeline: boolean } = { timeline: false }): string {
  const out: string[] = []
  const { server, machine } = report
  out.push(`Flag harness: ${codesLine(report.codes)}`)
  out.push(`Seed ${report.seed ?? 'unknown'}, Node ${machine.node} on ${machine.cpus} CPUs (${machine.platform})`)
  out.push(`Server: ${server.url}${server.embedded ? ', started by the harness' : ''}`)
  const injection = [describeConfig(server.config), server.note].filter(part => part !== null)
  if (injection.length > 0) out.push(`  ${injection.join('; ')}`)
  const knobs = [report.cpuWorkMs > 0 ? `${millis(report.cpuWorkMs)} of CPU work after each download` : null, report.syncSave ? 'saved with writeFileSync' : null].filter(k => k !== null)
  if (knobs.length > 0) out.push(`Client: ${knobs.join(', ')}`)
  out.push('')
  const rows = report.modes.map(m => [
    m.mode, String(m.concurrency), elapsedCell(m), seconds(m.idealMs), m.efficiency.toFixed(2),
    m.speedup === null ? '-' : `${m.speedup.toFixed(1)}x`, String(m.ok), String(m.notFound), String(m.errors),
    m.requestsPerSecond.toFixed(1), millis(m.latencyMs.p50), millis(m.latencyMs.p90), millis(m.latencyMs.p99), millis(m.latencyMs.max)
  ])
  out.push(table(['mode', 'conc', 'elapsed', 'ideal', 'effic', 'speedup', 'ok', '404', 'err', 'req/s', 'p50', 'p90', 'p99', 'max'], rows))
  out.push('')
  const busy = (m: ModeFigures): string => m.workerUtilization === null || m.workerUtilization.length === 0
    ? '-'
    : `${Math.min(...m.workerUtilization).toFixed(2)}-${Math.max(...m.workerUtilization).toFixed(2)}`
  out.push(table(['event loop', 'bound', 'delay p50', 'p99', 'max', 'busy', 'workers busy', 'threads', 'rss peak', 'heap peak'], report.modes.map(m => [
    m.mode, m.bound, millis(m.eventLoop.delayP50Ms), millis(m.eventLoop.delayP99Ms), millis(m.eventLoop.delayMaxMs), m.eventLoop.utilization.toFixed(2),
    busy(m), String(m.threads), `${m.memory.rssPeakMb.toFixed(0)}MB`, `${m.memory.heapPeakMb.toFixed(0)}MB`
  ])))
  out.push('')
  for (const m of report.modes) {
    const notes: string[] = []
    if (m.startupMs !== null) notes.push(`pool start-up ${seconds(m.startupMs)}, not in elapsed`)
    const reasons = Object.entries(m.errorReasons).sort(([, a], [, b]) => b - a).map(([reason, n]) => `${n} ${reason}`)
    if (reasons.length > 0) notes.push(`errors: ${reasons.join(', ')}`)
    if (!m.complete) notes.push(`INCOMPLETE: ${m.notRun} of ${report.codes.length} codes not run`)
    if (notes.length > 0) out.push(`${m.mode}: ${notes.join('; ')}`)
  }
  out.push('ideal: the shortest elapsed time possible at that concurrency with the delays the server injected; effic = ideal / elapsed')
  out.push('bound: what sets the ideal, the injected delays (io) or the CPU work over the threads that can run it (cpu);')
  out.push('  event loop: how late the main thread\'s timers fired, and the share of the run it was busy (0-1)')
  if (report.sweep !== null) out.push('', sweepTable(report.sweep))
  if (options.timeline) for (const m of report.modes) out.push('', timeline(m))
  for (const m of report.modes) out.push('', `${m.mode}:`, bookClosingLines(m))
  if (report.incomplete) out.push('', `INCOMPLETE RUN${report.serverLost === null ? '' : ` (${report.serverLost})`}: the figures above cover only what was measured before it was cut.`)
  return out.join('\n') + '\n'
}
