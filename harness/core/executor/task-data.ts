// The data a pool gives every worker (ExecutorOptions.workerData), read the same way whichever
// kind of worker a tasks module runs in: a thread's workerData (structured clone), or, in a
// process, the JSON the pool put in its environment (a process shares no memory with its pool).

import { isMainThread, workerData } from 'node:worker_threads'

export const TASK_DATA_ENV = 'FLAG_LAB_TASK_DATA'

export function taskData<T> (): T {
  if (!isMainThread) return workerData as T
  const text = process.env[TASK_DATA_ENV]
  if (text === undefined) throw new Error(`no task data: this module runs as a pool's tasks, not on its own (${TASK_DATA_ENV} is unset)`)
  return JSON.parse(text) as T
}
