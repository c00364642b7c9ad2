// The flag GIF paths as autocannon requests, round-robin, for any number of connections, and
// salted when the fates should be drawn per request. Shared by npm run load, npm run bench:soak
// and npm run bench:server.

import type autocannon from 'autocannon'
import { FLAGS_PATH, flagUrl, SALT_HEADER } from '../../../server/contract/protocol.js'

/** GET <base>/<cc>/<cc>.gif for each code, as the book's clients ask for them (lower case). */
export function flagRequests (codes: readonly string[], basePath = FLAGS_PATH): autocannon.Request[] {
  return codes.map(cc => ({ method: 'GET', path: flagUrl(basePath, cc) }))
}

/** Requests autocannon may build up front (below): 194 paths × 5,000 connections took 8 s here. */
const REQUEST_BUILDS = 50_000

/** How a salt is made, for the reports: connection k's i-th request (both from 0) carries "k.i". */
export const SALT_FORM = '<connection>.<request>'

/**
 * The salt of connection `connection`'s `request`-th request, both counted from 0: fixed by the
 * request's place in its connection's sequence, never by timing, so one seed and one --amount
 * give the same fates on every run.
 */
export function requestSalt (connection: number, request: number): string {
  return `${connection}.${request}`
}

export interface RequestPlanOptions {
  /**
   * Send SALT_HEADER with every request, from requestSalt: the server then draws a fate per
   * request, not per path (with no salt, a path's fate is the same every time it is asked for).
   */
  salted?: boolean
}

/**
 * Connection `connection`'s requests, each built as it is sent with the next salt. A counter of
 * our own, not autocannon's per-connection `context`: autocannon resets that context each time
 * a connection wraps round its list, so a count kept there would start again every lap and give
 * every lap the same salts. autocannon builds a request with a setupRequest function as it
 * sends it (setRequests builds the first at once, for the connection's first send), so the
 * i-th call is the i-th request; after a reset or a timeout the connection sends the next one.
 */
function saltedRequests (requests: readonly autocannon.Request[], connection: number): autocannon.Request[] {
  let sent = 0
  const setupRequest = (request: autocannon.Request): autocannon.Request =>
    ({ ...request, headers: { ...request.headers, [SALT_HEADER]: requestSalt(connection, sent++) } })
  // Objects of its own per connection: autocannon stores each built request on its object.
  return requests.map(request => ({ ...request, setupRequest }))
}

/**
 * Every flag path, round-robin. autocannon builds each connection's whole request list when it
 * creates the connection, so past REQUEST_BUILDS each connection gets a window of consecutive
 * paths instead, the windows staggered so that together they still cover every path evenly.
 * Salted, each connection gets a list of its own (below REQUEST_BUILDS, every path from the
 * first, as unsalted), numbered in the order autocannon creates the connections.
 */
export function requestsFor (paths: autocannon.Request[], connections: number, options: RequestPlanOptions = {}): Pick<autocannon.Options, 'requests' | 'setupClient'> {
  const salted = options.salted === true
  const windowed = paths.length * connections > REQUEST_BUILDS
  if (!windowed && !salted) return { requests: paths }
  const size = windowed ? Math.max(1, Math.floor(REQUEST_BUILDS / connections)) : paths.length
  let client = 0
  return {
    requests: paths.slice(0, 1),
    setupClient: connection => {
      const k = client++
      const start = windowed ? (k * size) % paths.length : 0
      const window = Array.from({ length: size }, (_, i) => paths[(start + i) % paths.length] as autocannon.Request)
      connection.setRequests(salted ? saltedRequests(window, k) : window)
    }
  }
}
