// flags_threadpool.py: a fixed pool of W workers fed from one queue, results taken as they
// complete (as_completed): worker threads (ThreadPoolExecutor, the pooled mode) or worker
// processes (ProcessPoolExecutor, the processes mode), each downloading with the one
// downloadOne. Starting the pool is timed apart from the downloads.

import { performance } from 'node:perf_hooks'
import { asCompleted } from '../executor/future.js'
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../executor/pool.js'
import { recorder, type ModeContext, type ModeSession } from './mode.js'
import type { PooledWorkerData } from './pooled-tasks.js'

type Tasks = typeof import('./pooled-tasks.js')
const TASKS = new URL('./pooled-tasks.js', import.meta.url)
const MB = 1048576

type Start = (workers: number, workerData: PooledWorkerData) => Promise<ThreadPoolExecutor<Tasks> | ProcessPoolExecutor<Tasks>>

async function openPool (context: ModeContext, start: Start): Promise<ModeSession> {
  const pool = await start(context.concurrency, { baseUrl: context.baseUrl, addresses: context.replicas?.addresses ?? [], download: context.download })
  // Ctrl-C: the workers are stopped where they are; codes without a result count as not run.
  const stop = (): void => { pool.terminate().catch(() => {}) }
  context.interrupt.addEventListener('abort', stop, { once: true })
  return {
    run: async (onRecord, salt) => {
      const before = await pool.utilization()
      const run = recorder(onRecord)
      const futures = context.codes.map(cc => pool.submit('download', cc, salt))
      for await (const future of asCompleted(futures)) {
        const record = await future.result().catch(() => null)
        if (record !== null) run.add(record)
      }
      const ended = run.finish({ startupMs: pool.startupMs, workerUtilization: null, workersRssMb: null })
      // Asked after the clock stopped: a process answers over IPC, which takes a while.
      const workerUtilization = (await pool.utilization()).map((after, i) => {
        const since = before[i]
        return Math.round((since === undefined ? after : performance.eventLoopUtilization(after, since)).utilization * 1000) / 1000
      })
      const rss = await pool.rssBytes()
      return { ...ended, workerUtilization, workersRssMb: rss === null ? null : Math.round(rss / MB * 10) / 10 }
    },
    close: async () => {
      context.interrupt.removeEventListener('abort', stop)
      await pool.shutdown()
    }
  }
}

export async function openPooled (context: ModeContext): Promise<ModeSession> {
  return await openPool(context, async (workers, workerData) => await ThreadPoolExecutor.start<Tasks>(workers, TASKS, { workerData }))
}

export async function openProcesses (context: ModeContext): Promise<ModeSession> {
  // --no-liftoff: worker threads share the process's compiled WebAssembly (undici's HTTP parser,
  // llhttp), but each process compiles its own, quickly and slow to run, then optimizes it as it
  // runs: after one warm-up run the first requests measured were still ~20% slower (processes
  // 1.18-1.22 × the ideal against threads' 1.06). Optimized at once, the cost moves into the
  // start-up, which is timed apart (1.4 → 1.8 s for 20 processes).
  return await openPool(context, async (workers, workerData) => await ProcessPoolExecutor.start<Tasks>(workers, TASKS, { workerData, execArgv: ['--no-liftoff'] }))
}
