// The script every ThreadPoolExecutor worker runs: its tasks over the thread's MessagePort.
// The executor sends a task only to an idle worker, so no queue here.

import { parentPort } from 'node:worker_threads'
import { serveTasks, type TaskRequest } from './task-runner.js'

if (parentPort === null) throw new Error('harness/core/executor/thread-worker.js is the script of ThreadPoolExecutor workers, not a program')
const port = parentPort
await serveTasks('worker thread', handle => port.on('message', (request: TaskRequest) => handle(request)), reply => port.postMessage(reply))
