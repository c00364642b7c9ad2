// What npm run primes prints: the book's lines while a mode runs, then the table of all of
// them against the ideal, and what the figures say about Node next to Python.

import { millis, ratio, seconds, table } from '../reports/format.js'
import type { BookPrograms } from './book-python.js'
import { bookTotalMs, type ModeFigures, type SideBySide } from './figures.js'
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
    procs: `with ${workers} processes`,
    'proc-pool': `with ${workers} processes`
  }
  return `Checking ${count} numbers ${how[mode]}:`
}

/** Which closing line each mode's twin prints: sequential.py's and proc_pool.py's, or threads.py's and procs.py's. */
const CLOSING: Record<PrimesMode, 'total time' | 'checks in'> = {
  sequential: 'total time',
  'event-loop': 'checks in',
  threads: 'checks in',
  procs: 'checks in',
  'proc-pool': 'total time'
}

/** The book's closing line for the mode, a pool's start-up in it as in the book's, and said apart. */
export function modeEnd (run: PrimesRun): string {
  const time = seconds(bookTotalMs(run))
  const total = CLOSING[run.mode] === 'total time' ? `Total time: ${time}` : `${run.checks.length} checks in ${time}`
  return run.startupMs === null ? total : `${total} (pool start-up ${seconds(run.startupMs)} of it)`
}

/** The shape of npm run primes's --json document; a change that breaks a reader bumps it. */
export const PRIMES_SCHEMA_VERSION = 2

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
  'lanes: checks that can run at once; elapsed: the checks alone, no start-up; ideal: max(longest check, work / min(lanes, cores)); effic: ideal / elapsed',
  'CPU: every thread of this process, and the pool\'s children; cores: CPU / elapsed; loop max: the main loop\'s longest freeze',
  'start-up: the pool\'s workers all ready, in the closing lines above as in the book\'s, not in elapsed; every lane then checks one number, untimed, so no mode meets a cold JIT'
]

const times = (value: number | null): string => value === null ? '-' : `${value.toFixed(2)}x`

/** The book's Python programs beside ours, one row each, and what the figures are. */
export function pythonTable (rows: readonly SideBySide[], book: BookPrograms, count: number): string[] {
  return [
    table(['program', 'python3', 'ours', 'py/ours', 'py speedup', 'our speedup', 'answers'], rows.map(row => [
      row.program, seconds(row.pythonMs), seconds(row.oursMs), times(row.oursMs > 0 ? row.pythonMs / row.oursMs : null),
      times(row.pythonSpeedup), times(row.oursSpeedup), row.agrees ? 'same' : 'DIFFER'
    ])),
    '',
    'Both sides are the closing lines, a pool\'s start-up in both; speedup: sequential.py\'s over the program\'s.',
    `The book's programs from ${book.dir}, run unchanged by ${book.version} with primes.py's NUMBERS set to these ${count} numbers, on this machine, each right after its twin here.`
  ]
}

/** The work the ideals stand on. */
export function workLine (modes: readonly ModeFigures[], cores: number): string {
  const work = modes[0]?.work
  if (work === undefined) return ''
  const whose = work.basis === 'sequential' ? 'the sequential run\'s check times' : 'each mode\'s own check times (no sequential run)'
  return `Work: ${seconds(work.totalMs)} of checks in all, the longest ${seconds(work.longestMs)} (${whose}); ${cores} cores`
}

const find = (modes: readonly ModeFigures[], mode: PrimesMode): ModeFigures | undefined => modes.find(m => m.mode === mode)

/**
 * Differences within this share are read as none: on a shared machine, two runs of the same
 * checks differ by about this much (more when another process takes a core for a while).
 */
export const NOISE = 0.1

/** How a mode's elapsed compares with sequential's, in words that follow from its speedup. */
function comparedWithSequential (m: ModeFigures): string {
  if (m.speedup === null) return 'no sequential run to compare with'
  const times = `${m.speedup.toFixed(1)}x`
  if (m.speedup > 1 + NOISE) return `${times} faster than sequential`
  if (m.speedup < 1 / (1 + NOISE)) return `slower than sequential (${times})`
  return `no faster than sequential (${times})`
}

