// The request log: one line for every request once it is over, answered or cut, as the book's
// slow_server.py prints one per request (which is how a class sees twenty requests arrive at
// once). Written through pino, Fastify's own logger, to an asynchronous destination on stdout
// (sonic-boom), so that a slow reader of the log never holds the server up. JSON lines, or on a
// terminal a compact line for people, formatted here: pino-pretty would bring a dozen packages
// for one line format.

import type { IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import pino, { type Logger } from 'pino'
import { faultName } from './contract/faults.js'
import type { Fate } from './fate.js'

export type LogFormat = 'pretty' | 'json'

/** What a request line says, besides pino's level, time (ms since the epoch) and the site. */
export interface RequestLine {
  method: string
  /** The request target as it came: the path and its query. */
  path: string
  /** "none" when nothing was sent: a reset, a hang, or a client gone first. */
  status: number | 'none'
  delayMs: number
  fault: string
  /** Requests in flight on the site as this one ends, this one included. */
  inFlight: number
}

export const REQUEST_MESSAGE = 'request'

/** How long close() waits for the last lines to go out: a reader gone (EPIPE) never drains. */
const CLOSE_WAIT_MS = 2000

/**
 * A request line from what the request tracker knows. `fate` is undefined where no fate was
 * drawn (/healthz, a 400 on a bad override, a request cut before its route); `fault`, when
 * set, names the fault instead of the fate (hang-refused).
 */
export function requestLine (req: IncomingMessage, status: number | 'none', fate: Fate | undefined, fault: string | undefined, inFlight: number): RequestLine {
  return {
    method: req.method ?? '',
    path: req.url ?? '',
    status,
    // Server-Timing's precision: the log and the header say the same delay.
    delayMs: fate === undefined ? 0 : Number(fate.delayMs.toFixed(3)),
    fault: fault ?? (fate === undefined ? 'none' : faultName(fate.fault)),
    inFlight
  }
}

function twoDigits (n: number): string {
  return String(n).padStart(2, '0')
}

/** 14:03:07.412, local time: the clock on the wall of the class. */
export function clockTime (ms: number): string {
  const at = new Date(ms)
  return `${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/**
 * One JSON line from pino → one line for a terminal:
 * `14:03:07.412 DELAY GET /flags/br/br.gif 200 delay=812ms fault=none in-flight=20`.
 * Anything else pino writes (Fastify's warnings and errors) keeps its level and message.
 */
export function prettyLine (json: string): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`
  }
  const time = typeof record.time === 'number' ? clockTime(record.time) : '--:--:--.---'
  const site = typeof record.site === 'string' ? `${record.site} ` : ''
  if (record.msg === REQUEST_MESSAGE) {
    const { method, path, status, delayMs, fault, inFlight } = record as unknown as RequestLine
    return `${time} ${site}${method} ${path} ${status} delay=${Math.round(delayMs)}ms fault=${fault} in-flight=${inFlight}\n`
  }
  const level = typeof record.level === 'number' ? LEVEL_NAMES[record.level] ?? String(record.level) : 'LOG'
  const err = record.err as { message?: unknown } | undefined
  const detail = typeof err?.message === 'string' && err.message !== record.msg ? `: ${err.message}` : ''
  return `${time} ${site}${level} ${String(record.msg ?? '')}${detail}\n`
}

export interface ServerLog {
  /** The root logger: buildServer gives each site a child of it, named by the site. */
  readonly logger: Logger
  /** Write out what is buffered, then take no more lines: the last thing before the process exits. */
  close: () => Promise<void>
}

/**
 * One logger for every site, so that their lines share one destination and never interleave
 * mid-line. sonic-boom writes asynchronously; pino flushes it synchronously if the process
 * exits without close(). close() closes `fd` unless it is stdout or stderr.
 */
export function createServerLog (format: LogFormat, fd = 1): ServerLog {
  const destination = pino.destination({ fd, sync: false })
  let open = true
  // A line logged after close() (a late cut during the exit) is dropped: the destination is gone.
  const stream = {
    write: (line: string): void => {
      if (open) destination.write(format === 'json' ? line : prettyLine(line))
    }
  }
  const logger = pino({ base: null, level: 'info' }, stream)
  return {
    logger,
    close: async () => {
      if (!open) return
      open = false
      const closed = new Promise<void>(resolve => {
        destination.once('close', () => resolve())
        try {
          destination.end()
        } catch {
          // Destroyed already: nothing left to write.
          resolve()
        }
      })
      await Promise.race([closed, sleep(CLOSE_WAIT_MS, undefined, { ref: false })])
    }
  }
}
