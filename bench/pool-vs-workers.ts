// npm run bench:pool: what the pooled mode's start-up costs beyond the threads themselves: a
// ThreadPoolExecutor of W workers, each importing the download task (undici and the client
// core), ready to take work, against W bare `new Worker()` on an empty script, each saying it
// is up; alternating rounds in this process. Target: the pool ≤ 2 × the bare workers, the
// median of the paired ratios. The processes mode's pool is measured the same way against W
// bare forks, for information: each process is a whole Node of its own (its own bootstrap, its
// own undici, its own llhttp compiled with --no-liftoff), so it has no cheap yardstick to beat.

import { fork } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../harness/core/executor/pool.js'
import type { PooledWorkerData } from '../harness/core/modes/pooled-tasks.js'
import { MEASURE_DEFAULTS } from '../harness/core/options.js'
import { table } from '../harness/reports/format.js'
import { atMost, fixed, info, medianOf, pairedRatio, perRoundText, runBench, runPaired } from './paired.js'

const OPTIONS = {
  rounds: { kind: 'whole', env: 'BENCH_ROUNDS', default: 5, min: 1, max: 100, help: 'start-ups of each kind, the order alternating' },
  workers: { kind: 'whole', env: 'BENCH_POOL_WORKERS', default: MEASURE_DEFAULTS.maxReq, min: 1, max: 256, help: 'worker threads W' },
  processes: { kind: 'whole', env: 'BENCH_POOL_PROCESSES', default: MEASURE_DEFAULTS.maxReq, min: 0, max: 256, help: 'worker processes, measured for information (0: none)' }
} as const

const ABOUT = `The pooled mode's thread pool (W workers, each importing the download task) against W bare
new Worker() on an empty script, from start to every thread ready, in alternating rounds.
Target: the pool ≤ 2 × the bare workers (the median of the per-round ratios).
The processes mode's pool against as many bare forks, likewise, for information.`

const TARGET = 2
const TASKS = new URL('../harness/core/modes/pooled-tasks.js', import.meta.url)
const EMPTY = new URL('./empty-worker.js', import.meta.url)
/** What the pooled mode gives its workers; no request is made, so no server is needed. */
const WORKER_DATA: PooledWorkerData = {
  baseUrl: 'http://127.0.0.1:9/flags',
  download: { timeoutMs: MEASURE_DEFAULTS.timeoutMs, headers: {}, saveDir: null, syncSave: false, cpuSlices: 0 }
}

async function poolStartup (workers: number): Promise<number> {
  const pool = await ThreadPoolExecutor.start(workers, TASKS, { workerData: WORKER_DATA })
  const ms = pool.startupMs
  await pool.shutdown()
  return ms
}

/** The processes mode's pool, started as openProcesses starts it (--no-liftoff). */
async function processPoolStartup (workers: number): Promise<number> {
  const pool = await ProcessPoolExecutor.start(workers, TASKS, { workerData: WORKER_DATA, execArgv: ['--no-liftoff'] })
  const ms = pool.startupMs
  await pool.shutdown()
  return ms
}

async function bareForks (workers: number): Promise<number> {
  const began = performance.now()
  const children = Array.from({ length: workers }, () => {
    const child = fork(EMPTY, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return { ready: new Promise(resolve => child.once('message', resolve)), exited: new Promise(resolve => child.once('exit', resolve)) }
  })
  await Promise.all(children.map(async child => await child.ready))
  const ms = performance.now() - began
  await Promise.all(children.map(async child => await child.exited))
  return ms
}

async function bareStartup (workers: number): Promise<number> {
  const began = performance.now()
  const threads = Array.from({ length: workers }, () => new Worker(EMPTY))
  await Promise.all(threads.map(async thread => await new Promise(resolve => thread.once('message', resolve))))
  const ms = performance.now() - began
  await Promise.all(threads.map(async thread => await thread.terminate()))
  return ms
}

await runBench({ program: 'bench:pool', about: ABOUT, options: OPTIONS }, async (options, run) => {
  const W = options.workers
  const runs = await runPaired(options.rounds, run.signal, {
    a: async step => { run.progress(`${step}: the pool of ${W}`); return await poolStartup(W) },
    b: async step => { run.progress(`${step}: ${W} bare workers`); return await bareStartup(W) }
  })
  const ratio = pairedRatio(runs.a, runs.b)
  const P = options.processes
  const forks = P === 0
    ? { a: [], b: [] }
    : await runPaired(options.rounds, run.signal, {
      a: async step => { run.progress(`${step}: the process pool of ${P}`); return await processPoolStartup(P) },
      b: async step => { run.progress(`${step}: ${P} bare forks`); return await bareForks(P) }
    })
  const forkRatio = pairedRatio(forks.a, forks.b)
  const text = [
    `pool start-up vs bare workers: Node ${process.version}, ${availableParallelism()} cores, ${W} threads, ${options.rounds} round(s), medians`,
    '',
    table(['start-up', 'median ms', 'each round ms'], [
      [`ThreadPoolExecutor, ${W} workers`, fixed(medianOf(runs.a), 0), runs.a.map(ms => ms.toFixed(0)).join(' ')],
      [`${W} × new Worker(empty script)`, fixed(medianOf(runs.b), 0), runs.b.map(ms => ms.toFixed(0)).join(' ')],
      ...(P === 0
        ? []
        : [
            [`ProcessPoolExecutor, ${P} workers`, fixed(medianOf(forks.a), 0), forks.a.map(ms => ms.toFixed(0)).join(' ')],
            [`${P} × fork(empty script)`, fixed(medianOf(forks.b), 0), forks.b.map(ms => ms.toFixed(0)).join(' ')]
          ])
    ])
  ].join('\n')
  const checks = [atMost(`the pool ready ≤ ${TARGET} × bare workers (${W} threads)`, ratio.ratio, TARGET, perRoundText(ratio.perRound))]
  if (P > 0) checks.push(info(`the process pool ready / bare forks (${P} processes)`, perRoundText(forkRatio.perRound), forkRatio.ratio))
  return { text, details: { workers: W, poolMs: runs.a, bareMs: runs.b, ratio: ratio.ratio, processes: P, processPoolMs: forks.a, bareForkMs: forks.b, forkRatio: forkRatio.ratio }, checks }
})
