// What a pool's worker (a thread or a process) does with its tasks module: load it, say which
// tasks it has, then run one task per request and send back its value or its error. The two
// kinds of worker differ only in how they receive and send (a MessagePort, or process IPC).

import { inspect } from 'node:util'

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

export function reportError (error: Error): ErrorReport {
  const { name, message, stack, cause } = error
  const { code } = error as { code?: unknown }
  return {
    name,
    message,
    ...(stack === undefined ? {} : { stack }),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(cause === undefined ? {} : { cause: reportError(cause instanceof Error ? cause : new Error(inspect(cause))) })
  }
}

export function reviveError (report: ErrorReport): Error {
  const { name, message, stack, code, cause } = report
  const error = new Error(message, cause === undefined ? undefined : { cause: reviveError(cause) })
  error.name = name
  if (stack !== undefined) error.stack = stack
  return code === undefined ? error : Object.assign(error, { code })
}

/**
 * Loads the tasks module named first in process.argv (taken out, so that a tasks module that is
 * also a command-line script sees no stray argument), then serves requests; `kind` names the
 * worker in errors ('worker thread', 'worker process').
 */
export async function serveTasks (kind: string, receive: (handle: (request: TaskRequest) => void) => void, send: (reply: WorkerReply) => void): Promise<void> {
  const [tasksModule] = process.argv.splice(2, 1)
  if (tasksModule === undefined) throw new Error(`the script of a pool's ${kind}, not a program`)
  const tasks = await import(tasksModule) as Record<string, unknown>
  receive(({ fn, args }) => {
    const run = async (): Promise<WorkerReply> => {
      try {
        // The executor has checked the name against the list this worker sent when ready.
        const task = tasks[fn] as (...args: unknown[]) => unknown
        return { result: await task(...args) }
      } catch (error) {
        return { error: reportError(error instanceof Error ? error : new Error(`task ${fn} threw a non-Error: ${inspect(error)}`)) }
      }
    }
    run().then(reply => {
      try {
        send(reply)
      } catch (error) {
        send({ error: reportError(new Error(`task ${fn} returned a value that cannot be sent back from the ${kind}: ${(error as Error).message}`)) })
      }
    }, () => {})
  })
  send({ ready: Object.keys(tasks).filter(name => typeof tasks[name] === 'function') })
}
