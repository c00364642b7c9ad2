// Drive one server process with a load generator and measure it: a warm-up, then a measured
// window on the same connections; steady-state req/s, latency percentiles, errors, and CPU from
// /proc: the server's (% of a core and µs per answer), the generator's own, everyone else's.
//
// The generator is a parameter (generator.ts; generators.ts names them).

import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { startEmbeddedServer, type EmbeddedServer } from '../embedded.js'
import { median } from '../figures.js'
import { pin } from './placement.js'
import { CLOCK_TICKS_PER_S, cpuTicks } from './proc-stats.js'
import type { LoadGenerator, LoadWindow } from './generator.js'

/** One measured run of one server. */
export interface DriveFigures {
  rps: number
  /** 2xx answers in the window over its length: requests cut off at the end count for nothing. */
  rawRps: number
  p50Ms: number
  p99Ms: number
  errors: number
  errorKinds: Record<string, number>
  warmupErrors: number
  non2xx: number
  /** CPU time over wall time, in % of one core; null where /proc is missing. */
  serverCpu: number | null
  /** Server CPU per answer: what the machinery costs, whichever process is the bottleneck. */
  serverUsPerAnswer: number | null
  generatorCpu: number | null
  generatorUsPerAnswer: number | null
  /** Every other process on the machine (other users, the kernel's softirqs), in % of one core. */
  otherCpu: number | null
}

/**
 * Above this much CPU used by other processes (% of one core) during a run, its figures are
 * suspect: on a shared two-core machine, a test suite next door takes a core from the bench.
 */
export const DISTURBED_CPU = 25
/** Lets the server finish closing the last run's sockets before the next one is timed. */
const SETTLE_MS = 500
/** How long to wait for the machine to calm down before a run, then run anyway. */
const QUIET_WAIT_MS = 5_000

/** Busy clock ticks of the whole machine, from the first line of /proc/stat. */
function machineBusyTicks (): number | null {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? []
    return [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0)
  } catch {
    return null
  }
}

const seconds = (ticks: number | null, since: number | null): number | null =>
  ticks === null || since === null ? null : (ticks - since) / CLOCK_TICKS_PER_S

/** The CPU figures of one measured window: started at the cut, ended once the generator is done. */
class CpuWindow {
  private readonly wallStart = performance.now()
  private readonly machineStart = machineBusyTicks()
  private readonly serverStart: number | null

  constructor (private readonly pid: number) {
    this.serverStart = cpuTicks(pid)
  }

  end (answers: number, generatorS: number | null): Pick<DriveFigures, 'serverCpu' | 'serverUsPerAnswer' | 'generatorCpu' | 'generatorUsPerAnswer' | 'otherCpu'> & { wallS: number } {
    const wallS = (performance.now() - this.wallStart) / 1000
    const serverS = seconds(cpuTicks(this.pid), this.serverStart)
    const machineS = seconds(machineBusyTicks(), this.machineStart)
    const perAnswer = (s: number | null): number | null => s === null || answers === 0 ? null : 1e6 * s / answers
    return {
      wallS,
      serverCpu: serverS === null ? null : 100 * serverS / wallS,
      serverUsPerAnswer: perAnswer(serverS),
      generatorCpu: generatorS === null ? null : 100 * generatorS / wallS,
      generatorUsPerAnswer: perAnswer(generatorS),
      otherCpu: machineS === null || serverS === null || generatorS === null ? null : Math.max(0, 100 * (machineS - serverS - generatorS) / wallS)
    }
  }
}

/**
 * Wait (up to QUIET_WAIT_MS) until processes other than this one and `pids` use at most
 * DISTURBED_CPU of a core over SETTLE_MS, which also lets servers close the last run's sockets.
 * `waiting` hears how busy the others are each time the wait goes on.
 */
export async function waitForQuiet (pids: readonly number[], waiting: (otherCpu: number) => void = () => {}): Promise<void> {
  const ours = (): number | null => [process.pid, ...pids].reduce<number | null>((sum, pid) => {
    const ticks = cpuTicks(pid)
    return sum === null || ticks === null ? null : sum + ticks
  }, 0)
  const deadline = performance.now() + QUIET_WAIT_MS
  while (true) {
    const [machineStart, oursStart, wallStart] = [machineBusyTicks(), ours(), performance.now()]
    await sleep(SETTLE_MS)
    const machineS = seconds(machineBusyTicks(), machineStart)
    const oursS = seconds(ours(), oursStart)
    if (machineS === null || oursS === null) return
    const others = 100 * (machineS - oursS) / ((performance.now() - wallStart) / 1000)
    if (others <= DISTURBED_CPU || performance.now() > deadline) return
    waiting(others)
  }
}

/** One run of `generator` against the server process `pid` listening at window.url; `cut` hears the window start. */
export async function drive (pid: number, generator: LoadGenerator, window: LoadWindow, signal: AbortSignal, cut: () => void = () => {}): Promise<DriveFigures> {
  let cpu = new CpuWindow(pid)
  const seen = await generator.run(window, () => {
    cpu = new CpuWindow(pid)
    cut()
  }, signal)
  const { wallS, ...cpuFigures } = cpu.end(seen.answered, seen.cpuS)
  const rawRps = seen.answered / wallS
  return {
    rps: seen.rps ?? rawRps,
    rawRps,
    p50Ms: seen.p50Ms,
    p99Ms: seen.p99Ms,
    errors: Object.values(seen.errorKinds).reduce((sum, n) => sum + n, 0),
    errorKinds: seen.errorKinds,
    warmupErrors: seen.warmupErrors,
    non2xx: seen.non2xx,
    ...cpuFigures
  }
}

