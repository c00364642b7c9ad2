// load(options, listeners): a whole load job in one call, as measure() is a harness job. It opens
// the target, lists its flags, drives it for the time or the number of requests asked, reads the
// CPU each side used and returns the report object. Whoever calls it (npm run load, bench:soak)
// shows progress through the listeners; nothing here prints.

import { randomInt } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { NO_INJECTION } from '../../../server/contract/injection.js'
import { SALT_HEADER } from '../../../server/contract/protocol.js'
import type { TargetOptions } from '../options.js'
import { replicaOrigin, ReplicaSpread } from '../replicas.js'
import { openTarget, reproduceCommand, type Target } from '../target.js'
import type { ArrivalKind } from './arrivals.js'
import { closedLoop, type DrivePlan } from './closed-loop.js'
import { ARRIVAL_SALT_FORM, flagPaths, SALT_FORM } from './flag-requests.js'
import { LoadTally } from './load-tally.js'
import { openLoop, type OpenLoopFigures } from './open-loop.js'
import { CLOCK_TICKS_PER_S, cpuTicks } from './proc-stats.js'
import { LOAD_SCHEMA_VERSION, type LoadReport } from './report.js'
import { serverInFlight } from './server-gauge.js'

/** As autocannon's default: a request not over after that long is a timeout. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000
/** The open loop's warm-up (open-loop.ts): long enough here for the JIT and the connections a rate needs. */
export const DEFAULT_WARMUP_MS = 1000

/** An open loop's arrivals: requests at a set rate whether or not the server keeps up. */
export interface OpenLoopOptions {
  ratePerS: number
  arrivals: ArrivalKind
  maxConnections: number
  /** First, the rate rising from 0 over this long, in no figure (open-loop.ts); 0 for none. */
  warmupMs: number
}

/** What a load job is asked to do, as typed values: a command line or a bench builds these. */
export interface LoadJobOptions extends TargetOptions {
  /** Each with one request in flight at a time: the closed loop's concurrency (unused by an open loop). */
  connections: number
  /** Arrivals at a rate instead of a closed loop; null for the closed loop. */
  open: OpenLoopOptions | null
  /** How long to run; null with `amount`. */
  durationMs: number | null
  /** How many requests in all; null with `durationMs`. */
  amount: number | null
  /** Per request: past it, the request is a timeout and its connection sends the next one. */
  timeoutMs: number
  /** Stop sending and report what was measured (Ctrl-C, a bench's time guard). */
  signal: AbortSignal
  /** How to run this again: the npm script and its arguments, for the report's command line. */
  reproduce: { script: string, argv: readonly string[] }
}

/** What happens during load(), in order; every listener is optional. */
export interface LoadListeners {
  /** The target is open and its flags are known: the run starts. */
  start?: (plan: { target: Target, codes: readonly string[] }) => void
  /** A request is over, answered or not; `ended` of them so far. */
  ended?: (ended: number) => void
}

/**
 * L for the bound C/L: the least time a request takes when the injection in force (the
 * server's, with our overrides on top) fixes it: a fixed latency without jitter, capped by
 * --max-latency as the server caps it.
 */
function fixedLatency (options: LoadJobOptions, target: Target): number | null {
  if (target.injection === null && options.injection.latency === undefined) return null
  // The embedded server was configured with our options: what it shows is all there is.
  const injection = target.embedded ? target.injection : { ...(target.injection ?? NO_INJECTION), ...options.injection }
  if (injection === null || injection.latency.kind !== 'fixed' || injection.jitter !== 0) return null
  const ms = Math.min(injection.latency.ms, injection.maxLatency)
  return ms > 0 ? ms : null
}

/**
 * The whole job. Rejects with a TargetError when the server cannot be used; resolves with null
 * when the signal aborted before the run began, else with the report, marked incomplete when the
 * signal cut the run short.
 */
export async function load (options: LoadJobOptions, listeners: LoadListeners = {}): Promise<LoadReport | null> {
  const target = await openTarget(options)
  try {
    const codes = await target.listCodes()
    if (options.signal.aborted) return null
    listeners.start?.({ target, codes })
    return await loadOn(target, codes, options, listeners)
  } finally {
    await target.stop()
  }
}

/** One run on a target already open (a sweep runs several on one server): the report. */
export async function loadOn (target: Target, codes: readonly string[], options: LoadJobOptions, listeners: Pick<LoadListeners, 'ended'> = {}): Promise<LoadReport> {
  const pid = target.pid
  const ticksBefore = pid === null ? null : cpuTicks(pid)
  const cpuBefore = process.cpuUsage()
  const wallBefore = performance.now()
  const url = new URL(target.baseUrl)
  const { origin, pathname } = url
  const replicas = new ReplicaSpread(target.addresses)
  const metricsBefore = replicas.spread ? await replicas.readMetrics(url) : new Map()
  const tally = new LoadTally()
  const plan: Omit<DrivePlan, 'connections'> = {
    origin,
    replicas,
    paths: flagPaths(codes, pathname),
    headers: target.headers,
    durationMs: options.durationMs,
    amount: options.amount,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    ...(listeners.ended === undefined ? {} : { ended: listeners.ended })
  }
  let open: OpenLoopFigures | null = null
  // Replicas come and go during a run (a rolling update): the name is looked up again throughout.
  const following = new AbortController()
  const followed = replicas.follow(url.hostname, following.signal)
  try {
    if (options.open === null) await closedLoop({ ...plan, connections: options.connections }, tally)
    else {
      // The Poisson gaps follow the run's seed, so one --seed gives one schedule too.
      const seed = options.seed ?? target.seed ?? randomInt(1, 1_000_000)
      open = await openLoop({ ...plan, ...options.open, seed, serverInFlight: serverInFlight(replicas.spread ? replicas.addresses.map(address => replicaOrigin(url, address)) : [origin]) }, tally)
    }
  } finally {
    following.abort()
    await followed
  }
  const ticksAfter = pid === null ? null : cpuTicks(pid)
  const wallS = (performance.now() - wallBefore) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const replicaFigures = replicas.spread ? { replicas: await replicas.figures(url, metricsBefore) } : {}
  const fixedLatencyMs = fixedLatency(options, target)
  const connections = open === null ? options.connections : open.connectionsOpened
  return {
    schemaVersion: LOAD_SCHEMA_VERSION,
    command: reproduceCommand(options.reproduce.script, options.reproduce.argv, options.seed !== null, target),
    incomplete: options.signal.aborted,
    loop: open === null ? 'closed' : 'open',
    connections,
    durationMs: options.durationMs,
    amount: options.amount,
    flags: codes.length,
    seed: target.seed,
    fixedLatencyMs,
    fates: { drawn: 'per request', saltHeader: SALT_HEADER, salt: open === null ? SALT_FORM : ARRIVAL_SALT_FORM },
    server: {
      url: target.baseUrl,
      embedded: target.embedded,
      config: target.config,
      note: target.note,
      cpuPercent: ticksBefore === null || ticksAfter === null ? null : 100 * (ticksAfter - ticksBefore) / CLOCK_TICKS_PER_S / wallS
    },
    loadCpuPercent: 100 * (cpu.user + cpu.system) / 1e6 / wallS,
    node: process.version,
    cores: availableParallelism(),
    ...tally.figures(connections, open === null ? fixedLatencyMs : null),
    open,
    ...replicaFigures
  }
}
