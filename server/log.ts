// The request log: one line for every request once it is over, answered or cut, as the book's
// slow_server.py prints one per request (which is how a class sees twenty requests arrive at
// once): when it arrived, how long it took, on which connection, and whether the client gave
// up on it. Above LINES_PER_SECOND a site's lines become one summary line a second (under
// `npm run load` nobody reads thousands of lines a second, and writing them cost the server a
// third more CPU per answer); they come back once a second's requests fall below it again.
// Written through pino, Fastify's own logger, to an asynchronous destination on stdout
// (sonic-boom), so that a slow reader of the log never holds the server up. JSON lines, or on a
// terminal a compact line for people, formatted here: pino-pretty would bring a dozen packages
// for one line format.

import { setTimeout as sleep } from 'node:timers/promises'
import pino, { type Logger } from 'pino'
import { faultName } from './contract/faults.js'
import type { OpenRequest } from './requests.js'

export type LogFormat = 'pretty' | 'json'

/** What a request line says, besides pino's level, time (ms since the epoch) and the site. */
interface RequestLine {
  method: string
  /** The request target as it came: the path and its query. */
  path: string
  /** "none" when nothing was sent: a reset, a hang, or a client gone first. */
  status: number | 'none'
  delayMs: number
  fault: string
  /** Requests in flight on the site as this one ends, this one included. */
  inFlight: number
  /** When it arrived, in ms since the epoch (the line's `time` is when it ended). */
  arrived: number
  /** From its arrival to its end, in ms. */
  tookMs: number
  /** Its connection's number on the site, 1 for the first. */
  connection: number
  /** The client closed the connection before the answer was sent in full: it gave up at `time`, after `tookMs`. */
  clientGone: boolean
}

/** One second of a site's requests, told in one line while they come faster than LINES_PER_SECOND. */
interface SummaryLine {
  /** The time the counts cover, in ms: about a second. */
  windowMs: number
  /** Requests that ended in the window. */
  requests: number
  /** Of those, by status ("none": nothing was sent), in the order first seen. */
  statuses: Record<string, number>
  /** Of those, by fault (the names of the request lines). */
  faults: Record<string, number>
  /** Of those, the ones whose client gave up first. */
  clientGone: number
  /** In flight on the site as the window closes. */
  inFlight: number
  /** The injected delay of the window's requests, nearest rank; 0 when there were none. */
  delayP50Ms: number
  delayP99Ms: number
}

const REQUEST_MESSAGE = 'request'
const SUMMARY_MESSAGE = 'summary'

/**
 * Above this many request lines in a second, a site logs one summary line a second instead: a
 * class reads fifty lines a second at most, and one line a second costs nothing under load.
 */
export const LINES_PER_SECOND = 50
const WINDOW_MS = 1000

/** How long close() waits for the last lines to go out: a reader gone (EPIPE) never drains. */
const CLOSE_WAIT_MS = 2000

/** Server-Timing's precision: the log and the header say the same delay. */
const ms3 = (ms: number): number => Number(ms.toFixed(3))

/** A request line from what the request tracker knows, at `nowMs` (performance.now()). */
function requestLine (request: OpenRequest, status: number | 'none', inFlight: number, nowMs: number): RequestLine {
  const { incoming, fate } = request
  const tookMs = ms3(nowMs - request.arrivedMs)
  return {
    method: incoming.method ?? '',
    path: incoming.url ?? '',
    status,
    delayMs: fate === undefined ? 0 : ms3(fate.delayMs),
    fault: faultOf(request),
    inFlight,
    arrived: Math.round(Date.now() - tookMs),
    tookMs,
    connection: request.connection,
    clientGone: request.clientGone
  }
}

/**
 * The fault the log names: the request's own when set (hang-refused), else its fate's; none where
 * no fate was drawn (/healthz, a 400 on a bad override, a request cut before its route).
 */
function faultOf (request: OpenRequest): string {
  return request.fault ?? (request.fate === undefined ? 'none' : faultName(request.fate.fault))
}

/** The value at rank ceil(q·n) of sorted numbers (nearest rank); 0 for none. */
export function nearestRank (sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0
}

/** A window's requests, counted as they end: no object per request, a Map increment or two. */
class SummaryWindow {
  requests = 0
  clientGone = 0
  readonly statuses = new Map<number | 'none', number>()
  readonly faults = new Map<string, number>()
  readonly delays: number[] = []

  constructor (readonly startMs: number) {}

  add (request: OpenRequest, status: number | 'none'): void {
    this.requests++
    if (request.clientGone) this.clientGone++
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    const fault = faultOf(request)
    this.faults.set(fault, (this.faults.get(fault) ?? 0) + 1)
    if (request.fate !== undefined) this.delays.push(request.fate.delayMs)
  }

  summary (nowMs: number, inFlight: number): SummaryLine {
    const delays = this.delays.sort((a, b) => a - b)
    return {
      windowMs: Math.round(nowMs - this.startMs),
      requests: this.requests,
      statuses: Object.fromEntries(this.statuses),
      faults: Object.fromEntries(this.faults),
      clientGone: this.clientGone,
      inFlight,
      delayP50Ms: ms3(nearestRank(delays, 0.5)),
      delayP99Ms: ms3(nearestRank(delays, 0.99))
    }
  }
}

