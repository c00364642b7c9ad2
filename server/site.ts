// What one running site is: its name, seed and injection, and who may change them.

import type { Injection } from './contract/injection.js'

export interface SiteConfig {
  /** LOCAL, DELAY, ERROR for the book's sites; the profile's name in capitals for a custom one. */
  name: string
  seed: number
  injection: Injection
  /** Per-request overrides through query parameters or x-flags-* headers. */
  overrides: boolean
  /** Hung requests at once, at most; past it a hang is answered 503. */
  maxHung: number
  /** Open connections at once, at most (connections.ts has the default); past it a connection is answered 503. */
  maxConnections?: number
  /** The admin API: off, open (loopback bind, no token), or behind a bearer token. */
  admin: { enabled: false } | { enabled: true, token: string | undefined }
}

/**
 * A loopback host, as --host gives it or as a bound server's address() says: per-request
 * overrides and the admin API are on without a token there, and the admin API checks Host.
 */
export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The live part of a site: the admin API swaps the injection while requests are served. */
export interface SiteState {
  injection: Injection
}
