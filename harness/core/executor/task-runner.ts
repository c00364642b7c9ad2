// What a pool's worker (a thread or a process) does with its tasks module: load it, say which
// tasks it has, then run one task per request and send back its value or its error. The two
// kinds of worker differ only in how they receive and send (a MessagePort, or process IPC).

import { inspect } from 'node:util'

export interface TaskRequest {
  fn: string
  /** With `chunk`, a list of argument lists, run in turn; the reply is the list of their results. */
  args: unknown[]
  chunk: boolean
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

/** An error class that can be rebuilt from a message alone, as the classes below and most callers' are. */
export type ErrorClass = new (message: string) => Error

/** JavaScript's own error classes, kept by name as structured clone keeps them. */
const BUILT_IN: readonly ErrorClass[] = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]

/**
 * The error a report describes, of its class when the class is known here by its name (a
 * built-in one, or one of `classes`: the executor's and the caller's own), else an Error that
 * bears the name; its cause rebuilt likewise, its stack the worker's.
 */
export function reviveError (report: ErrorReport, classes: readonly ErrorClass[] = []): Error {
  const { name, message, stack, code, cause } = report
  const Class = [...classes, ...BUILT_IN].find(Known => Known.name === name || new Known('').name === name) ?? Error
  const error = new Class(message)
  if (cause !== undefined) error.cause = reviveError(cause, classes)
  error.name = name
  error.message = message
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
  receive(({ fn, args, chunk }) => {
    const run = async (): Promise<WorkerReply> => {
      try {
        // The executor has checked the name against the list this worker sent when ready.
        const task = tasks[fn] as (...args: unknown[]) => unknown
        if (!chunk) return { result: await task(...args) }
        const results: unknown[] = []
        for (const each of args as unknown[][]) results.push(await task(...each))
        return { result: results }
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
