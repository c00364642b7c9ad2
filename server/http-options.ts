// The HTTP server's own limits, set explicitly and the same on every listener: Fastify's server
// on the first address and the ::1 twin that listen.ts adds for localhost. Left to the defaults,
// they differed: Fastify sets no request timeout (a body trickled a byte every 5 s was held for
// good) and a 72 s keep-alive, a plain Node server 300 s and 5 s.

import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import type { ConnectionGuard } from './connections.js'

export interface ServerTimeouts {
  /** The request line and headers must all arrive within this (408 after). */
  headersMs: number
  /** The whole request, body included, must arrive within this (408 after); at least headersMs. */
  requestMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number
  /** How often Node checks the two timeouts above: a request is cut up to this late. */
  checkEveryMs: number
}

/**
 * 10 s is far more than any client needs to send a GET on a loopback or a LAN; 72 s of keep-alive
 * is Fastify's default, past the 60 s idle timeout of common load balancers.
 */
export const SERVER_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 10_000, keepAliveMs: 72_000, checkEveryMs: 1_000 }

export function httpOptions (timeouts: ServerTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: timeouts.checkEveryMs,
    // Node's own check answers a bare 400 with no body; requireTarget answers it as Fastify does.
    requireHostHeader: false
  }
}

/** Why a request line and headers cannot be served, before any route: undefined if they can. */
function targetRefusal (req: IncomingMessage): string | undefined {
  if (req.httpVersion === '1.1' && req.headers.host === undefined) return 'HTTP/1.1 requires a Host header (RFC 9112 3.2)'
  // `GET http://evil.com/admin/config` is for a proxy: its authority, not Host, would name the
  // server (RFC 9112 3.2.2), and the admin API's Host check reads only Host.
  const url = req.url ?? ''
  if (!url.startsWith('/') && !(url === '*' && req.method === 'OPTIONS')) return 'the request target must be a path: this server is not a proxy'
  return undefined
}

/**
 * Wrap the server's request handler (Fastify's) so that a request no route should see is
 * answered 400 with a JSON body like Fastify's own 400s, and its connection closed.
 */
export function requireTarget (server: Server): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
  server.removeAllListeners('request')
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = targetRefusal(req)
    if (refusal === undefined) {
      for (const handler of handlers) handler.call(server, req, res)
      return
    }
    const body = JSON.stringify({ error: 'Bad Request', message: refusal, statusCode: 400 })
    res.shouldKeepAlive = false
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}

interface Remembered {
  options: ServerOptions
  connections: ConnectionGuard
}

const rememberedOf = new WeakMap<Server, Remembered>()

/** Remember the options a server was made with and its site's connections, so that its twin gets the very same. */
export function remember (server: Server, options: ServerOptions, connections: ConnectionGuard): void {
  rememberedOf.set(server, { options, connections })
}

export function remembered (server: Server): Remembered {
  const found = rememberedOf.get(server)
  if (found === undefined) throw new Error('this server was not built by buildServer (server/app.ts)')
  return found
}
