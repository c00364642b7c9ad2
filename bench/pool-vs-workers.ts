// npm run bench:pool: what the pooled mode's start-up costs beyond the threads themselves: a
// ThreadPoolExecutor of W workers, each importing the download task (undici and the client
// core), ready to take work, against W bare `new Worker()` on an empty script, each saying it
// is up; alternating rounds in this process. Target: the pool ≤ 2 × the bare workers, the
// median of the paired ratios.

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { ThreadPoolExecutor } from '../harness/core/executor/pool.js'
import type { PooledWorkerData } from '../harness/core/modes/pooled-tasks.js'
import { MEASURE_DEFAULTS } from '../harness/core/options.js'
import { table } from '../harness/reports/format.js'
import { atMost, fixed, medianOf, pairedRatio, perRoundText, runBench, runPaired } from './paired.js'

const OPTIONS = {
  rounds: { kind: 'whole', env: 'BENCH_ROUNDS', default: 5, min: 1, max: 100, help: 'start-ups of each kind, the order alternating' },
  workers: { kind: 'whole', env: 'BENCH_POOL_WORKERS', default: MEASURE_DEFAULTS.maxReq, min: 1, max: 256, help: 'worker threads W' }
} as const

const ABOUT = `The pooled mode's thread pool (W workers, each importing the download task) against W bare
new Worker() on an empty script, from start to every thread ready, in alternating rounds.
Target: the pool ≤ 2 × the bare workers (the median of the per-round ratios).`

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
  const text = [
    `pool start-up vs bare workers: Node ${process.version}, ${availableParallelism()} cores, ${W} threads, ${options.rounds} round(s), medians`,
    '',
    table(['start-up', 'median ms', 'each round ms'], [
      [`ThreadPoolExecutor, ${W} workers`, fixed(medianOf(runs.a), 0), runs.a.map(ms => ms.toFixed(0)).join(' ')],
      [`${W} × new Worker(empty script)`, fixed(medianOf(runs.b), 0), runs.b.map(ms => ms.toFixed(0)).join(' ')]
    ])
  ].join('\n')
  return { text, details: { workers: W, poolMs: runs.a, bareMs: runs.b, ratio: ratio.ratio }, checks: [atMost(`the pool ready ≤ ${TARGET} × bare workers (${W} threads)`, ratio.ratio, TARGET, perRoundText(ratio.perRound))] }
})
