// One request on one undici connection, to its end, as both load drivers (closed-loop.ts,
// open-loop.ts) send it: every outcome is a value, never a throw, so each request is counted.

import { Client, type Dispatcher } from 'undici'
import type { RequestOutcome } from './load-tally.js'

/** How long requests in flight when a run is stopped may take to end before they are cut: a hung one would hold the run up to its timeout. */
export const GRACE_MS = 1000

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

function errorKind (error: Error & { code?: string }): string {
  const code = error.code ?? error.name
  return TIMEOUT_CODES.has(code) ? 'timeout' : code
}

/** A connection with one request at a time; past `timeoutMs` without headers or body, a request is a timeout. `connect`: to one replica (replicas.ts). */
export function loadClient (origin: string, timeoutMs: number, connect: Pick<Client.Options, 'connect'> = {}): Client {
  return new Client(origin, { pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, ...connect })
}

/** One request on `client`, to its end: the status and body size, or the error. */
export async function send (client: Client, options: Dispatcher.DispatchOptions): Promise<RequestOutcome> {
  return await new Promise(resolve => {
    let status = 0
    let bytes = 0
    // undici 7's Client takes this form of handler (the newer one is for its interceptors).
    client.dispatch(options, {
      onConnect: () => {},
      onHeaders: statusCode => { status = statusCode; return true },
      onData: chunk => { bytes += chunk.length; return true },
      onComplete: () => resolve({ status, bytes }),
      onError: error => resolve({ error: errorKind(error) })
    })
  })
}
