// measure(options, listeners): a whole harness job in one call, as autocannon's run. It opens
// the target, expands the codes, opens each mode, warms it up, runs it K times, turns the runs
// into figures and returns the report object. Whoever calls it (the harness command, the race
// page, a bench) shows progress through the listeners; nothing here prints.

import { availableParallelism } from 'node:os'
import { calibrateCpuWork } from './cpu-work.js'
import { modeFigures, wholeRun, withSpeedups, type ModeFigures } from './figures.js'
import type { ModeRun, ModeSession } from './modes/mode.js'
import { concurrencyOf, cpuSlotsOf, MODES, type ModeName, type SweptMode } from './modes/registry.js'
import { expandCodes, type MeasureOptions } from './options.js'
import type { RequestRecord } from './record.js'
import { SCHEMA_VERSION, type HarnessReport, type ReportHeader } from './result.js'
import { sweepPoint, type Sweep } from './sweep.js'
import { ReplicaSpread } from './replicas.js'
import { openTarget, reproduceCommand, type Target } from './target.js'
/** A mode at a concurrency: what one line of the report measures. */
export interface ModeAt {
  mode: ModeName
  concurrency: number
}

/** What happens during measure(), in order; every listener is optional. */
export interface MeasureListeners {
  /** The target is open and the codes are known; `modes` are the modes to run (a sweep adds more). */
  start?: (plan: { target: Target, codes: readonly string[], modes: ModeAt[], header: ReportHeader }) => void
  /** A mode is being opened: pooled starts its worker threads, which takes a visible while. */
  opening?: (at: ModeAt) => void
  /** A run of a mode begins: a warm-up (not measured) or the measured run `index` of `of`. */
  runStart?: (at: ModeAt, run: RunInfo) => void
  /** A request of that run is over, in completion order. */
  record?: (at: ModeAt, record: RequestRecord, run: RunInfo) => void
  runEnd?: (at: ModeAt, run: ModeRun, info: RunInfo) => void
}

/** Which run of a mode: warm-ups count from 0 to the warm-up count, measured runs to --repeat. */
export interface RunInfo {
  warmup: boolean
  index: number
  of: number
}

interface Job {
  options: MeasureOptions
  target: Target
  codes: string[]
  listeners: MeasureListeners
  /** The run under way, to say where an interrupted one stopped, and whether it was left out. */
  current: { at: ModeAt, info: RunInfo, leftOut: boolean } | null
  /** --cpu-work as slices of work, the same count in every mode and thread (cpu-work.ts). */
  cpuSlices: number
  /** The target's addresses, connections dealt over them. */
  replicas: ReplicaSpread
}

function modeAt ({ options, codes }: Job, mode: ModeName, concurrency = options.maxReq): ModeAt {
  return { mode, concurrency: concurrencyOf(mode, concurrency, codes.length) }
}

async function openMode ({ options, target, codes, listeners, cpuSlices, replicas }: Job, at: ModeAt): Promise<ModeSession> {
  listeners.opening?.(at)
  const download = { timeoutMs: options.timeoutMs, headers: target.headers, saveDir: options.saveDir, syncSave: options.syncSave, cpuSlices }
  return await MODES[at.mode].open({ baseUrl: target.baseUrl, codes, concurrency: at.concurrency, download, interrupt: options.signal, replicas })
}

/** Run k of every mode draws the same fates: a new salt per run with --fresh-fates, none otherwise. */
function saltOf ({ options }: Job, run: string): string | null {
  return options.freshFates ? run : null
}

async function runMode (job: Job, at: ModeAt, session: ModeSession, info: RunInfo): Promise<ModeRun> {
  const { listeners } = job
  job.current = { at, info, leftOut: false }
  listeners.runStart?.(at, info)
  const run = await session.run(record => listeners.record?.(at, record, info), saltOf(job, `${info.warmup ? 'warm' : 'run'}-${info.index + 1}`))
  listeners.runEnd?.(at, run, info)
  // A run the signal did not cut is over: an interrupt from now on falls between runs.
  if (!job.options.signal.aborted) job.current = null
  return run
}

function figuresOf ({ options, codes }: Job, at: ModeAt, runs: readonly ModeRun[], coldMs: number | null): ModeFigures | null {
  const slots = { io: at.concurrency, cpu: cpuSlotsOf(at.mode, at.concurrency) }
  return runs.length === 0 ? null : modeFigures(at.mode, at.concurrency, codes, runs, options.timeoutMs, { workMs: options.cpuWorkMs, slots }, coldMs)
}

/**
 * Open a mode, warm it up, run it K times, close it. The first warm-up run is the cold one
 * (new connections, the JIT cold, each worker's first request): its time is kept apart.
 */
