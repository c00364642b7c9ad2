// The live view's source: every flag request's arrival and end while someone watches (a page
// on /live, or --record), cut into runs, batched into a frame per FRAME_MS for each page.
// Unwatched, requests.ts reads `watching` and nothing else. Watched, the events wait in one
// bounded buffer; a page whose socket has not drained its last frames misses the next one
// rather than grow the server's memory or hold it up.

import type { ServerResponse } from 'node:http'
import { faultName } from '../contract/faults.js'
import { FLAGS_PATH } from '../contract/protocol.js'
import { fateOf } from './colours.js'
import type { OpenRequest, RequestObserver } from '../requests.js'
import { FrameColumns, type ArrivalFields, type LiveEnd, type WireFrame } from './frame.js'

/** Four frames a second: smooth enough for bars that last a fraction of a second or more. */
export const FRAME_MS = 250
/** Nothing in flight for this long ends a run: the book's clients start a run in well under it. */
export const RUN_GAP_MS = 2000
/** Events held between two frames, at most: 20,000 a second, five times a 1,000 req/s load. */
const MAX_PENDING = 5000
/** A page whose socket still holds this much unsent is slow: it misses frames until it drains. */
export const MAX_UNSENT_BYTES = 256 * 1024

/** Someone who hears of every request that ends (the --record file, record.ts). */
export type EndListener = (end: LiveEnd) => void

interface Page {
  res: ServerResponse
  dropped: number
}

/** A request followed from its arrival to its end; shown once a frame has sent it in flight. */
class Followed implements ArrivalFields {
  shown = false
  constructor (
    readonly run: number,
    readonly index: number,
    readonly connection: number,
    readonly client: string,
    readonly path: string,
    readonly at: number
  ) {}
}

const FLAG_FILES = `${FLAGS_PATH}/`

export class LiveFeed implements RequestObserver {
  watching = false
  readonly #site: string
  readonly #injection: () => string
  readonly #pages = new Set<Page>()
  readonly #recorders: EndListener[] = []
  readonly #inFlight = new Map<OpenRequest, Followed>()
  /** The next frame, filled as requests end; its arrivals are added as it goes. */
  #columns = new FrameColumns()
  #dropped = 0
  #run = 0
  #runArrivals = 0
  #runStartMs = 0
  #lastEndMs = -Infinity
  #timer: ReturnType<typeof setInterval> | undefined

  constructor (site: string, injection: () => string) {
    this.#site = site
    this.#injection = injection
  }

  /** A page's event stream: a frame per FRAME_MS from now until it closes. */
  watch (res: ServerResponse): void {
    const page: Page = { res, dropped: 0 }
    this.#pages.add(page)
    res.once('close', () => {
      this.#pages.delete(page)
      this.#update()
    })
    this.#update()
    this.#send(page, this.#wire(new FrameColumns(), 0))
  }

  /** Every request's end from now on, for as long as the server runs. */
  record (listener: EndListener): void {
    this.#recorders.push(listener)
    this.#update()
  }

  arrived (request: OpenRequest): void {
    const url = request.incoming.url ?? ''
    if (!url.startsWith(FLAG_FILES)) return
    const now = request.arrivedMs
    if (this.#inFlight.size === 0 && (this.#run === 0 || now - this.#lastEndMs >= RUN_GAP_MS)) {
      this.#run++
      this.#runStartMs = now
      this.#runArrivals = 0
    }
    const queryAt = url.indexOf('?')
    this.#inFlight.set(request, new Followed(
      this.#run,
      this.#runArrivals++,
      request.connection,
      request.incoming.socket.remoteAddress ?? '',
      queryAt === -1 ? url : url.slice(0, queryAt),
      hundredths(now - this.#runStartMs)
    ))
  }

  ended (request: OpenRequest, status: number | 'none'): void {
    const arrival = this.#inFlight.get(request)
    if (arrival === undefined) return
    this.#inFlight.delete(request)
    const now = performance.now()
    this.#lastEndMs = now
    const drawn = request.fault ?? (request.fate === undefined ? 'none' : faultName(request.fate.fault))
    const fault = drawn === 'none' && status === 'none' && request.clientGone ? 'gone' : drawn
    // A run ends only with nothing in flight: this request's run is still the current one.
    const end = hundredths(now - this.#runStartMs)
    const fate = fateOf(fault, status)
    const delayMs = request.fate?.delayMs ?? null
    // An answered request ends once its answer is written out (OpenRequest.finish), its header
    // block with it. Read now, nothing keeps the request (its response, its Fastify objects)
    // alive until the next frame.
    const bytes = request.declaredBytes
    if (this.#recorders.length > 0) {
      const row: LiveEnd = {
        run: arrival.run,
        index: arrival.index,
        connection: arrival.connection,
        client: arrival.client,
        path: arrival.path,
        atMs: arrival.at / 100,
        endMs: end / 100,
        status,
        fault,
        fate,
        delayMs,
        bytes
      }
      for (const listener of this.#recorders) listener(row)
    }
    if (this.#pages.size === 0) return
    if (this.#columns.ends.run.length >= MAX_PENDING) this.#dropped++
    else this.#columns.addEnd(arrival, end, status, fault, fate, delayMs, bytes)
  }

  /** Stop the frames (the server is closing): pages still open hear nothing more. */
  close (): void {
    for (const page of this.#pages) page.res.end()
    this.#pages.clear()
    this.#update()
  }

  /** Watching while a page or a recorder listens; the frame timer runs only while a page does. */
  #update (): void {
    this.watching = this.#pages.size > 0 || this.#recorders.length > 0
    if (this.#pages.size > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => this.#flush(), FRAME_MS)
      this.#timer.unref()
    } else if (this.#pages.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer)
      this.#timer = undefined
      this.#columns = new FrameColumns()
      this.#dropped = 0
      // Requests followed until now are not in the next page's picture: forget them.
      if (this.#recorders.length === 0) this.#inFlight.clear()
    }
  }

  #flush (): void {
    const columns = this.#columns
    let arrivals = 0
    for (const followed of this.#inFlight.values()) {
      if (followed.shown || arrivals >= MAX_PENDING) continue
      followed.shown = true
      columns.addArrival(followed)
      arrivals++
    }
    if (columns.size === 0 && this.#dropped === 0) return
    const frame = this.#wire(columns, this.#dropped)
    this.#columns = new FrameColumns()
    this.#dropped = 0
    const missed = columns.size + frame.dropped
    // One serialisation for every page that keeps up; a page that missed frames gets its own count.
    let shared: string | undefined
    for (const page of this.#pages) {
      if (page.res.writableLength > MAX_UNSENT_BYTES) page.dropped += missed
      else if (page.dropped > 0) this.#send(page, frame)
      else page.res.write(shared ??= sse(frame))
    }
  }

  #send (page: Page, frame: WireFrame): void {
    page.res.write(sse({ ...frame, dropped: frame.dropped + page.dropped }))
    page.dropped = 0
  }

  #wire (columns: FrameColumns, dropped: number): WireFrame {
    const { strings, arrivals, ends } = columns
    return { site: this.#site, injection: this.#injection(), gapMs: RUN_GAP_MS, strings, arrivals, ends, dropped }
  }
}

/** Times in whole hundredths of a millisecond: finer is noise, and integers are JSON's fastest numbers. */
function hundredths (ms: number): number {
  return Math.round(ms * 100)
}

/** One Server-Sent Event: JSON holds no line break, so one data line. */
function sse (frame: WireFrame): string {
  return `data: ${JSON.stringify(frame)}\n\n`
}
