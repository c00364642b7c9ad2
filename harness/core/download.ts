// downloadOne: the body of the book's download loop, shared by every mode. Only the way the
// modes schedule it differs, which is the lesson (the book refactors its loop the same way).
// What every client needs is here: the deadline, the failure reasons, the save, the CPU work and
// the record. How the bytes travel is a FlagTransport (undici-transport.ts today), so a client
// of another kind brings only its transport.

import { setMaxListeners } from 'node:events'
import { writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseServerTiming, SALT_HEADER } from '../../server/contract/protocol.js'
import { burnCpu } from './cpu-work.js'
import { wallClockMs, type RequestRecord } from './record.js'

/** A response whose status and headers are in, its body still to read. */
export interface FlagResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: { arrayBuffer: () => Promise<ArrayBuffer> }
}

/** A transport's own errors, in the words every client's failure reasons share. */
export type TransportFailure = 'timeout' | 'reset' | 'bad-response'

/** How a client fetches one flag. */
export interface FlagTransport {
  /** GET the flag of `cc` (upper case); rejects with the transport's own errors. */
  get: (cc: string, headers: Record<string, string>, signal: AbortSignal) => Promise<FlagResponse>
  /** What one of its own errors means; null for any other error (Node's, the deadline's). */
  failureOf: (error: unknown) => TransportFailure | null
}

export interface DownloadOptions {
  /** The whole request, headers and body, must be done by then (the book's 3.1 s). */
  timeoutMs: number
  /** Per-request overrides (x-flags-*) sent to a server the harness did not start. */
  headers: Record<string, string>
  /** Where to write XX.gif, as the book's downloaded/. */
  saveDir: string | null
  /** Write with writeFileSync, blocking the loop on purpose (--sync-save). */
  syncSave: boolean
  /** Synchronous CPU work after each download, on the thread that did it (--cpu-work): slices of calibrateCpuWork's. */
  cpuSlices: number
}

/** The same options, the requests salted (x-flags-salt) to draw other fates; as they are for null. */
export function withSalt (options: DownloadOptions, salt: string | null): DownloadOptions {
  return salt === null ? options : { ...options, headers: { ...options.headers, [SALT_HEADER]: salt } }
}

const unlimited = new WeakSet<AbortSignal>()

/**
 * The whole request's deadline, and the run's Ctrl-C, as one signal. A controller and a plain
 * timer, not AbortSignal.timeout + AbortSignal.any: those cost weak references and a
 * finalisation registry per request, about a fifth of the async client's CPU at 20,000 req/s.
 */
class Deadline {
  private readonly controller = new AbortController()
  private readonly timer: NodeJS.Timeout
  private readonly onInterrupt = (): void => { this.controller.abort(this.interrupt?.reason) }

  constructor (ms: number, private readonly interrupt: AbortSignal | undefined) {
    this.timer = setTimeout(() => this.controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms)
    if (interrupt?.aborted === true) {
      this.onInterrupt()
    } else if (interrupt !== undefined) {
      // One listener per request in flight: hundreds at once are expected, not a leak.
      if (!unlimited.has(interrupt)) setMaxListeners(0, interrupt)
      unlimited.add(interrupt)
      interrupt.addEventListener('abort', this.onInterrupt, { once: true })
    }
  }

  get signal (): AbortSignal {
    return this.controller.signal
  }

  clear (): void {
    clearTimeout(this.timer)
    this.interrupt?.removeEventListener('abort', this.onInterrupt)
  }
}

/** A short, stable reason for a failed request, for the error counts. */
function failureReason (error: unknown, own: TransportFailure | null, headersArrived: boolean, interrupted: boolean): string {
  if (interrupted) return 'interrupted'
  const { name, code } = error as { name?: string, code?: string }
  if (name === 'TimeoutError' || own === 'timeout') return 'timeout'
  if (headersArrived) return 'truncated'
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ECONNRESET' || code === 'EPIPE' || own === 'reset') return 'reset'
  if (own === 'bad-response') return 'bad-response'
  return code ?? name ?? 'unknown'
}

/**
 * Download one flag and say what happened. It never throws: a failure is a record with its
 * reason, so no request is ever lost from the counts. `interrupt` is the run's Ctrl-C.
 */
export async function downloadOne (transport: FlagTransport, cc: string, options: DownloadOptions, interrupt?: AbortSignal): Promise<RequestRecord> {
  const deadline = new Deadline(options.timeoutMs, interrupt)
  const startMs = wallClockMs()
  let status: number | null = null
  let timing: ReturnType<typeof parseServerTiming> = { delayMs: null, fault: null, bodyMs: null }
  let body: Buffer
  const record = (outcome: RequestRecord['outcome'], reason: string | null, bytes = 0): RequestRecord =>
    ({ cc, outcome, status, reason, startMs, endMs: wallClockMs(), injectedDelayMs: timing.delayMs, injectedBodyMs: timing.bodyMs, fault: timing.fault, bytes })
  try {
    const res = await transport.get(cc, options.headers, deadline.signal)
    status = res.statusCode
    timing = parseServerTiming(res.headers['server-timing'])
    if (status !== 200) {
      // Read, not dump: a truncated error body is still a truncation.
      await res.body.arrayBuffer()
      return status === 404 ? record('not-found', null) : record('error', `http-${status}`)
    }
    body = Buffer.from(await res.body.arrayBuffer())
  } catch (error) {
    return record('error', failureReason(error, transport.failureOf(error), status !== null, interrupt?.aborted === true))
  } finally {
    deadline.clear()
  }
  if (options.saveDir !== null) {
    const file = join(options.saveDir, `${cc}.gif`)
    try {
      if (options.syncSave) writeFileSync(file, body)
      else await writeFile(file, body)
    } catch (error) {
      return record('error', `save-${(error as NodeJS.ErrnoException).code ?? 'failed'}`)
    }
  }
  burnCpu(options.cpuSlices)
  return record('ok', null, body.length)
}
