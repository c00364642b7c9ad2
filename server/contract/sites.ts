// The three sites of the Fluent Python flag examples (flags2_common.py's LOCAL, DELAY, ERROR),
// spelt out once: the server starts them, the clients name them (-s DELAY), the race page
// offers them.

import { DEFAULT_ERROR_STATUS } from './faults.js'
import { NO_INJECTION, type Injection, type Latency } from './injection.js'

export type ProfileName = 'local' | 'delay' | 'error'

export interface BookSite {
  /** The server's --profile: local, delay, error. */
  name: ProfileName
  /** The book's label, as the clients' -s takes it: LOCAL, DELAY, ERROR. */
  label: string
  port: number
  injection: Injection
  /** Where npm run server serves it, as the book's SERVERS table. */
  url: string
  /** What it does, in a few words. */
  summary: string
}

const BOOK_DELAY: Latency = Object.freeze({ kind: 'uniform', minMs: 500, maxMs: 5000 })

function site (name: ProfileName, port: number, injection: Injection, summary: string): BookSite {
  return Object.freeze({ name, label: name.toUpperCase(), port, injection, url: `http://localhost:${port}/flags`, summary })
}

export const BOOK_SITES: Readonly<Record<ProfileName, BookSite>> = Object.freeze({
  local: site('local', 8000, NO_INJECTION, 'no delay, no errors'),
  delay: site('delay', 8001, Object.freeze({ ...NO_INJECTION, latency: BOOK_DELAY }), 'delay 0.5 s to 5 s'),
  error: site('error', 8002, Object.freeze({ ...NO_INJECTION, latency: BOOK_DELAY, errorRate: Object.freeze([{ status: DEFAULT_ERROR_STATUS, rate: 0.25 }]) }),
    'the same delay, 25% of requests answered 418')
})

export const PROFILE_NAMES = Object.keys(BOOK_SITES) as ProfileName[]

/** A site by the book's label, in any case (LOCAL, delay); undefined for anything else. */
export function bookSiteByLabel (label: string): BookSite | undefined {
  return Object.values(BOOK_SITES).find(site => site.label === label.toUpperCase())
}
