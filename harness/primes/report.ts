// What npm run primes prints: the book's lines while a mode runs, then the table of all of
// them against the ideal, and what the figures say about Node next to Python.

import { millis, ratio, seconds, table } from '../reports/format.js'
import type { ModeFigures } from './figures.js'
import type { PrimesMode, PrimesRun } from './modes.js'
import type { CheckResult } from './tasks.js'

/** The book's line, f'{n:16}  {label} {elapsed:9.6f}s'. */
export function bookLine (result: CheckResult): string {
  return `${result.n.padStart(16)}  ${result.prime ? 'P' : ' '} ${(result.ms / 1000).toFixed(6).padStart(9)}s`
}

/** The line before a mode's results, in the book's words where it has a twin. */
export function modeTitle (mode: PrimesMode, count: number, workers: number): string {
  const how: Record<PrimesMode, string> = {
    sequential: 'sequentially',
    'event-loop': `as ${count} async tasks on one event loop`,
    threads: `with ${workers} threads`,
    processes: `with ${workers} processes`
  }
  return `Checking ${count} numbers ${how[mode]}:`
}

/** The book's closing line (sequential.py's, or procs.py's), and a pool's start-up, which it does not count. */
export function modeEnd (run: PrimesRun): string {
  const total = run.mode === 'sequential' ? `Total time: ${seconds(run.elapsedMs)}` : `${run.checks.length} checks in ${seconds(run.elapsedMs)}`
  return run.startupMs === null ? total : `${total} (pool start-up ${seconds(run.startupMs)}, apart)`
}

/** The shape of npm run primes's --json document; a change that breaks a reader bumps it. */
export const PRIMES_SCHEMA_VERSION = 1

/** The table's columns; the last, the pools' start-up (said under each mode too), only with --wide. */
const COLUMNS: Array<[string, (m: ModeFigures) => string, boolean]> = [
  ['mode', m => m.mode, false],
  ['lanes', m => String(m.lanes), false],
  ['elapsed', m => seconds(m.elapsedMs), false],
  ['ideal', m => seconds(m.idealMs), false],
  ['effic', m => ratio(m.efficiency), false],
  ['speedup', m => m.speedup === null ? '-' : `${m.speedup.toFixed(1)}x`, false],
  ['CPU', m => seconds(m.cpuMs), false],
  ['cores', m => ratio(m.coresUsed), false],
  ['loop max', m => m.loopMaxMs >= 1000 ? seconds(m.loopMaxMs) : millis(m.loopMaxMs), false],
  ['start-up', m => m.startupMs === null ? '-' : seconds(m.startupMs), true]
]

/** The table of every mode: 80 columns by default, every column with `wide` (--wide). */
export function summaryTable (modes: readonly ModeFigures[], wide = false): string {
  const columns = COLUMNS.filter(([, , onlyWide]) => wide || !onlyWide)
  return table(columns.map(([name]) => name), modes.map(m => columns.map(([, cell]) => cell(m))))
}

export const LEGEND = [
  'lanes: checks that can run at once; ideal: max(longest check, work / min(lanes, cores)); effic: ideal / elapsed',
  'CPU: every thread of this process, and the pool\'s children; cores: CPU / elapsed; loop max: the main loop\'s longest freeze',
  'start-up: the pool\'s workers all ready, before the clock starts'
]

/** The work the ideals stand on. */
export function workLine (modes: readonly ModeFigures[], cores: number): string {
  const work = modes[0]?.work
  if (work === undefined) return ''
  const whose = work.basis === 'sequential' ? 'the sequential run\'s check times' : 'each mode\'s own check times (no sequential run)'
  return `Work: ${seconds(work.totalMs)} of checks in all, the longest ${seconds(work.longestMs)} (${whose}); ${cores} cores`
}

const find = (modes: readonly ModeFigures[], mode: PrimesMode): ModeFigures | undefined => modes.find(m => m.mode === mode)
const speedup = (m: ModeFigures): string => m.speedup === null ? '' : ` (${m.speedup.toFixed(1)}x)`

/** What the figures say, next to what the book's Python does, for each mode that ran. */
export function lessonNotes (modes: readonly ModeFigures[]): string[] {
  const notes: string[] = []
  const loop = find(modes, 'event-loop')
  if (loop !== undefined) {
    notes.push(`event-loop: one thread, so the checks run one after another as in sequential${speedup(loop)}; concurrency without parallelism gains nothing on CPU-bound work, and the loop froze for ${seconds(loop.loopMaxMs)} (asyncio alike: spinner_prime_async_broken.py).`)
  }
  const threads = find(modes, 'threads')
  if (threads !== undefined) {
    notes.push(`threads: worker threads run JavaScript in parallel, each its own V8 isolate and event loop, no GIL: ${ratio(threads.coresUsed)} cores busy${speedup(threads)}. CPython's threads.py holds the GIL and is no faster than sequential.py.`)
  }
  const processes = find(modes, 'processes')
  if (processes !== undefined) {
    const startups = [threads, processes].filter(m => m?.startupMs != null).map(m => `${m?.mode} ${seconds(m?.startupMs ?? 0)}`).join(', ')
    notes.push(`processes: parallel too${speedup(processes)}, as procs.py in Python, but each worker is a whole Node process, slower to start (${startups}) and fed through a pipe.`)
  }
  return notes
}
