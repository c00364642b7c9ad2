// The whole result of a load run, as load() returns it: one plain object that npm run load's
// --json prints as it is and its terminal report reads from.

import type { LoadFigures } from './little.js'
import type { OpenLoopFigures } from './open-loop.js'
import type { ReplicaFigures } from '../replicas.js'

/** The shape of npm run load's --json document; a change that breaks a reader bumps it. */
export const LOAD_SCHEMA_VERSION = 1

export interface LoadReport extends LoadFigures {
  /** First in the --json document: LOAD_SCHEMA_VERSION. */
  schemaVersion: typeof LOAD_SCHEMA_VERSION
  command: string
  /** True when Ctrl-C (or SIGTERM) cut the run short: the figures cover what ran. */
  incomplete: boolean
  /** closed: C connections, each sending when its last request ended; open: arrivals at a rate (`open`). */
  loop: 'closed' | 'open'
  /** The closed loop's C; the open loop's connections opened. */
  connections: number
  durationMs: number | null
  amount: number | null
  flags: number
  seed: number | null
  /** The fixed injected latency L behind boundRps, or null when the latency is not fixed. */
  fixedLatencyMs: number | null
  /**
   * How the server drew the fates: per request, from its seed, the path and the salt header sent
   * with each request (connection k's i-th request, both from 0, carries "k.i"), so a fault rate
   * is a share of the requests, every path alike, and one seed with one --amount draws the same.
   */
  fates: { drawn: 'per request', saltHeader: string, salt: string }
  /**
   * The open loop's own figures; null for the closed loop. Then latencyMs runs from each
   * request's intended start (its wait for a connection counts), and the closed loop's
   * Little's-law fields (C / W, the bound C / L) do not apply: `open.little` holds the law.
   */
  open: OpenLoopFigures | null
  /** Present when the server's name resolved to several addresses (replicas): each one's share, and their /metrics summed. */
  replicas?: ReplicaFigures
  server: {
    url: string
    embedded: boolean
    config: Record<string, string> | null
    note: string | null
    /** The embedded server's CPU time over the run, in % of one core; null for another server. */
    cpuPercent: number | null
  }
  /** This process's CPU time over the run (the load generator's), in % of one core: near 100, it is the bottleneck. */
  loadCpuPercent: number
  node: string
  cores: number
}
