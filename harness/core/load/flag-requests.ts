// The flag GIF paths a load asks for, how a load's requests are salted so that the server draws
// each one's fate apart, and the paths as autocannon requests for any number of connections.

import type autocannon from 'autocannon'
import { FLAGS_PATH, flagUrl } from '../../../server/contract/protocol.js'

/** <base>/<cc>/<cc>.gif for each code, as the book's clients ask for them (lower case). */
export function flagPaths (codes: readonly string[], basePath = FLAGS_PATH): string[] {
  return codes.map(cc => flagUrl(basePath, cc))
}

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

/** Requests autocannon may build up front (below): 194 paths × 5,000 connections took 8 s here. */
const REQUEST_BUILDS = 50_000

/** GET each path, as autocannon takes a request. */
export function asRequests (paths: readonly string[]): autocannon.Request[] {
  return paths.map(path => ({ method: 'GET', path }))
}

/**
 * Every path, round-robin, as autocannon requests. autocannon builds each connection's whole
 * request list when it creates the connection, so past REQUEST_BUILDS each connection gets a
 * window of consecutive paths instead, the windows staggered so that together they still cover
 * every path evenly.
 */
export function requestsFor (paths: readonly string[], connections: number): Pick<autocannon.Options, 'requests' | 'setupClient'> {
  const requests = asRequests(paths)
  if (requests.length * connections <= REQUEST_BUILDS) return { requests }
  const size = Math.max(1, Math.floor(REQUEST_BUILDS / connections))
  let client = 0
  return {
    requests: requests.slice(0, 1),
    setupClient: connection => {
      const start = (client++ * size) % requests.length
      connection.setRequests(Array.from({ length: size }, (_, i) => requests[(start + i) % requests.length] as autocannon.Request))
    }
  }
}

/** How the open loop salts its requests, for the reports: the i-th arrival of the schedule (from 0) carries "i". */
export const ARRIVAL_SALT_FORM = '<arrival>'
