// The script every ThreadPoolExecutor worker runs: load the tasks module named in argv, then run
// one task per message. The executor sends a task only to an idle worker, so no queue here.

import { inspect } from 'node:util'
import { parentPort } from 'node:worker_threads'

export interface TaskRequest {
  fn: string
  args: unknown[]
}

/**
 * Errors travel as plain objects: structured clone would turn a custom name (undici's
 * 'ConnectTimeoutError') into 'Error' and drop `code`, the two things callers sort errors by.
 */
export interface ErrorReport {
  name: string
  message: string
  stack?: string
  code?: string | number
  cause?: ErrorReport
}

export type WorkerReply =
  | { ready: string[] }
  | { result: unknown }
  | { error: ErrorReport }

// Taken out, so that a tasks module that is also a command-line script sees no stray argument.
const [tasksModule] = process.argv.splice(2, 1)
if (parentPort === null || tasksModule === undefined) throw new Error('harness/core/worker.js is the script of ThreadPoolExecutor workers, not a program')
const port = parentPort

const tasks = await import(tasksModule) as Record<string, unknown>

function report (error: Error): ErrorReport {
  const { name, message, stack, cause } = error
  const { code } = error as { code?: unknown }
  return {
    name,
    message,
    ...(stack === undefined ? {} : { stack }),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(cause === undefined ? {} : { cause: report(cause instanceof Error ? cause : new Error(inspect(cause))) })
  }
}

port.on('message', async ({ fn, args }: TaskRequest) => {
  let reply: WorkerReply
  try {
    // The executor has checked the name against the list this worker sent when ready.
    const task = tasks[fn] as (...args: unknown[]) => unknown
    reply = { result: await task(...args) }
  } catch (error) {
    reply = { error: report(error instanceof Error ? error : new Error(`task ${fn} threw a non-Error: ${inspect(error)}`)) }
  }
  try {
    port.postMessage(reply)
  } catch (error) {
    port.postMessage({ error: report(new Error(`task ${fn} returned a value that cannot be sent back from the worker thread: ${(error as Error).message}`)) })
  }
})

port.postMessage({ ready: Object.keys(tasks).filter(name => typeof tasks[name] === 'function') } satisfies WorkerReply)
