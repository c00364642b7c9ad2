// The script every ProcessPoolExecutor worker runs: its tasks over the IPC channel of
// child_process.fork. When the channel goes (the parent ended, however it ended), the process
// ends too: nothing outlives the harness.

import { performance } from 'node:perf_hooks'
import { serveTasks, type TaskRequest } from './task-runner.js'

/** Asked by the pool between tasks: this process's event-loop figures and resident memory. */
export interface StatsRequest { stats: true }
export interface StatsReply { stats: { elu: ReturnType<typeof performance.eventLoopUtilization>, rssBytes: number } }

const send = process.send?.bind(process)
if (send === undefined) throw new Error('harness/core/executor/process-worker.js is the script of ProcessPoolExecutor workers, not a program')
// This script is the program of its own process, and the only one that may end it: no command
// above it decides (the layers' rule against process.exit in the core is for the harness's own process).
// eslint-disable-next-line no-restricted-properties
process.once('disconnect', () => process.exit(0))
await serveTasks('worker process', handle => process.on('message', (message: TaskRequest | StatsRequest) => {
  if ('stats' in message) send({ stats: { elu: performance.eventLoopUtilization(), rssBytes: process.memoryUsage.rss() } } satisfies StatsReply)
  else handle(message)
}), reply => { send(reply) })
