// Every request from its arrival to its end, tied to its connection. A response queued behind
// an earlier pipelined one has no socket yet, and Node never emits 'close' on it when the
// client leaves; accounting that waited for the response's 'close' leaked for good (in-flight,
// hang slots, timers). Here each connection keeps the requests it has open, and when it closes
// every one still open is cut: its clean-up runs and it is counted as answered with no status.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Fate } from './fate.js'
import type { SiteMetrics } from './metrics.js'

/**
 * Requests open at once on one connection, at most: pipelined requests are answered in order,
 * each holding its timer and its place until the ones before it are sent. The ninth closes the
 * connection, cutting the eight before it too: no HTTP client pipelines that deep (undici's
 * default is 1, browsers do not pipeline), and a hostile one could hold thousands of timers
 * and queued answers on one socket.
 */
export const MAX_OPEN_PER_CONNECTION = 8

/**
 * Told of every request as it ends, answered or cut, while it is still counted in flight: the
 * request log (log.ts). Undefined when the log is off, so that nothing is built per request
 * (not even the clock read of its arrival).
 */
export type RequestEnded = (request: OpenRequest, status: number | 'none', inFlight: number) => void

/**
 * Told of a request's arrival and end while `watching` (the live view, live/feed.ts): while it is
 * false, that one field read is all a request costs it. A request is followed to its end if it
 * was watched as it arrived.
 */
export interface RequestObserver {
  readonly watching: boolean
  arrived: (request: OpenRequest) => void
  ended: (request: OpenRequest, status: number | 'none') => void
}

/** One request, open until it is answered or its connection closes, whichever comes first. */
export class OpenRequest {
  /**
   * The metrics' route label, set by the route that takes the request ('unmatched' for a 404).
   * A request cut before any route took it (parsed on a connection already closed) keeps this one.
   */
  route = 'unrouted'
  /** The fate the flag route drew for it, for the log; none on the other routes. */
  fate: Fate | undefined = undefined
  /** The fault the log names when it is not the fate's: hang-refused, a hang past --max-hung. */
  fault: string | undefined = undefined
  /** performance.now() as it arrived: for flags_response_seconds, the log's "took" and the live view. */
  readonly arrivedMs: number
  #over = false
  #answered = false
  #clientGone = false
  #onCut: (() => void) | undefined
  readonly #res: ServerResponse
  readonly #connection: Connection
  readonly #metrics: SiteMetrics
  readonly #ended: RequestEnded | undefined
  readonly #observer: RequestObserver | undefined

  constructor (res: ServerResponse, connection: Connection, metrics: SiteMetrics, ended?: RequestEnded, observer?: RequestObserver) {
    this.#res = res
    this.#connection = connection
    this.#metrics = metrics
    this.#ended = ended
    this.#observer = observer
    this.arrivedMs = performance.now()
  }

  /** Its connection's number on the site, 1 for the first: which requests share a socket (a thread, a pooled client). */
  get connection (): number {
    return this.#connection.id
  }

  /** Cut because the client closed its connection (gave up, or was stopped) before the answer was sent in full. */
  get clientGone (): boolean {
    return this.#clientGone
  }

  /** The request as Node parsed it: its method and URL. */
  get incoming (): IncomingMessage {
    return this.#res.req
  }

  get over (): boolean {
    return this.#over
  }

  /** Its answer went out in full, whether or not anything counted it. */
  get sent (): boolean {
    return this.#res.writableFinished
  }

  get status (): number {
    return this.#res.statusCode
  }

