// The whole result of a harness run, as measure() returns it: one plain object that --json
// prints as it is and every report reads from.

import type { ModeFigures } from './figures.js'
import type { ModeName } from './modes/registry.js'
import type { ReplicaFigures } from './replicas.js'
import type { Sweep } from './sweep.js'

/** The shape of the harness's --json document; a change that breaks a reader bumps it (2: a mode's idealMs and efficiency may be null). */
export const SCHEMA_VERSION = 2

/** What is known before the first request: what a report's header says, printed as the run starts. */
export interface ReportHeader {
  /** The server's seed: every delay and fault follows from it. */
  seed: number | null
  server: {
    /** The flags' base URL. */
    url: string
    /** Started by the harness in a child process. */
    embedded: boolean
    /** The injection in force (GET /admin/config), when the server shows it. */
    config: Record<string, string> | null
    /** Why this latency, when the harness chose it. */
    note: string | null
  }
  machine: { node: string, cpus: number, platform: string }
  /** The command that reproduces this run. */
  command: string
  codes: string[]
  /** Synchronous CPU work after each download (--cpu-work), ms. */
  cpuWorkMs: number
  /** Unmeasured runs per mode before the measured ones (0 with --cold: the first run is measured). */
  warmup: number
  /** Each run drew new fates (--fresh-fates); otherwise every run of every mode met the same ones. */
  freshFates: boolean
  /** Saved with writeFileSync (--sync-save). */
  syncSave: boolean
}

/** Where a run was cut: the mode and the run it was in. */
export interface StoppedIn {
  mode: ModeName
  concurrency: number
  /** In a warm-up (not measured) run, or the measured run `index` (from 0) of `of`. */
  warmup: boolean
  index: number
  of: number
  /** The cut run was left out of the figures: the mode's whole runs before it stand for it. */
  leftOut: boolean
}

export interface HarnessReport extends ReportHeader {
  /** First in the --json document: SCHEMA_VERSION. */
  schemaVersion: typeof SCHEMA_VERSION
  /** A mode was cut short: Ctrl-C, or the server stopped answering. */
  incomplete: boolean
  /** Where it was cut; null when it was not. */
  stoppedIn: StoppedIn | null
  /** What became of a server that died or stopped answering during the run; null if it did not. */
  serverLost: string | null
  modes: ModeFigures[]
  /** --sweep: pooled and async at each concurrency; null without it. */
  sweep: Sweep | null
  /** Present when the server's name resolved to several addresses (replicas): each one's share of the run, as its /metrics counted, and their /metrics summed. */
  replicas?: ReplicaFigures
}
