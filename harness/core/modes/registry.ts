// The client modes, one entry each: how a mode is opened, how many requests and how much CPU
// work it runs at once, where it is shown, and how it is drawn and described. Everything that
// lists the modes (measure, the sweep, the race, the charts, --expect, --mode, the benches)
// reads this table, so a new mode is one entry here and its opener.

import { availableParallelism } from 'node:os'
import { openAsync } from './async.js'
import type { ModeContext, ModeSession } from './mode.js'
import { openPooled, openProcesses } from './pooled.js'
import { openSequential } from './sequential.js'

export interface ModeSpec {
  open: (context: ModeContext) => Promise<ModeSession>
  /** One request at a time whatever the concurrency asked for (the sweep's baseline). */
  oneAtATime: boolean
  /** Workers of its own (threads or processes): its CPU work spreads over them as far as the cores go; otherwise one event loop runs it all. */
  workers: boolean
  /** Run by npm run harness without --mode. */
  byDefault: boolean
  /** A lane of npm run race. */
  raced: boolean
  /** In --sweep: the baseline (run once), swept by default, or swept only when --mode names it. */
  sweep: 'baseline' | 'default' | 'asked'
  /** Its colour in the charts and on the race page (Paul Tol's colour-blind-safe palettes). */
  colour: string
  /** What it is, in a few words, for help texts and the race page. */
  blurb: string
}

export const MODES = {
  sequential: { open: openSequential, oneAtATime: true, workers: false, byDefault: true, raced: true, sweep: 'baseline', colour: '#555555', blurb: 'one request after another' },
  pooled: { open: openPooled, oneAtATime: false, workers: true, byDefault: true, raced: true, sweep: 'default', colour: '#EE7733', blurb: 'worker threads, one download each' },
  processes: { open: openProcesses, oneAtATime: false, workers: true, byDefault: false, raced: false, sweep: 'asked', colour: '#CC3311', blurb: 'worker processes, one download each' },
  async: { open: openAsync, oneAtATime: false, workers: false, byDefault: true, raced: true, sweep: 'default', colour: '#0077BB', blurb: 'one event loop, many requests in flight' }
} as const satisfies Record<string, ModeSpec>

export type ModeName = keyof typeof MODES

/** Every mode, in the order the report shows them. */
export const MODE_NAMES = Object.keys(MODES) as ModeName[]

/** The book's three, run by default: processes (ProcessPoolExecutor) is asked for with --mode. */
export const DEFAULT_MODES: readonly ModeName[] = MODE_NAMES.filter(mode => MODES[mode].byDefault)

/** The race's lanes, in the order the page shows them. */
export const RACED_MODES: readonly ModeName[] = MODE_NAMES.filter(mode => MODES[mode].raced)

/** A mode a sweep runs at each concurrency: any but its baseline. */
export type SweptMode = { [M in ModeName]: typeof MODES[M]['sweep'] extends 'baseline' ? never : M }[ModeName]

export function isSwept (mode: ModeName): mode is SweptMode {
  return MODES[mode].sweep !== 'baseline'
}

/** Every mode a sweep can run, and those it runs without --mode. */
export const SWEPT_MODES: readonly SweptMode[] = MODE_NAMES.filter(isSwept)
export const SWEPT_BY_DEFAULT: readonly SweptMode[] = SWEPT_MODES.filter(mode => MODES[mode].sweep === 'default')

/** Requests at once for a mode asked to run `asked` of them over `codes` codes: more than there are codes would only sit idle. */
export function concurrencyOf (mode: ModeName, asked: number, codes: number): number {
  return MODES[mode].oneAtATime ? 1 : Math.min(asked, codes)
}

/** CPU work at once: one event loop runs all of sequential's and async's; a pool spreads it over its workers, as far as the cores go. */
export function cpuSlotsOf (mode: ModeName, concurrency: number): number {
  return MODES[mode].workers ? Math.min(concurrency, availableParallelism()) : 1
}
