// Start the compiled flag server (or another script that says it is ready the same way: the
// contract's ready message) in a child process, so that the harness and the server never share
// an event loop.
//
// Signals: this module installs no SIGINT/SIGTERM handler, so that the caller keeps the
// default behaviour or its own. A process killed by a signal it does not handle never runs its
// 'exit' listeners: a caller that wants its servers gone on Ctrl-C handles the signal and calls
// stop() (or process.exit(), which runs the 'exit' listener below).

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'undici'
import { projectRoot } from '../../server/contract/project.js'
import { isReadyMessage } from '../../server/contract/ready.js'
import { killOnExit } from './children.js'

export interface EmbeddedServer {
  /** Origin of the site, e.g. http://127.0.0.1:41234 (no /flags). */
  url: string
  pid: number
  /** SIGTERM, wait for the exit, SIGKILL if it takes too long. Idempotent. */
  stop: () => Promise<void>
  /** How the server ended, if it ended before stop() was called; null while it runs. */
  diedEarly: () => string | null
}

export interface EmbeddedServerOptions {
  /** Script to run, relative to the project root or absolute (default dist/server/main.js). */
  script?: string
  /**
   * Upper bound on start-up: from the spawn to the child's ready message (default 10 s). A
   * busy machine can take long here: node itself has to start and load the server.
   */
  readyTimeoutMs?: number
  /** Upper bound from the ready message to a 200 from /healthz (default 10 s). */
  healthTimeoutMs?: number
}

const HOST = '127.0.0.1'
/**
 * A larger young generation: thousands of requests held across a delay make the default one
 * scavenge often; measured, about 10% less server CPU per answer (the same flag as npm run server).
 */
const SERVER_NODE_FLAGS = ['--max-semi-space-size=64']
const DEFAULT_SCRIPT = 'dist/server/main.js'
const DEFAULT_READY_TIMEOUT_MS = 10_000
const DEFAULT_HEALTH_TIMEOUT_MS = 10_000
/** A bit more than a graceful close with nothing in flight needs; the server's own grace is 5 s. */
const STOP_GRACE_MS = 3_000
const HEALTH_RETRY_MS = 25
/** Only the end of stderr goes into error messages: the start of a stack trace says little. */
const OUTPUT_KEPT = 4_096

type Exit = { code: number | null, signal: NodeJS.Signals | null } | { error: Error }
/** How one stage of the start ended: done, the child gone, or out of time. */
type Stage<T> = { done: T } | { exit: Exit } | { timedOut: true }

/**
 * The child's environment: the parent's, less NODE_OPTIONS, because a test runner puts its
 * TypeScript loader and coverage hooks there, and the server must run as plain compiled JS.
 */
function childEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

function oneLine (text: string): string {
  return text.trim().split(/\s*\n\s*/).join(' | ')
}

