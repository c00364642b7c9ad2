// The transport every mode uses today: undici, over a Client (one connection) or a Pool.

import type { Dispatcher } from 'undici'
import { flagUrl } from '../../server/contract/protocol.js'
import type { FlagTransport, TransportFailure } from './download.js'

// By code, not by class: undici's error classes would load its whole index in every worker
// that sends (modes/pooled-tasks.ts loads only the client).
function failureOf (error: unknown): TransportFailure | null {
  // Any error comes here, a DOMException among them, whose code is a number.
  const { name, code } = error as { name?: unknown, code?: unknown }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout'
  if (code === 'UND_ERR_SOCKET') return 'reset'
  // llhttp's parse errors: what came back was not HTTP.
  if (name === 'HTTPParserError' || (typeof code === 'string' && code.startsWith('HPE_'))) return 'bad-response'
  return null
}

/** The flags under `baseUrl` (e.g. http://127.0.0.1:8000/flags), fetched through `dispatcher`. */
export function undiciTransport (dispatcher: Dispatcher, baseUrl: string): FlagTransport {
  // Parsed once, for the many requests made under it.
  const { origin, pathname } = new URL(baseUrl)
  return {
    // Not wrapped in an async function: one promise less per request, on the client's hot path.
    get: (cc, headers, signal) => dispatcher.request({ origin, path: flagUrl(pathname, cc), method: 'GET', headers, signal }),
    failureOf
  }
}
