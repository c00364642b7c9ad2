// undici's `connect` option that sends a connection to one address whatever its origin's name,
// apart from replicas.ts so that a pooled worker can pin its connection without loading undici's
// index (modes/pooled-tasks.ts says why that matters).

import { isIP, type LookupFunction } from 'node:net'

/**
 * net.connect asks this lookup instead of the resolver (with all: true when it may try several
 * families); the request's Host header stays the origin's name.
 */
export function pinnedTo (to: string | (() => string)): { lookup: LookupFunction } {
  return {
    lookup: (_hostname, options, callback) => {
      // A function is asked at each connect: a connection that reconnects may go elsewhere.
      const address = typeof to === 'string' ? to : to()
      const family = isIP(address)
      if (options.all === true) callback(null, [{ address, family }])
      else callback(null, address, family)
    }
  }
}
