// flags_threadpool.py: a fixed pool of W worker threads fed from one queue, results taken as
// they complete (as_completed). Starting the pool is timed apart from the downloads.

import { performance } from 'node:perf_hooks'
import { asCompleted, ThreadPoolExecutor } from '../executor.js'
import { recorder, type ModeContext, type ModeSession } from './mode.js'
import type { PooledWorkerData } from './pooled-tasks.js'

export async function openPooled (context: ModeContext): Promise<ModeSession> {
  const workerData: PooledWorkerData = { baseUrl: context.baseUrl, download: context.download }
  const pool = await ThreadPoolExecutor.start<typeof import('./pooled-tasks.js')>(context.concurrency, new URL('./pooled-tasks.js', import.meta.url), { workerData })
  // Ctrl-C: the workers are stopped where they are; codes without a result count as not run.
  const stop = (): void => { pool.terminate().catch(() => {}) }
  context.interrupt.addEventListener('abort', stop, { once: true })
  return {
    run: async (onRecord, salt) => {
      const before = pool.utilization()
      const run = recorder(onRecord)
      const futures = context.codes.map(cc => pool.submit('download', cc, salt))
      for await (const { promise } of asCompleted(futures)) {
        const record = await promise.catch(() => null)
        if (record !== null) run.add(record)
      }
      const workerUtilization = pool.utilization().map((after, i) => {
        const since = before[i]
        return Math.round((since === undefined ? after : performance.eventLoopUtilization(after, since)).utilization * 1000) / 1000
      })
      return run.finish({ startupMs: pool.startupMs, workerUtilization })
    },
    close: async () => {
      context.interrupt.removeEventListener('abort', stop)
      await pool.shutdown()
    }
  }
}