/** Whether the cores were used at once, from CPU time over elapsed time. */
function coresLine (m: ModeFigures): string {
  return `${ratio(m.coresUsed)} cores busy${m.coresUsed > 1 + NOISE ? ': checks ran at once' : ''}`
}

/**
 * A check on the main thread keeps one core busy from start to end: a one-lane mode that had
 * less than one core waited for a CPU the machine's other processes held.
 */
function machineNote (modes: readonly ModeFigures[]): string[] {
  const starved = modes.filter(m => m.lanes === 1 && m.coresUsed < 1 - NOISE)
  if (starved.length === 0) return []
  const shares = starved.map(m => `${m.mode} ${ratio(m.coresUsed)}`).join(', ')
  return [`machine: busy with other work: a one-lane mode should keep one core busy, and had ${shares}; elapsed times and speedups carry that load, the CPU column less so.`]
}

/**
 * A mode faster than its ideal allows, beyond the noise (efficiency > 1): it and the sequential
 * run, whose check times the ideal stands on, did not meet the same conditions. The CPU times tell which: more CPU for the same
 * checks in sequential is a cold start (the JIT); the same CPU is a machine busier meanwhile.
 */
function aboveIdeal (m: ModeFigures, sequential: ModeFigures | undefined): string {
  if (sequential === undefined || m.efficiency <= 1 + NOISE) return ''
  const cpu = `CPU ${seconds(sequential.cpuMs)} against ${seconds(m.cpuMs)}`
  const why = sequential.cpuMs > m.cpuMs * (1 + NOISE) ? `sequential spent more CPU on the same checks (${cpu}): a cold start` : `the same CPU (${cpu}): the machine was busier during sequential`
  return ` That is faster than ${m.lanes === 1 ? 'one lane' : 'its lanes'} allow${m.lanes === 1 ? 's' : ''} (effic ${ratio(m.efficiency)} > 1): ${why}; run again to compare.`
}

/** What the figures say, next to what the book's Python does, for each mode that ran: each verdict follows from them. */
export function lessonNotes (modes: readonly ModeFigures[]): string[] {
  const notes: string[] = []
  const sequential = find(modes, 'sequential')
  const loop = find(modes, 'event-loop')
  if (loop !== undefined) {
    const gainsNothing = loop.speedup !== null && loop.speedup <= 1 + NOISE
      ? '; concurrency without parallelism gains nothing on CPU-bound work'
      : ''
    notes.push(`event-loop: one thread, so the checks take turns (${coresLine(loop)}); ${comparedWithSequential(loop)}${gainsNothing}, and the loop froze for ${seconds(loop.loopMaxMs)} (asyncio alike: spinner_prime_async_broken.py).${aboveIdeal(loop, sequential)}`)
  }
  const threads = find(modes, 'threads')
  if (threads !== undefined) {
    notes.push(`threads: worker threads run JavaScript in parallel, each its own V8 isolate and event loop, no GIL; here ${threads.lanes === 1 ? 'one thread' : `${threads.lanes} threads`}: ${coresLine(threads)}, ${comparedWithSequential(threads)}. CPython's threads.py holds the GIL and is no faster than sequential.py.${aboveIdeal(threads, sequential)}`)
  }
  for (const m of [find(modes, 'procs'), find(modes, 'proc-pool')]) {
    if (m === undefined) continue
    const startups = `start-up ${[threads, m].filter(f => f?.startupMs != null).map(f => `${f?.mode} ${seconds(f?.startupMs ?? 0)}`).join(', ')}`
    const slower = threads?.startupMs != null && m.startupMs != null && m.startupMs > threads.startupMs * (1 + NOISE) ? ', slower to start than a thread' : ''
    const how = m.mode === 'procs'
      ? 'parallel too, as procs.py in Python'
      : 'procs through the executor\'s map over the numbers biggest first, as proc_pool.py: the lines come in that order, each waiting for the checks before it, however soon its own ended'
    notes.push(`${m.mode}: ${how}; here ${m.lanes === 1 ? 'one process' : `${m.lanes} processes`}: ${coresLine(m)}, ${comparedWithSequential(m)}. Each worker is a whole Node process${slower} (${startups}), fed through a pipe.${aboveIdeal(m, sequential)}`)
  }
  return [...notes, ...machineNote(modes)]
}
