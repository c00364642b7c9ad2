// What each run is measured against. The ideal is the shortest time the work allows on L lanes
// and C cores: no run ends before its longest single check, nor before the total work shared
// out evenly over the lanes that can run at once, min(L, C). A lower bound, not a schedule:
// checks do not split, so a real run on even lanes may stay a little above it.

import type { PythonRun } from './book-python.js'
import { inChildProcesses, type PrimesRun } from './modes.js'

export interface Work {
  /** Whose check times: the sequential run's (each check alone on a core) or, without one, each mode's own. */
  basis: 'sequential' | 'own'
  totalMs: number
  longestMs: number
}

export interface ModeFigures extends PrimesRun {
  /** The work its ideal is computed from. */
  work: Work
  idealMs: number
  /** ideal / elapsed: 1 is the best the lanes and cores allow. */
  efficiency: number
  /** The sequential run's elapsed over this one's; null without a sequential run. */
  speedup: number | null
  /** CPU time over elapsed: how many cores were busy, on average. */
  coresUsed: number
  /** The distinct threads (or processes, for the process pool) that ran a check. */
  workersUsed: number
}

export function workOf (checkMs: readonly number[], basis: Work['basis']): Work {
  return { basis, totalMs: checkMs.reduce((sum, ms) => sum + ms, 0), longestMs: checkMs.reduce((max, ms) => Math.max(max, ms), 0) }
}

export function idealMs (work: Work, lanes: number, cores: number): number {
  return Math.max(work.longestMs, work.totalMs / Math.min(lanes, cores))
}

/**
 * The time the book's closing line gives: its pools start inside its clock (threads.py and
 * procs.py start their workers after t0, proc_pool.py's executor spawns them at the first
 * submit), so a pool's start-up is added to its run; the untimed warm-up between them is not.
 */
export function bookTotalMs (run: PrimesRun): number {
  return run.elapsedMs + (run.startupMs ?? 0)
}

function workersUsed (run: PrimesRun): number {
  const key = inChildProcesses(run.mode) ? 'pid' : 'threadId'
  return new Set(run.checks.map(check => check[key])).size
}

/**
 * Each run against its ideal, over the sequential run's work when there is one: a pool's own
 * check times would count two threads sharing a core as more work.
 */
export function figuresOf (runs: readonly PrimesRun[], cores: number): ModeFigures[] {
  const sequential = runs.find(run => run.mode === 'sequential')
  const shared = sequential === undefined ? undefined : workOf(sequential.checks.map(check => check.ms), 'sequential')
  return runs.map(run => {
    const work = shared ?? workOf(run.checks.map(check => check.ms), 'own')
    const ideal = idealMs(work, run.lanes, cores)
    return {
      ...run,
      work,
      idealMs: ideal,
      efficiency: run.elapsedMs > 0 ? ideal / run.elapsedMs : 1,
      speedup: sequential === undefined || run.elapsedMs <= 0 ? null : sequential.elapsedMs / run.elapsedMs,
      coresUsed: run.elapsedMs > 0 ? run.cpuMs / run.elapsedMs : 0,
      workersUsed: workersUsed(run)
    }
  })
}

export interface Answers {
  /** Primes among the numbers, by the first mode's answers. */
  primes: number
  /** The first number some mode answered differently from the first mode, with who said what; null when all agree. */
  modesDiffer: string | null
  /** Whether the answers are the book's PRIME_FIXTURE; null for numbers of one's own. */
  bookAgrees: boolean | null
}

/** Every mode must give the same answers (and, on the book's numbers, the book's). */
export function answersOf (runs: readonly PrimesRun[], book: ((n: bigint) => boolean | undefined) | null): Answers {
  const [first, ...others] = runs
  const expected = new Map(first?.checks.map(check => [check.n, check.prime]))
  let modesDiffer: string | null = null
  for (const run of others) {
    const wrong = run.checks.find(check => expected.get(check.n) !== check.prime)
    if (wrong !== undefined && modesDiffer === null) {
      modesDiffer = `${wrong.n}: ${first?.mode} says ${expected.get(wrong.n) === true ? 'prime' : 'not prime'}, ${run.mode} says ${wrong.prime ? 'prime' : 'not prime'}`
    }
  }
  return {
    primes: first?.checks.filter(check => check.prime).length ?? 0,
    modesDiffer,
    bookAgrees: book === null ? null : [...expected].every(([n, prime]) => book(BigInt(n)) === prime)
  }
}

export interface SideBySide {
  program: string
  /** The closing lines' figures, a pool's start-up in both. */
  pythonMs: number
  oursMs: number
  /** sequential.py's time over this program's, on each side; null without sequential. */
  pythonSpeedup: number | null
  oursSpeedup: number | null
  /** Python checked the same numbers as this mode, with the same answers. */
  agrees: boolean
}

/** Each of the book's Python programs beside its twin here. */
export function sideBySide (runs: readonly PrimesRun[], python: readonly PythonRun[]): SideBySide[] {
  const pythonSequential = python.find(p => p.mode === 'sequential')
  const oursSequential = runs.find(run => run.mode === 'sequential')
  return python.flatMap(p => {
    const ours = runs.find(run => run.mode === p.mode)
    if (ours === undefined) return []
    const answers = new Map(ours.checks.map(check => [check.n, check.prime]))
    return [{
      program: p.program.split('/').at(-1) ?? p.program,
      pythonMs: p.totalMs,
      oursMs: bookTotalMs(ours),
      pythonSpeedup: pythonSequential === undefined || p.totalMs <= 0 ? null : pythonSequential.totalMs / p.totalMs,
      oursSpeedup: oursSequential === undefined ? null : bookTotalMs(oursSequential) / bookTotalMs(ours),
      agrees: p.checks.length === ours.checks.length && p.checks.every(check => answers.get(check.n) === check.prime)
    }]
  })
}
