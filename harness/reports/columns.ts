// What the reports say, defined once: the columns of each table, the notes under a mode, the
// legends. The terminal and the HTML page render the same definitions, so they cannot drift.

import type { ModeFigures } from '../core/figures.js'
import type { LoopTiming } from '../core/loop-monitor.js'
import type { StoppedIn } from '../core/result.js'
import type { SweepPoint } from '../core/sweep.js'
import { known, millis, ratio, seconds } from './format.js'

/**
 * A column: its heading and how a row fills its cell, side by side so the two cannot part. A
 * wide column is left out of the terminal's default view, which fits in 80 columns, and shown
 * with --wide; the page shows every column.
 */
export interface Column<T> {
  header: string
  cell: (row: T) => string
  /** Only with --wide in the terminal. */
  wide: boolean
  /** The cell in the terminal's default view, when it says less than `cell`. */
  brief?: (row: T) => string
}

const column = <T>(header: string, cell: (row: T) => string, wide = false): Column<T> => ({ header, cell, wide })

/** The terminal's columns: the default view's (brief cells, no wide column), or every one in full with --wide. */
export function shown<T> (columns: ReadonlyArray<Column<T>>, wide: boolean): ReadonlyArray<Column<T>> {
  return wide ? columns : columns.filter(c => !c.wide).map(c => ({ ...c, cell: c.brief ?? c.cell }))
}

/** The median, and with --repeat the range over the runs. */
function elapsedCell (m: ModeFigures): string {
  if (m.runsMs.length === 1) return seconds(m.elapsedMs)
  return `${seconds(m.elapsedMs)} (${seconds(Math.min(...m.runsMs))}-${seconds(Math.max(...m.runsMs))})`
}

function workersBusy (m: ModeFigures): string {
  return m.workerUtilization === null || m.workerUtilization.length === 0
    ? '-'
    : `${ratio(Math.min(...m.workerUtilization))}-${ratio(Math.max(...m.workerUtilization))}`
}

/** The loop's own figures, the machine's holds taken out, where the OS says them; as met otherwise. */
export function loopOwn (m: ModeFigures): LoopTiming {
  return m.eventLoop.machine?.own ?? m.eventLoop
}

/**
 * Each mode's timing and counts. The default view keeps what carries the lesson: elapsed against
 * the ideal and sequential, what came back, and p50 (each request still takes its delay: the
 * modes differ in how many wait at once); --wide adds the runs' range, the rate and the tail.
 */
export const MODE_COLUMNS: ReadonlyArray<Column<ModeFigures>> = [
  column('mode', m => m.mode),
  column('conc', m => String(m.concurrency)),
  // The runs' range is wide: the default view gives the median alone.
  { ...column('elapsed', elapsedCell), brief: m => seconds(m.elapsedMs) },
  column('ideal', m => known(m.idealMs, seconds)),
  column('effic', m => known(m.efficiency, ratio)),
  column('speedup', m => m.speedup === null ? '-' : `${m.speedup.toFixed(1)}x`),
  column('ok', m => String(m.ok)),
  column('404', m => String(m.notFound)),
  column('err', m => String(m.errors)),
  column('req/s', m => m.requestsPerSecond.toFixed(1), true),
  column('p50', m => millis(m.latencyMs.p50)),
  column('p90', m => millis(m.latencyMs.p90), true),
  column('p99', m => millis(m.latencyMs.p99), true),
  column('max', m => millis(m.latencyMs.max), true)
]

/** What each mode's main thread went through, and what it held; --wide adds the threads and the main heap. */
export const LOOP_COLUMNS: ReadonlyArray<Column<ModeFigures>> = [
  column('event loop', m => m.mode),
  column('bound', m => m.bound ?? '-'),
  column('p50', m => millis(loopOwn(m).delayP50Ms)),
  column('p99', m => millis(loopOwn(m).delayP99Ms)),
  column('max', m => millis(loopOwn(m).delayMaxMs)),
  column('busy', m => ratio(loopOwn(m).utilization)),
  // The machine's noise floor beside them: what was taken out.
  column('held', m => known(m.eventLoop.machine?.heldShare ?? null, ratio)),
  column('workers busy', workersBusy),
  column('threads', m => String(m.threads), true),
  // A process pool's workers have memory of their own: shown after the harness's, summed.
  column('rss peak', m => `${m.memory.rssPeakMb.toFixed(0)}${m.memory.workersRssMb === null ? '' : `+${m.memory.workersRssMb.toFixed(0)}`}MB`),
  // The main thread's heap only: worker threads have heaps of their own (rss counts them all).
  column('main heap', m => `${m.memory.heapPeakMb.toFixed(0)}MB`, true)
]

