// The ways to check the numbers, each the twin of one of the book's programs where it has one;
// only the scheduling differs, every check is tasks.ts's check():
//
//   sequential   sequential.py     one after another on the main thread
//   event-loop   (no book twin)    every check an async task on the one event loop, all at once
//                                  (Promise.all, as asyncio.gather): they take turns on one thread
//   threads      threads.py        W worker threads fed from one queue, results as they finish
//   procs        procs.py          W child processes fed from one queue, results as they finish
//   proc-pool    proc_pool.py      a ProcessPoolExecutor's map over the numbers sorted big first:
//                                  results in that order, so a slow check holds up the ones after it
//
// A run is timed from the first check handed out to the last result; a pool's start-up is timed
// apart, and the book's closing line adds it back, as the book's pools start inside their clock.
// Between the two, every lane (the main thread, each worker) checks WARM_UP once, untimed, so
// that no mode pays for a cold JIT and the first is not penalised. CPU time counts every thread of this process (process.cpuUsage)
// and, for processes, what each child says it used from its first check to its last.

import { setImmediate as nextTurn } from 'node:timers/promises'
import { performance } from 'node:perf_hooks'
import { asCompleted } from '../core/executor/future.js'
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../core/executor/pool.js'
import { watchLoop } from '../core/loop-monitor.js'
import { check, type CheckResult } from './tasks.js'

type Tasks = typeof import('./tasks.js')
/** The book's smallest number past 2: millions of divisions, enough for V8 to optimise the loop. */
export const WARM_UP = '142702110479723'
const TASKS = new URL('./tasks.js', import.meta.url)

export const PRIMES_MODES = ['sequential', 'event-loop', 'threads', 'procs', 'proc-pool'] as const
export type PrimesMode = typeof PRIMES_MODES[number]
type PoolMode = 'threads' | 'procs' | 'proc-pool'

/** Where each mode's twin is in the book's repository (example-code-2e); null for none. */
export const BOOK_PROGRAMS: Readonly<Record<PrimesMode, string | null>> = {
  sequential: '19-concurrency/primes/sequential.py',
  'event-loop': null,
  threads: '19-concurrency/primes/threads.py',
  procs: '19-concurrency/primes/procs.py',
  'proc-pool': '20-executors/primes/proc_pool.py'
}

/** The modes whose workers are child processes: told apart by pid, their CPU their own. */
export const inChildProcesses = (mode: PrimesMode): boolean => mode === 'procs' || mode === 'proc-pool'

export interface PrimesRun {
  mode: PrimesMode
  /** How many checks can run at once: 1 on the main thread, W for a pool. */
  lanes: number
  elapsedMs: number
  /** CPU time of the run: this process's threads, and a process pool's children. */
  cpuMs: number
  /** A pool's start-up (every worker ready), not in elapsedMs; null on the main thread. Its CPU counts the warm-up too. */
  startupMs: number | null
  startupCpuMs: number | null
  /** The longest the main thread's event loop could not run a callback: a spinner's freeze. */
  loopMaxMs: number
  /** In the order they were reported: as they finished, or for proc-pool in map's order. */
  checks: CheckResult[]
}

export type OnCheck = (result: CheckResult) => void

interface Measured {
  elapsedMs: number
  cpuMs: number
  loopMaxMs: number
  checks: CheckResult[]
}

const cpuMsSince = (before: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(before)
  return (user + system) / 1000
}

/** Times `run` and notes each check it reports, in the order they come. */
async function measured (onCheck: OnCheck, run: (done: OnCheck) => Promise<void> | void): Promise<Measured> {
  const checks: CheckResult[] = []
  const watch = watchLoop()
  const cpu = process.cpuUsage()
  const began = performance.now()
  await run(result => {
    checks.push(result)
    onCheck(result)
  })
  const elapsedMs = performance.now() - began
  const cpuMs = cpuMsSince(cpu)
  return { elapsedMs, cpuMs, loopMaxMs: watch.stop().eventLoop.delayMaxMs, checks }
}

function runSequential (numbers: readonly string[], onCheck: OnCheck): Promise<Measured> {
  return measured(onCheck, done => {
    for (const n of numbers) done(check(n))
  })
}

/** Every check starts as a task, then waits its turn; once running, a check holds the one thread to its end. */
function runEventLoop (numbers: readonly string[], onCheck: OnCheck): Promise<Measured> {
  return measured(onCheck, async done => {
    await Promise.all(numbers.map(async n => {
      await nextTurn()
      done(check(n))
    }))
  })
}

/**
 * A child's CPU during the run: from just before its first check to just after its last, the
 * IPC between them included. Its start-up is what it had used before its first check.
 */
export function childrenCpuMs (checks: readonly CheckResult[]): { runMs: number, startupMs: number } {
  const byPid = new Map<number, { first: number, last: number }>()
  for (const { pid, processCpuBeforeUs: before, processCpuAfterUs: after } of checks) {
    const seen = byPid.get(pid)
    byPid.set(pid, { first: Math.min(seen?.first ?? before, before), last: Math.max(seen?.last ?? after, after) })
  }
  let runUs = 0
  let startupUs = 0
  for (const { first, last } of byPid.values()) {
    runUs += last - first
    startupUs += first
  }
  return { runMs: runUs / 1000, startupMs: startupUs / 1000 }
}

/** proc_pool.py's order: sorted(NUMBERS, reverse=True). */
export function biggestFirst (numbers: readonly string[]): string[] {
  return [...numbers].sort((a, b) => BigInt(a) < BigInt(b) ? 1 : BigInt(a) > BigInt(b) ? -1 : 0)
}

async function runPool (mode: PoolMode, numbers: readonly string[], workers: number, onCheck: OnCheck): Promise<PrimesRun> {
  const cpu = process.cpuUsage()
  const pool = mode === 'threads' ? await ThreadPoolExecutor.start<Tasks>(workers, TASKS) : await ProcessPoolExecutor.start<Tasks>(workers, TASKS)
  try {
    // Submitted at once, the W warm-ups go one to each idle worker.
    await Promise.all(Array.from({ length: workers }, async () => await pool.submit('check', WARM_UP).result()))
    const startupCpuMs = cpuMsSince(cpu)
    const run = await measured(onCheck, async done => {
      if (mode === 'proc-pool') {
        for await (const result of pool.map('check', biggestFirst(numbers))) done(result)
        return
      }
      const futures = numbers.map(n => pool.submit('check', n))
      for await (const future of asCompleted(futures)) done(await future.result())
    })
    if (!inChildProcesses(mode)) return { mode, lanes: workers, startupMs: pool.startupMs, startupCpuMs, ...run }
    // A child's CPU is not this process's: each one's own figures are added.
    const children = childrenCpuMs(run.checks)
    return { mode, lanes: workers, startupMs: pool.startupMs, ...run, cpuMs: run.cpuMs + children.runMs, startupCpuMs: startupCpuMs + children.startupMs }
  } finally {
    await pool.shutdown()
  }
}

/** Checks every number in one mode; `onCheck` hears each result as it is reported. */
export async function runMode (mode: PrimesMode, numbers: readonly string[], workers: number, onCheck: OnCheck = () => {}): Promise<PrimesRun> {
  if (mode !== 'sequential' && mode !== 'event-loop') return await runPool(mode, numbers, workers, onCheck)
  check(WARM_UP)
  const run = mode === 'sequential' ? await runSequential(numbers, onCheck) : await runEventLoop(numbers, onCheck)
  return { mode, lanes: 1, startupMs: null, startupCpuMs: null, ...run }
}
