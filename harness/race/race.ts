// One race: the three modes at the same time, against one server, each flag reported as it lands.
//
// Unlike npm run harness, which runs the modes one after the other, the modes here run together
// on the harness's one event loop (pooled's downloads in its workers, but their results still
// come back through that loop) and on the machine's few cores. They slow each other a little:
// the race shows the shape of the lesson, sequential crawling beside the other two, while
// npm run harness gives the clean figures.

import { availableParallelism } from 'node:os'
import { modeFigures, withSpeedups } from '../figures.js'
import { OPENERS } from '../measure.js'
import { MODE_NAMES, type ModeName, type ModeRun, type ModeSession } from '../modes/mode.js'
import { wallClockMs, type Outcome } from '../record.js'
import type { HarnessOptions } from '../cli.js'
import type { Target } from '../target.js'

/** What the page is told, in order: race, go, then flags and lanes as they come, result last (or failed). */
export type RaceEvent =
  | { type: 'race', codes: string[], modes: Array<{ mode: ModeName, concurrency: number }>, baseUrl: string, site: string }
  /** Every session is open (pooled's workers started): the clocks start now. */
  | { type: 'go' }
  | { type: 'flag', mode: ModeName, cc: string, outcome: Outcome, reason: string | null, atMs: number }
  | { type: 'lane', mode: ModeName, elapsedMs: number }
  | { type: 'result', modes: Array<{ mode: ModeName, concurrency: number, elapsedMs: number, speedup: number | null, ok: number, notFound: number, errors: number }> }
  | { type: 'failed', message: string }

export interface RaceRun {
  options: HarnessOptions
  target: Target
  codes: string[]
  site: string
  interrupt: AbortSignal
  emit: (event: RaceEvent) => void
}

type RaceResult = Extract<RaceEvent, { type: 'result' }>

/** Emits every event but the last, the result, which it returns: the caller sends it once all is cleaned up. */
export async function runRace ({ options, target, codes, site, interrupt, emit }: RaceRun): Promise<RaceResult> {
  const download = { timeoutMs: options.timeoutMs, headers: target.headers, saveDir: null, syncSave: false, cpuWorkMs: 0 }
  const lanes = MODE_NAMES.map(mode => ({ mode, concurrency: mode === 'sequential' ? 1 : Math.min(options.maxReq, codes.length) }))
  emit({ type: 'race', codes, modes: lanes, baseUrl: target.baseUrl, site })
  // Opened first, all of them, so that pooled's start-up (worker threads, a second or so) is not
  // a handicap: the three lanes leave the line together, as npm run harness leaves start-up out.
  const opened = await Promise.allSettled(lanes.map(async ({ mode, concurrency }) =>
    await OPENERS[mode]({ baseUrl: target.baseUrl, codes, concurrency, download, interrupt })))
  const sessions = opened.flatMap(o => o.status === 'fulfilled' ? [o.value] : [])
  try {
    const failure = opened.find(o => o.status === 'rejected')
    if (failure !== undefined) throw failure.reason
    const startMs = wallClockMs()
    emit({ type: 'go' })
    const runs = await Promise.all(lanes.map(async ({ mode }, i) => {
      const run: ModeRun = await (sessions[i] as ModeSession).run(record => {
        emit({ type: 'flag', mode, cc: record.cc, outcome: record.outcome, reason: record.reason, atMs: record.endMs - startMs })
      })
      emit({ type: 'lane', mode, elapsedMs: run.endMs - run.startMs })
      return run
    }))
    const figures = withSpeedups(lanes.map(({ mode, concurrency }, i) => {
      const cpu = { workMs: 0, lanes: mode === 'pooled' ? Math.min(concurrency, availableParallelism()) : 1 }
      return modeFigures(mode, concurrency, codes, [runs[i] as ModeRun], options.timeoutMs, cpu)
    }))
    return {
      type: 'result',
      modes: figures.map(f => ({ mode: f.mode, concurrency: f.concurrency, elapsedMs: f.elapsedMs, speedup: f.speedup, ok: f.ok, notFound: f.notFound, errors: f.errors }))
    }
  } finally {
    await Promise.all(sessions.map(async s => await s.close()))
  }
}