function describeExit (exit: Exit): string {
  if ('error' in exit) return `could not start (${exit.error.message})`
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`
}

/**
 * Start a server and resolve once GET /healthz answers 200. The child is killed when this
 * process exits; call stop() to end it sooner, and on the signals your program handles.
 */
export async function startEmbeddedServer (serverArgs: readonly string[] = [], options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const script = resolve(projectRoot(), options.script ?? DEFAULT_SCRIPT)
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS
  const healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS
  // Node's own "Cannot find module" is a dozen lines of stack that never say to build.
  if (!existsSync(script)) throw new Error(`embedded server: ${script} not found (npm run build compiles it)`)
  // --host and --port first: the server keeps the last of a repeated option, so serverArgs may override them.
  // The flag server's request log is off: nobody reads it here, and it would cost CPU per answer
  // in every measurement (another script, such as the bench's bare server, takes no --log).
  // The IPC channel carries the ready message; stdout is for people, and is only drained.
  const quiet = script === resolve(projectRoot(), DEFAULT_SCRIPT) ? ['--log', 'off'] : []
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, script, '--host', HOST, '--port', '0', ...quiet, ...serverArgs], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: childEnv()
  })
  killOnExit(child)

  // 'close' rather than 'exit': it comes after stderr is fully read, so the message is complete.
  const exited = new Promise<Exit>(resolve => {
    child.once('close', (code, signal) => resolve({ code, signal }))
    child.once('error', error => resolve({ error }))
  })

  // Both pipes are read for the child's whole life: a full pipe would block its writes.
  // (Piped, as stdio says: with an IPC channel in the list, the types no longer know it.)
  const pipes = { stdout: child.stdout as Readable, stderr: child.stderr as Readable }
  let stderr = ''
  pipes.stderr.setEncoding('utf8')
  pipes.stderr.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-OUTPUT_KEPT) })
  pipes.stdout.resume()
  // The first ready message counts (a promise settles once); anything else on the channel is ignored.
  const ready = new Promise<string>(resolve => {
    child.on('message', (message: unknown) => {
      const origin = isReadyMessage(message) ? message.sites[0]?.origin : undefined
      if (origin !== undefined) resolve(origin)
    })
  })
  // Unreferenced, a forgotten server does not keep the parent alive; the 'exit' listener then kills it.
  setReferenced(child, false)

  // Two stages, each with its own bound, so that a slow start-up (a busy machine) does not eat
  // into the time allowed for /healthz, and each error names the bound it ran out of.
  const started = await stage(async () => await ready, exited, readyTimeoutMs)
  const outcome = 'done' in started ? await stage(async signal => await waitUntilHealthy(started.done, signal), exited, healthTimeoutMs) : started

  if ('done' in outcome && child.pid !== undefined) {
    let stopping: Promise<void> | undefined
    let death: string | null = null
    exited.then(exit => { if (stopping === undefined) death = `the server ${describeExit(exit)}` }, () => {})
    return {
      url: outcome.done,
      pid: child.pid,
      stop: async () => {
        stopping ??= stopChild(child, exited)
        await stopping
      },
      diedEarly: () => death
    }
  }

  setReferenced(child, true)
  child.kill('SIGKILL')
  const exit = await exited
  const output = oneLine(stderr)
  const tail = output === '' ? '' : `: ${output}`
  if ('timedOut' in outcome) {
    // Which stage ran out, not whether the ready message came since: it may have, just too late.
    const waitingFor = 'done' in started ? `answer 200 on ${started.done}/healthz within ${healthTimeoutMs} ms` : `say it is ready within ${readyTimeoutMs} ms`
    throw new Error(`embedded server (pid ${child.pid ?? 'none'}, ${script}) did not ${waitingFor}${tail}`)
  }
  const how = 'exit' in outcome ? describeExit(outcome.exit) : describeExit(exit)
  throw new Error(`embedded server ${how}${tail}`)
}

/**
 * Referenced, the child and its pipes keep the parent's event loop alive. A running server is
 * not, so a forgotten one does not hold its parent open (the 'exit' listener then kills it);
 * one being waited for is, or the parent could end in the middle of the wait.
 */
function setReferenced (child: ChildProcess, referenced: boolean): void {
  for (const handle of [child, child.stdout as Socket, child.stderr as Socket, child.channel]) {
    if (referenced) handle?.ref()
    else handle?.unref()
  }
}

/** The first of: work done, the child gone, `ms` elapsed. The work is aborted once it has lost. */
async function stage<T> (work: (signal: AbortSignal) => Promise<T>, exited: Promise<Exit>, ms: number): Promise<Stage<T>> {
  const abort = new AbortController()
  try {
    return await Promise.race([
      work(abort.signal).then(done => ({ done })),
      exited.then(exit => ({ exit })),
      sleep(ms, undefined, { signal: abort.signal }).then(() => ({ timedOut: true as const }))
    ])
  } finally {
    abort.abort()
  }
}

/** Poll until 200: the URL is printed once the socket listens, but "listening" is not "ready". */
async function waitUntilHealthy (url: string, signal: AbortSignal): Promise<string> {
  const client = new Client(url)
  try {
    while (true) {
      signal.throwIfAborted()
      try {
        const { statusCode, body } = await client.request({ method: 'GET', path: '/healthz', signal })
        await body.dump()
        if (statusCode === 200) return url
      } catch (error) {
        if (signal.aborted) throw error
      }
      await sleep(HEALTH_RETRY_MS, undefined, { signal })
    }
  } finally {
    await client.destroy()
  }
}

async function stopChild (child: ChildProcess, exited: Promise<Exit>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    await exited
    return
  }
  setReferenced(child, true)
  child.kill('SIGTERM')
  const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  try {
    await exited
  } finally {
    clearTimeout(escalate)
  }
}
