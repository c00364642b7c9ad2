// The site's connections, on every listener: a cap on how many are open, a watch for answers a
// client stopped reading, and the graceful close's "Connection: close". Each keeps a hostile or
// departing client from holding what other clients need: sockets, memory, the kernel's buffers.

import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { SiteMetrics } from './metrics.js'

/**
 * Open connections per site, at most, unless --max-connections says otherwise: above the 10,000
 * that `npm run load` may open, with room for the harness and /metrics beside it. Past it a
 * connection is answered 503 and closed.
 */
export const DEFAULT_MAX_CONNECTIONS = 12_000

/** A refused connection gets this long to send its request and read the 503. */
const REFUSED_LINGER_MS = 2_000

/**
 * Closing, a kept-alive connection with no answer under way is closed once it has been idle this
 * long: a client that had its answer a moment ago may be sending its next request already, and a
 * close then would lose it (Node's server.close() closes idle connections at once: 5 of 20
 * clients lost a request that way beside two CPU hogs). One that asks in time is answered, with
 * "Connection: close".
 */
const CLOSING_IDLE_MS = 500
/** How often the closing site looks for connections idle that long. */
const CLOSING_CHECK_MS = 50

export interface ConnectionLimits {
  maxConnections: number
  /**
   * An answer that has made no progress for this long (no byte of it taken by the kernel, which
   * means the client has stopped reading) has its connection reset. Read at every check: it is
   * --max-latency, which the admin API may change, the longest any answer may take to start.
   */
  noProgressMs: () => number
  /** How often the watch looks: a stalled connection is reset up to this late. */
  checkEveryMs: number
}

/** What a watched socket carries: the answer it last took, and when its writes last moved. */
interface Watch {
  last: ServerResponse | undefined
  written: number
  since: number
  /** Closing: when it last had no answer under way (Infinity while one is). */
  idleSince: number
}

const WATCH = Symbol('flag-lab connection watch')
type WatchedSocket = Socket & { [WATCH]?: Watch }

function refusal (max: number): Buffer {
  const body = JSON.stringify({ error: `too many connections: ${max} open at most (--max-connections)`, status: 503 })
  return Buffer.from(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`)
}

export class ConnectionGuard {
  readonly #sockets = new Set<WatchedSocket>()
  readonly #servers: Server[] = []
  readonly #metrics: SiteMetrics
  readonly #limits: ConnectionLimits
  readonly #refusal: Buffer
  #ticker: NodeJS.Timeout | undefined
  #closing = false

  constructor (metrics: SiteMetrics, limits: ConnectionLimits) {
    this.#metrics = metrics
    this.#limits = limits
    this.#refusal = refusal(limits.maxConnections)
  }

  /**
   * Take over a listener's connections. Node's own 'connection' listener (the HTTP parser) is
   * called only for those under the cap: a refused one never reaches Fastify. Node's
   * server.maxConnections would drop it with no answer, which a client reads as a reset.
   */
  watch (server: Server): void {
    this.#servers.push(server)
    const parsers = server.listeners('connection') as Array<(socket: Socket) => void>
    server.removeAllListeners('connection')
    server.on('connection', (socket: WatchedSocket) => {
      if (this.#sockets.size >= this.#limits.maxConnections) {
        this.#refuse(socket)
        return
      }
      socket[WATCH] = { last: undefined, written: 0, since: 0, idleSince: 0 }
      this.#sockets.add(socket)
      this.#metrics.connectionsOpen++
      socket.once('close', () => {
        this.#sockets.delete(socket)
        this.#metrics.connectionsOpen--
      })
      for (const parser of parsers) parser.call(server, socket)
    })
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const watch = (req.socket as WatchedSocket)[WATCH]
      if (watch !== undefined) watch.last = res
      if (this.#closing) res.shouldKeepAlive = false
    })
    if (this.#ticker === undefined) {
      this.#ticker = setInterval(() => this.#resetStalled(), this.#limits.checkEveryMs)
      this.#ticker.unref()
    }
  }

  /**
   * The site is closing: every answer from now on says "Connection: close", those not yet begun
   * included, so that a keep-alive client sends its next request to another server instead of
   * onto a connection about to close (a rolling update lost 10 to 43 requests that way). Idle
   * kept-alive connections are closed once idle for CLOSING_IDLE_MS, not at once as Node's
   * server.close() would: call this before closing the listeners.
   */
  close (): void {
    this.#closing = true
    for (const server of this.#servers) server.closeIdleConnections = () => {}
    const now = performance.now()
    for (const socket of this.#sockets) {
      const watch = socket[WATCH]
      const last = watch?.last
      if (watch === undefined) continue
      if (last === undefined || last.writableFinished) {
        watch.idleSince = now
        continue
      }
      // Under way: its answer keeps its keep-alive if its headers are out; idle from its end.
      if (!last.headersSent) last.shouldKeepAlive = false
      watch.idleSince = Infinity
      last.once('finish', () => { watch.idleSince = performance.now() })
    }
    this.#closingTicker = setInterval(() => this.#closeIdle(), CLOSING_CHECK_MS)
    this.#closingTicker.unref()
  }

  #closingTicker: NodeJS.Timeout | undefined

  #closeIdle (): void {
    const now = performance.now()
    for (const socket of this.#sockets) {
      const watch = socket[WATCH]
      // A request that came since has "Connection: close": Node ends its connection after it.
      if (watch === undefined || (watch.last !== undefined && !watch.last.writableFinished)) continue
      if (now - watch.idleSince >= CLOSING_IDLE_MS) socket.destroy()
    }
  }

  stop (): void {
    clearInterval(this.#ticker)
    clearInterval(this.#closingTicker)
  }

  /**
   * After the first bytes of its request, so that the client reads the 503 as the answer to it;
   * the request is read to the end of the linger, never parsed: a close with unread bytes would
   * be a reset, which could destroy the 503 before the client reads it.
   */
  #refuse (socket: Socket): void {
    this.#metrics.countDropped('max-connections')
    socket.on('error', () => {})
    socket.once('data', () => socket.end(this.#refusal))
    socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy())
  }

  /**
   * A socket's answers progress when the kernel takes their bytes: bytesWritten less what is
   * still queued grows. A client that stops reading fills the kernel's buffer, then Node's, and
   * that figure stops. The reset frees the kernel's send buffer at once; a close would leave
   * it queued behind a FIN the client never acknowledges.
   */
  #resetStalled (): void {
    const now = performance.now()
    const limit = this.#limits.noProgressMs()
    for (const socket of this.#sockets) {
      const watch = socket[WATCH]
      const queued = socket.writableLength
      if (watch === undefined) continue
      if (queued === 0) {
        watch.since = 0
        continue
      }
      const written = socket.bytesWritten - queued
      if (written !== watch.written || watch.since === 0) {
        watch.written = written
        watch.since = now
      } else if (now - watch.since >= limit) {
        this.#metrics.countDropped('no-progress')
        socket.resetAndDestroy()
      }
    }
  }
}