async function measureMode (job: Job, at: ModeAt): Promise<ModeFigures | null> {
  const { warmup, repeat, signal } = job.options
  const session = await openMode(job, at)
  const runs: ModeRun[] = []
  let coldMs: number | null = null
  try {
    for (let w = 0; w < warmup && !signal.aborted; w++) {
      const run = await runMode(job, at, session, { warmup: true, index: w, of: warmup })
      coldMs ??= run.endMs - run.startMs
    }
    for (let k = 0; k < repeat && !signal.aborted; k++) runs.push(await runMode(job, at, session, { warmup: false, index: k, of: repeat }))
    // A measured run cut short after whole ones would drag their median: the whole ones stand
    // for the mode, and the banner says the cut one was left out. Alone, it is all there is.
    const last = runs.at(-1)
    if (runs.length > 1 && last !== undefined && !wholeRun(job.codes, last.records) && job.current !== null) {
      runs.pop()
      job.current.leftOut = true
    }
  } finally {
    await session.close()
  }
  return figuresOf(job, at, runs, coldMs)
}

/** Each mode, one after the other. */
async function measureModes (job: Job, modes: readonly ModeAt[]): Promise<ModeFigures[]> {
  const figures: ModeFigures[] = []
  for (const at of modes) {
    if (job.options.signal.aborted) break
    const measured = await measureMode(job, at)
    if (measured !== null) figures.push(measured)
  }
  return withSpeedups(figures)
}

/** --sweep: sequential once as the baseline, then the swept modes at each concurrency. */
async function measureSweep (job: Job, { concurrencies, modes }: { concurrencies: readonly number[], modes: readonly SweptMode[] }): Promise<{ modes: ModeFigures[], sweep: Sweep | null }> {
  const sequential = await measureMode(job, modeAt(job, 'sequential'))
  if (sequential === null) return { modes: [], sweep: null }
  const points: Sweep['points'] = []
  for (const concurrency of concurrencies) {
    for (const mode of modes) {
      if (job.options.signal.aborted) break
      const measured = await measureMode(job, modeAt(job, mode, concurrency))
      if (measured !== null) points.push(sweepPoint(mode, concurrency, measured, sequential))
    }
  }
  return { modes: withSpeedups([sequential]), sweep: { concurrencies: [...concurrencies], sequentialMs: sequential.elapsedMs, points } }
}

/**
 * The whole job. Rejects with a TargetError when the server cannot be used; otherwise resolves
 * with the report, marked incomplete when the signal cut it or the server was lost on the way.
 */
export async function measure (options: MeasureOptions, listeners: MeasureListeners = {}): Promise<HarnessReport> {
  const target = await openTarget(options)
  try {
    const served = options.codes.kind === 'all' ? await target.listCodes() : []
    const codes = expandCodes(options.codes, served, options.limit)
    // Calibrated here, once, on this idle thread, before any mode starts a worker.
    const cpuSlices = options.cpuWorkMs > 0 ? Math.round(calibrateCpuWork() * options.cpuWorkMs) : 0
    const replicas = new ReplicaSpread(target.addresses)
    const url = new URL(target.baseUrl)
    const metricsBefore = replicas.spread ? await replicas.readMetrics(url) : new Map()
    const job: Job = { options, target, codes, listeners, current: null, cpuSlices, replicas }
    const planned = options.sweep === null ? options.modes.map(mode => modeAt(job, mode)) : [modeAt(job, 'sequential')]
    const header: ReportHeader = {
      seed: target.seed,
      server: { url: target.baseUrl, embedded: target.embedded, config: target.config, note: target.note },
      machine: { node: process.version, cpus: availableParallelism(), platform: `${process.platform}-${process.arch}` },
      command: reproduceCommand(options.reproduce.script, options.reproduce.argv, options.seed !== null, target),
      codes,
      cpuWorkMs: options.cpuWorkMs,
      syncSave: options.syncSave,
      warmup: options.warmup,
      freshFates: options.freshFates
    }
    listeners.start?.({ target, codes, modes: planned, header })
    const { modes, sweep } = options.sweep !== null
      ? await measureSweep(job, options.sweep)
      : { modes: await measureModes(job, planned), sweep: null }
    const serverLost = await target.lost()
    const incomplete = options.signal.aborted || serverLost !== null || modes.some(m => !m.complete) ||
      (sweep === null || options.sweep === null ? modes.length < planned.length : sweep.points.length < sweep.concurrencies.length * options.sweep.modes.length)
    const { current } = job
    return {
      schemaVersion: SCHEMA_VERSION,
      ...header,
      serverLost,
      incomplete,
      stoppedIn: !incomplete || current === null ? null : { mode: current.at.mode, concurrency: current.at.concurrency, ...current.info, leftOut: current.leftOut },
      modes,
      sweep,
      ...(replicas.spread ? { replicas: await replicas.figures(url, metricsBefore) } : {})
    }
  } finally {
    await target.stop()
  }
}
