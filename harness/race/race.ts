// One race: the three modes at the same time, against one server, each flag reported as it lands.
//
// Unlike npm run harness, which runs the modes one after the other, the modes here run together
// (measure() with `together`) on the harness's one event loop (pooled's downloads in its
// workers, but their results still come back through that loop) and on the machine's few cores.
// They slow each other a little: the race shows the shape of the lesson, sequential crawling
// beside the other two, while npm run harness gives the clean figures.

import { measure } from '../core/measure.js'
import { DEFAULT_MODES, type ModeName } from '../core/modes/mode.js'
import { MEASURE_DEFAULTS, type ServerChoice } from '../core/options.js'
import { wallClockMs, type Outcome } from '../core/record.js'
import type { InjectionPatch } from '../../server/contract/injection.js'
import type { Target } from '../core/target.js'

/** What the page is told, in order: race, go, then flags and lanes as they come, result last (or failed). */
export type RaceEvent =
  | { type: 'race', codes: string[], modes: Array<{ mode: ModeName, concurrency: number }>, baseUrl: string, site: string }
  /** Every session is open (pooled's workers started): the clocks start now. */
  | { type: 'go' }
  | { type: 'flag', mode: ModeName, cc: string, outcome: Outcome, reason: string | null, atMs: number }
  | { type: 'lane', mode: ModeName, elapsedMs: number }
  | { type: 'result', modes: Array<{ mode: ModeName, concurrency: number, elapsedMs: number, speedup: number | null, ok: number, notFound: number, errors: number }> }
  | { type: 'failed', message: string }

export type RaceResult = Extract<RaceEvent, { type: 'result' }>

export interface RaceRun {
  server: ServerChoice
  injection: InjectionPatch
  codes: string[]
  /** Called once the server is open (reachable, or started): returns how the page names it. */
  opened: (target: Target) => string
  signal: AbortSignal
  emit: (event: RaceEvent) => void
}

/**
 * Emits every event but the last, the result, which it returns: the caller sends it once all is
 * cleaned up. Rejects with a TargetError, before any event, when the server cannot be used.
 */
export async function runRace ({ server, injection, codes, opened, signal, emit }: RaceRun): Promise<RaceResult> {
  let goAt = 0
  const report = await measure({
    ...MEASURE_DEFAULTS,
    server,
    injection,
    codes: { kind: 'list', args: codes },
    // The lanes leave the line together, once, cold: a race is watched, not measured.
    warmup: 0,
    modes: [...DEFAULT_MODES],
    together: true,
    signal,
    reproduce: { script: 'race', argv: [] }
  }, {
    start: ({ target, codes, lanes }) => emit({ type: 'race', codes: [...codes], modes: lanes, baseUrl: target.baseUrl, site: opened(target) }),
    go: () => {
      goAt = wallClockMs()
      emit({ type: 'go' })
    },
    record: ({ mode }, record) => emit({ type: 'flag', mode, cc: record.cc, outcome: record.outcome, reason: record.reason, atMs: record.endMs - goAt }),
    runEnd: ({ mode }, run) => emit({ type: 'lane', mode, elapsedMs: run.endMs - run.startMs })
  })
  return {
    type: 'result',
    modes: report.modes.map(f => ({ mode: f.mode, concurrency: f.concurrency, elapsedMs: f.elapsedMs, speedup: f.speedup, ok: f.ok, notFound: f.notFound, errors: f.errors }))
  }
}
