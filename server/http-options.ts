// The HTTP server's own limits, set explicitly and the same on every listener: Fastify's server
// on the first address and the ::1 twin that listen.ts adds for localhost. Left to the defaults,
// they differed: Fastify sets no request timeout (a body trickled a byte every 5 s was held for
// good) and a 72 s keep-alive, a plain Node server 300 s and 5 s.

import type { Server, ServerOptions } from 'node:http'

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
    connectionsCheckingInterval: timeouts.checkEveryMs
  }
}

const optionsOf = new WeakMap<Server, ServerOptions>()

/** Remember the options a server was made with, so that its twin gets the very same. */
export function remember (server: Server, options: ServerOptions): void {
  optionsOf.set(server, options)
}

export function rememberedOptions (server: Server): ServerOptions {
  const options = optionsOf.get(server)
  if (options === undefined) throw new Error('this server was not built by buildServer (server/app.ts)')
  return options
}
