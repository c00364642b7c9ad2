// What the client core is asked to do, as typed values: which server, which flags, which modes,
// how often. A command line, the race page or a bench builds these; the core never reads argv.
// targetOptions reads the options every client tool shares from their text, by name.

import { invalidOption, usageError } from '../../server/contract/errors.js'
import { applyInjection, INJECTION_NAMES, NO_INJECTION, parseInjectionPatch, type InjectionPatch } from '../../server/contract/injection.js'
import { FLAGS_PATH } from '../../server/contract/protocol.js'
import { BOOK_SITES, bookSiteByLabel } from '../../server/contract/sites.js'
import { parseSeed } from '../../server/contract/values.js'
import { DEFAULT_MODES, type ModeName, type SweptMode } from './modes/registry.js'

/** flags2_common.POP20_CC */
export const POP20 = ['CN', 'IN', 'US', 'ID', 'BR', 'PK', 'NG', 'BD', 'RU', 'JP', 'MX', 'PH', 'VN', 'ET', 'EG', 'DE', 'IR', 'TR', 'CD', 'FR']

/** The embedded server's injection when no injection option is given, so a bare run shows the lesson. */
export const DEFAULT_INJECTION: InjectionPatch = Object.freeze({ latency: Object.freeze({ kind: 'fixed', ms: 100 }) })

/** Per request, headers and body: the book's 3.1 s (flags2_common.py). */
export const DEFAULT_TIMEOUT_MS = 3100

/** The book's default concurrency (flags2's -m). */
export const DEFAULT_MAX_REQ = 20
/** The most --max-req accepts. */
export const MAX_REQ_LIMIT = 1000

export type CodeChoice = { kind: 'pop20' } | { kind: 'all' } | { kind: 'every' } | { kind: 'list', args: string[] }

export type ServerChoice = { kind: 'embedded' } | { kind: 'url', baseUrl: string, label: string | null }

/** Which server, and what to ask of it: shared by the harness and the load tool. */
export interface TargetOptions {
  server: ServerChoice
  /** The embedded server's seed; null draws one (and the report prints it). */
  seed: number | null
  /** The injection options given: they configure the embedded server, or go to another as x-flags-* headers. */
  injection: InjectionPatch
}

export interface MeasureOptions extends TargetOptions {
  codes: CodeChoice
  /** Only the first N codes, in sorted order. */
  limit: number | null
  /** Workers for pooled, requests in flight for async (capped by the number of codes). */
  maxReq: number
  modes: ModeName[]
  /** Measured runs per mode. */
  repeat: number
  /** Unmeasured runs per mode before them: connections open, JIT warm, each worker has done a request. The first is timed apart, as the cold cost. */
  warmup: number
  /** Each run draws new fates (x-flags-salt run-1, run-2...; the same salt for run k of every mode), instead of the same fates every run. */
  freshFates: boolean
  timeoutMs: number
  saveDir: string | null
  syncSave: boolean
  cpuWorkMs: number
  /** Sequential once, then each of `modes` at each concurrency; null for the modes above. */
  sweep: { concurrencies: number[], modes: SweptMode[] } | null
  /** Stop handing out requests, cut those in flight, report what was measured (Ctrl-C). */
  signal: AbortSignal
  /** How to run this again: the npm script and its arguments, for the report's command line. */
  reproduce: { script: string, argv: readonly string[] }
}

/** What a job does where its caller says nothing: the harness command's own defaults. */
const defaults: Omit<MeasureOptions, 'signal' | 'reproduce'> = {
  server: { kind: 'embedded' },
  seed: null,
  injection: {},
  codes: { kind: 'pop20' },
  limit: null,
  maxReq: DEFAULT_MAX_REQ,
  modes: [...DEFAULT_MODES],
  repeat: 1,
  warmup: 1,
  freshFates: false,
  timeoutMs: DEFAULT_TIMEOUT_MS,
  saveDir: null,
  syncSave: false,
  cpuWorkMs: 0,
  sweep: null
}
export const MEASURE_DEFAULTS = Object.freeze(defaults)

const A_TO_Z = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** The codes to fetch, sorted, as flags2_common.expand_cc_args. `served` is the server's list, for --all. */
export function expandCodes (choice: CodeChoice, served: readonly string[], limit: number | null): string[] {
  let codes: string[]
  switch (choice.kind) {
    case 'pop20': codes = POP20; break
    case 'all': codes = [...served]; break
    case 'every': codes = [...A_TO_Z].flatMap(a => [...A_TO_Z].map(b => a + b)); break
    case 'list': codes = choice.args.flatMap(arg => arg.length === 1 ? [...A_TO_Z].map(b => arg + b) : [arg])
  }
  return [...new Set(codes)].sort().slice(0, limit ?? undefined)
}

function parseServer (value: string): ServerChoice {
  const site = bookSiteByLabel(value)
  if (site !== undefined) return { kind: 'url', baseUrl: site.url, label: site.label }
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw invalidOption('--server', value, `${Object.values(BOOK_SITES).map(site => site.label).join(', ')} or an http URL such as http://127.0.0.1:8001/flags`)
  }
  // The book's base URLs end in /flags; a bare origin means the same place.
  const path = url.pathname.replace(/\/+$/, '')
  return { kind: 'url', baseUrl: `${url.origin}${path === '' ? FLAGS_PATH : path}`, label: null }
}

/**
 * What the harness and the load tool share: which server, its seed, and the injection options,
 * parsed once by the server's own rules. A server given by URL keeps its own seed and cap.
 */
export function targetOptions (text: (name: string) => string | undefined, tool: string): TargetOptions {
  const given = Object.fromEntries(INJECTION_NAMES.flatMap(name => text(name) === undefined ? [] : [[name, text(name) as string]]))
  const spell = (name: string): string => `--${name}`
  const injection = parseInjectionPatch(given, spell)
  applyInjection(NO_INJECTION, injection, spell)
  const serverText = text('server')
  const seedText = text('seed')
  const server: ServerChoice = serverText === undefined ? { kind: 'embedded' } : parseServer(serverText)
  const seed = seedText === undefined ? null : parseSeed(seedText, '--seed')
  if (server.kind === 'url') {
    if (seed !== null) throw usageError(`--seed: only for the ${tool}'s own server; ${server.baseUrl} has its own seed (the report prints it)`)
    if (injection.maxLatency !== undefined) throw usageError(`--max-latency: only for the ${tool}'s own server; another server keeps its own cap`)
  }
  return { server, seed, injection }
}
