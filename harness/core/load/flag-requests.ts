// The flag GIF paths as autocannon requests, round-robin, for any number of connections.
// Shared by npm run load and npm run bench:server.

import type autocannon from 'autocannon'
import { FLAGS_PATH, flagUrl } from '../../../server/contract/protocol.js'

/** GET <base>/<cc>/<cc>.gif for each code, as the book's clients ask for them (lower case). */
export function flagRequests (codes: readonly string[], basePath = FLAGS_PATH): autocannon.Request[] {
  return codes.map(cc => ({ method: 'GET', path: flagUrl(basePath, cc) }))
}

/** Requests autocannon may build up front (below): 194 paths × 5,000 connections took 8 s here. */
const REQUEST_BUILDS = 50_000

/**
 * Every flag path, round-robin. autocannon builds each connection's whole request list when it
 * creates the connection, so past REQUEST_BUILDS each connection gets a window of consecutive
 * paths instead, the windows staggered so that together they still cover every path evenly.
 */
export function requestsFor (paths: autocannon.Request[], connections: number): Pick<autocannon.Options, 'requests' | 'setupClient'> {
  if (paths.length * connections <= REQUEST_BUILDS) return { requests: paths }
  const size = Math.max(1, Math.floor(REQUEST_BUILDS / connections))
  let client = 0
  return {
    requests: paths.slice(0, 1),
    setupClient: connection => {
      const start = (client++ * size) % paths.length
      connection.setRequests(Array.from({ length: size }, (_, i) => paths[(start + i) % paths.length] as autocannon.Request))
    }
  }
}