/** --sweep: one row per mode and concurrency. */
export const SWEEP_COLUMNS: ReadonlyArray<Column<SweepPoint>> = [
  column('mode conc', p => `${p.mode} ${p.concurrency}`),
  column('elapsed', p => seconds(p.elapsedMs)),
  column('ideal', p => known(p.idealMs, seconds)),
  column('speedup', p => `${p.speedup.toFixed(1)}x`),
  column('little', p => known(p.idealSpeedup, s => `${s.toFixed(1)}x`)),
  column('effic', p => known(p.efficiency, ratio)),
  column('err', p => String(p.errors))
]

/** The header row and the cells of a table, for any renderer. */
export function cells<T> (columns: ReadonlyArray<Column<T>>, rows: readonly T[]): { header: string[], rows: string[][] } {
  return { header: columns.map(c => c.header), rows: rows.map(row => columns.map(c => c.cell(row))) }
}

/** What a mode's figures need said: why it has no ideal, its pool start-up, its errors by reason, whether it was cut. */
export function modeNotes (m: ModeFigures, codes: number): string[] {
  const notes: string[] = []
  if (m.idealUnknown !== null) notes.push(`no ideal: ${m.idealUnknown}`)
  if (m.startupMs !== null) notes.push(`pool start-up ${seconds(m.startupMs)}, not in elapsed`)
  if (m.coldMs !== null) notes.push(`first run (cold, not measured) ${seconds(m.coldMs)}`)
  const reasons = Object.entries(m.errorReasons).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([reason, n]) => `${n} ${reason}`)
  if (reasons.length > 0) notes.push(`errors: ${reasons.join(', ')}`)
  if (!m.complete) notes.push(`INCOMPLETE: ${m.notRun} of ${codes} codes not run`)
  return notes
}

/** Under the tables: what the figures mean. */
export const LEGENDS: readonly string[] = [
  'ideal: the shortest elapsed time this mode\'s schedule allows: each request waits what the server says it injected (Server-Timing) or the timeout if sooner, or, failing before any answer, what it measured; then its CPU work; effic = ideal / elapsed; - where the server does not say',
  'bound: what dominates the ideal, the waits (io) or the CPU work over the threads that can run it (cpu)',
  'event loop: how long the main thread kept a callback waiting (p50, p99 of the run\'s moments; max, its longest block), and the share of the run it was busy (0-1), its own: held, the share of the run the OS kept it waiting for a core (the machine\'s noise, measured in the same run), is taken out; --json has both',
  'rss peak: the harness process\'s peak resident memory, its threads included; +N: a process pool\'s workers, summed as they stood after a run (the largest)'
]

/** How the runs were made: warmed up or cold, and which fates they met. */
export function runsLine (report: { seed: number | null, warmup: number, freshFates: boolean }): string {
  const warm = report.warmup === 0
    ? 'the first run measured, cold (--cold), as the book\'s scripts do'
    : `each mode warmed up first (${report.warmup} run${report.warmup === 1 ? '' : 's'}; the first, cold, timed apart)`
  const fates = report.freshFates
    ? 'new delays and faults for each run, run k the same for every mode (--fresh-fates)'
    : `the same delays and faults for every run of every mode${report.seed === null ? '' : ` (seed ${report.seed})`}; --fresh-fates draws new ones each run`
  return `Runs: ${warm}; ${fates}`
}

export function sweepTitle (sequentialMs: number): string {
  return `Sweep: speedup over sequential (${seconds(sequentialMs)}) against Little's law (the ideal speedup at that concurrency)`
}

/** "sequential, its warm-up run (not measured)", "async 20, run 2 of 3": where a cut run was. */
function stoppedInText (at: StoppedIn): string {
  const mode = at.mode === 'sequential' ? at.mode : `${at.mode} ${at.concurrency}`
  if (at.warmup) return `${mode}, warm-up run ${at.index + 1} of ${at.of} (not measured)`
  if (at.of === 1) return `${mode}, its measured run`
  return `${mode}, run ${at.index + 1} of ${at.of}${at.leftOut ? `, left out (the figures are of the ${at.index} before it)` : ''}`
}

/** The banner of a run that was cut: Ctrl-C, or the server lost on the way; where, and what the figures cover. */
export function incompleteRun (report: { serverLost: string | null, stoppedIn: StoppedIn | null, modes: readonly unknown[] }): string {
  const why = report.serverLost === null ? '' : ` (${report.serverLost})`
  const where = report.stoppedIn === null ? '' : ` Stopped in ${stoppedInText(report.stoppedIn)}.`
  const covered = report.modes.length === 0 ? ' No mode finished a measured run: nothing to show.' : ' The figures cover only what was measured before it was cut.'
  return `INCOMPLETE RUN${why}.${where}${covered}`
}

/** The client-side knobs of a run, when any was turned. */
export function clientKnobs (report: { cpuWorkMs: number, syncSave: boolean }): string[] {
  return [
    report.cpuWorkMs > 0 ? `${millis(report.cpuWorkMs)} of CPU work after each download` : null,
    report.syncSave ? 'saved with writeFileSync' : null
  ].filter(knob => knob !== null)
}