/**
 * One site's request log: a line per request while they come at most LINES_PER_SECOND in a
 * second; past that, the rest of the second and every second after it go into one summary line a
 * second, until a second with fewer than LINES_PER_SECOND requests, after which lines return.
 * The summary's timer runs only while summarizing, and does not keep the process alive.
 */
class SiteRequestLog {
  /** Lines written in the second that began at `linesSince`, while not summarizing. */
  #lines = 0
  #linesSince = -Infinity
  #summarizing: SummaryWindow | undefined
  #timer: NodeJS.Timeout | undefined

  constructor (private readonly log: Logger, private readonly inFlight: () => number) {}

  /** A request ended; `inFlight` counts it still. */
  ended (request: OpenRequest, status: number | 'none', inFlight: number): void {
    const now = performance.now()
    if (this.#summarizing !== undefined) {
      this.#summarizing.add(request, status)
      return
    }
    if (now - this.#linesSince >= WINDOW_MS) {
      this.#linesSince = now
      this.#lines = 0
    }
    if (this.#lines < LINES_PER_SECOND) {
      this.#lines++
      this.log.info(requestLine(request, status, inFlight, now), REQUEST_MESSAGE)
      return
    }
    this.#summarizing = new SummaryWindow(now)
    this.#summarizing.add(request, status)
    this.#timer = setInterval(() => this.#tick(), WINDOW_MS).unref()
  }

  /** The summary of the requests not yet told, if any were summarized: before the log closes. */
  flush (): void {
    if (this.#summarizing === undefined) return
    this.#tick()
    this.#stop()
  }

  #tick (): void {
    const window = this.#summarizing
    if (window === undefined) return
    const now = performance.now()
    this.log.info(window.summary(now, this.inFlight()), SUMMARY_MESSAGE)
    if (window.requests < LINES_PER_SECOND) {
      this.#stop()
      this.#linesSince = now
      this.#lines = 0
    } else {
      this.#summarizing = new SummaryWindow(now)
    }
  }

  #stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#summarizing = undefined
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

/** 812 ms, or 0.4 ms below ten: a request on LOCAL takes well under a millisecond. */
function shortMs (ms: number): string {
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms))
}

function counts (of: Record<string, number>): string {
  return Object.entries(of).map(([key, n]) => `${key}: ${n}`).join(', ')
}

/**
 * One JSON line from pino → one line for a terminal:
 * `14:03:07.412 DELAY GET /flags/br/br.gif 200 delay=812ms fault=none in-flight=20 arrived=14:03:06.598 took=814ms conn=3`,
 * `client-gone` after the status of a request its client gave up on (the line's time is when),
 * and a summary line a second above LINES_PER_SECOND. Anything else pino writes (Fastify's
 * warnings and errors) keeps its level and message.
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
    const { method, path, status, delayMs, fault, inFlight, arrived, tookMs, connection, clientGone } = record as unknown as RequestLine
    return `${time} ${site}${method} ${path} ${status}${clientGone ? ' client-gone' : ''} delay=${Math.round(delayMs)}ms fault=${fault} in-flight=${inFlight} arrived=${clockTime(arrived)} took=${shortMs(tookMs)}ms conn=${connection}\n`
  }
  if (record.msg === SUMMARY_MESSAGE) {
    const { windowMs, requests, statuses, faults, clientGone, inFlight, delayP50Ms, delayP99Ms } = record as unknown as SummaryLine
    return `${time} ${site}${requests} requests in ${windowMs}ms (${counts(statuses)}) faults (${counts(faults)}) client-gone=${clientGone} in-flight=${inFlight} delay p50=${Math.round(delayP50Ms)}ms p99=${Math.round(delayP99Ms)}ms; over ${LINES_PER_SECOND}/s: a line a second\n`
  }
  const level = typeof record.level === 'number' ? LEVEL_NAMES[record.level] ?? String(record.level) : 'LOG'
  const err = record.err as { message?: unknown } | undefined
  const detail = typeof err?.message === 'string' && err.message !== record.msg ? `: ${err.message}` : ''
  return `${time} ${site}${level} ${String(record.msg ?? '')}${detail}\n`
}

/** What buildServer needs for one site: its request log and the logger Fastify writes its warnings to. */
interface SiteLog {
  readonly requests: SiteRequestLog
  /** Warnings and errors only: Fastify's "Server listening at" and its two lines a request would repeat ours. */
  readonly fastify: Logger
}

export interface ServerLog {
  /** A site's log, its lines named by the site; `inFlight` is read for its summary lines. */
  site: (name: string, inFlight: () => number) => SiteLog
  /** The last summaries, then what is buffered; then no more lines: the last thing before the process exits. */
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
  const sites: SiteRequestLog[] = []
  return {
    site: (name, inFlight) => {
      const siteLogger = logger.child({ site: name })
      const requests = new SiteRequestLog(siteLogger, inFlight)
      sites.push(requests)
      return { requests, fastify: siteLogger.child({}, { level: 'warn' }) }
    },
    close: async () => {
      if (!open) return
      for (const site of sites) site.flush()
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