/** Medians over a server's runs; errors are summed (non-2xx with them): one is one too many. */
export type DriveSummary = Omit<DriveFigures, 'errorKinds' | 'warmupErrors' | 'non2xx'>

function medianOrNull (values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((n): n is number => n !== null)
  return known.length > 0 ? median(known) : null
}

export function summarize (runs: readonly DriveFigures[]): DriveSummary {
  const of = (key: 'rps' | 'rawRps' | 'p50Ms' | 'p99Ms'): number => runs.length === 0 ? NaN : median(runs.map(run => run[key]))
  const orNull = (key: 'serverCpu' | 'serverUsPerAnswer' | 'generatorCpu' | 'generatorUsPerAnswer' | 'otherCpu'): number | null => medianOrNull(runs.map(run => run[key]))
  return {
    rps: of('rps'),
    rawRps: of('rawRps'),
    p50Ms: of('p50Ms'),
    p99Ms: of('p99Ms'),
    errors: runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0),
    serverCpu: orNull('serverCpu'),
    serverUsPerAnswer: orNull('serverUsPerAnswer'),
    generatorCpu: orNull('generatorCpu'),
    generatorUsPerAnswer: orNull('generatorUsPerAnswer'),
    otherCpu: orNull('otherCpu')
  }
}

/** A server to drive: the flag server (no script) or another that says it is ready the same way. */
export interface ServerSpec {
  label: string
  script?: string
  args: readonly string[]
}

export interface RigOptions {
  generator: LoadGenerator
  /** The core every server runs on (placement.ts), or null. */
  serverCore: number | null
  /** Runs measured again when other processes took more than DISTURBED_CPU; the calmest is kept. */
  retries: number
  signal: AbortSignal
  /** A line on what the rig is doing, for a person watching. */
  progress: (line: string) => void
}

/** What is started: two equal specs share one server. */
const serverKey = (spec: ServerSpec): string => JSON.stringify([spec.script ?? null, ...spec.args])

const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'
const pct = (n: number | null): string => n === null || !Number.isFinite(n) ? '-' : `${Math.round(n)}%`

/**
 * Servers in their own processes (started on first use, kept for the next round: a restart
 * would bring a cold JIT into the figures) and one generator to drive them with. The load
 * generator (this process, for autocannon) and a server never share an event loop.
 */
export class ServerRig {
  /** Keyed by serverKey. */
  private readonly servers = new Map<string, EmbeddedServer>()

  constructor (private readonly options: RigOptions) {}

  /** One measured run of `spec`'s server; `step` names it in progress lines; `cut` hears each window (of each attempt) start. */
  async drive (spec: ServerSpec, window: Omit<LoadWindow, 'url'>, step: string, cut?: () => void): Promise<DriveFigures> {
    const { generator, retries, signal, progress } = this.options
    const server = await this.server(spec)
    const warmup = 'seconds' in window.warmup ? `${window.warmup.seconds} s` : `${int(window.warmup.requests)} requests`
    let best: DriveFigures | undefined
    for (let attempt = 0; attempt <= retries && (attempt === 0 || !signal.aborted); attempt++) {
      await waitForQuiet(this.pids(), others => progress(`waiting for a quiet machine: other processes use ${pct(others)} of a core`))
      progress(`${step}: ${warmup} warm-up + ${window.durationS} s${attempt > 0 ? `, again (other processes used ${pct(best?.otherCpu ?? null)})` : ''}`)
      const run = await drive(server.pid, generator, { ...window, url: server.url }, signal, cut)
      const died = server.diedEarly()
      if (died !== null) throw new Error(`${spec.label}: ${died}`)
      progress(`${step}: ${int(run.rps)} req/s, p99 ${run.p99Ms.toFixed(1)} ms, server CPU ${pct(run.serverCpu)}, ${generator.name} CPU ${pct(run.generatorCpu)}, other CPU ${pct(run.otherCpu)}`)
      // A disturbed run is measured again, and the calmest one kept.
      if (best === undefined || (run.otherCpu ?? 0) < (best.otherCpu ?? 0)) best = run
      if ((best.otherCpu ?? 0) <= DISTURBED_CPU) break
    }
    return best as DriveFigures
  }

  /** The origin of `spec`'s server, started if it is not yet. */
  async origin (spec: ServerSpec): Promise<string> {
    return (await this.server(spec)).url
  }

  /** Stops `spec`'s server: its next run starts a fresh one. */
  async retire (spec: ServerSpec): Promise<void> {
    const server = this.servers.get(serverKey(spec))
    this.servers.delete(serverKey(spec))
    await server?.stop()
  }

  async stop (): Promise<void> {
    await Promise.all([...this.servers.values()].map(async server => await server.stop()))
  }

  private async server (spec: ServerSpec): Promise<EmbeddedServer> {
    const key = serverKey(spec)
    const running = this.servers.get(key)
    if (running !== undefined) return running
    this.options.progress(`starting ${spec.label}`)
    const server = await startEmbeddedServer(spec.args, spec.script === undefined ? {} : { script: spec.script })
    if (this.options.serverCore !== null) pin(server.pid, this.options.serverCore)
    this.servers.set(key, server)
    return server
  }

  private pids (): number[] {
    return [...this.servers.values()].map(server => server.pid)
  }
}