  /**
   * The body's length as its answer's Content-Length declared it, 0 with no answer sent. Read from
   * the header block Node wrote (writeHead with an object keeps no header map to ask); a truncated
   * body declares its whole length.
   */
  get declaredBytes (): number {
    const head = (this.#res as ServerResponse & { _header?: string | null })._header
    const found = typeof head === 'string' ? /\r\ncontent-length: *(\d+)/i.exec(head) : null
    return found === null ? 0 : Number(found[1])
  }

  /**
   * Answered: counted once with its status, whatever calls it again later, once the answer is
   * written out. Counted at the call, an answer a client never reads (its socket full) left the
   * in-flight gauge while it still held the connection.
   */
  finish (status: number): void {
    if (this.#over || this.#answered) return
    if (this.#res.writableFinished) {
      this.#end(status)
      return
    }
    this.#answered = true
    this.#res.once('finish', () => { if (!this.#over) this.#end(status) })
  }

  /**
   * What to undo if the connection closes first (a timer, a hang slot); one at a time, the last
   * set wins. On a request already cut it runs at once.
   */
  onCut (undo: (() => void) | undefined): void {
    if (this.#over && undo !== undefined) undo()
    else this.#onCut = undo
  }

  /** The connection closed: undo what the request holds, count it, as answered if its status went out. */
  cut (): void {
    if (this.#over) return
    this.#clientGone = this.#connection.closedByClient
    this.#end(this.#res.headersSent ? this.#res.statusCode : 'none')
    const undo = this.#onCut
    this.#onCut = undefined
    undo?.()
  }

  #end (status: number | 'none'): void {
    this.#over = true
    this.#connection.open.delete(this)
    const inFlight = this.#metrics.inFlight
    this.#metrics.finish(this.route, status, performance.now() - this.arrivedMs)
    this.#ended?.(this, status, inFlight)
    this.#observer?.ended(this, status)
  }
}

interface Connection {
  readonly id: number
  open: Set<OpenRequest>
  closed: boolean
  /**
   * The client ended it: it sent its FIN (read to the end) or reset it (an error on the socket).
   * The server's own closes (a reset or truncate fault, a hang's budget, the pipelining cap, a
   * shutdown's cut) destroy the socket with neither.
   */
  closedByClient: boolean
}

const CONNECTION = Symbol('flag-lab open requests')
const REQUEST = Symbol('flag-lab open request')
type TrackedSocket = Socket & { [CONNECTION]?: Connection }
type TrackedResponse = ServerResponse & { [REQUEST]?: OpenRequest }

/** The request a response answers, from arrive(); undefined for a response this server did not track. */
export function openRequestOf (res: ServerResponse): OpenRequest | undefined {
  return (res as TrackedResponse)[REQUEST]
}

/**
 * The raw 'request' listener, ahead of Fastify's: counts the request in flight and ties it to its
 * connection. One 'close' listener per connection, none per request. `ended` hears of each
 * request as it ends (the request log); `observer`, of each one's arrival and end while it watches.
 */
export function tracker (metrics: SiteMetrics, ended?: RequestEnded, observer?: RequestObserver): (req: IncomingMessage, res: ServerResponse) => void {
  let connections = 0
  return (req, res) => {
    metrics.start()
    const socket = req.socket as TrackedSocket
    let connection = socket[CONNECTION]
    if (connection === undefined) {
      const created: Connection = socket[CONNECTION] = { id: ++connections, open: new Set(), closed: false, closedByClient: false }
      connection = created
      socket.once('close', () => {
        created.closedByClient = socket.readableEnded || socket.errored !== null
        closeAll(created)
      })
    }
    // Answers nobody counted (Fastify's own 400 for a bad URL, before any route) are found here,
    // when the next request comes on their connection, or when it closes (cut() counts them).
    for (const earlier of connection.open) if (earlier.sent) earlier.finish(earlier.status)
    const watched = observer?.watching === true ? observer : undefined
    const request = new OpenRequest(res, connection, metrics, ended, watched);
    (res as TrackedResponse)[REQUEST] = request
    connection.open.add(request)
    watched?.arrived(request)
    if (connection.closed) {
      // Parsed from a chunk read before the connection closed (Node goes on parsing it): cut
      // at once, before any route sets up a timer for it.
      request.cut()
    } else if (connection.open.size > MAX_OPEN_PER_CONNECTION) {
      // Past the cap: the connection goes, and with it all it holds. The ones before this are
      // cut on its 'close', after their routes named them; this one and any after it, at once.
      connection.closed = true
      request.cut()
      socket.destroy()
    }
  }
}

function closeAll (connection: Connection): void {
  connection.closed = true
  for (const request of connection.open) request.cut()
}
