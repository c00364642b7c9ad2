// One race: the three modes against one server, each flag reported as it lands.
//
// Unlike npm run harness, which runs the modes one after the other, the modes here run together,
// each in a process of its own (lanes.ts): its own event loop, its own client, its own CPU work.
// They share the server and the machine's cores, nothing else. The lanes' processes are started
// and opened (pooled's worker threads too) before the race, then warmed up together as the
// harness warms each mode, then told to go together; with CPU work, they take turns instead, so
// that none fights the others for the cores.

import { calibrateCpuWork } from '../core/cpu-work.js'
import { withSpeedups, type ModeFigures } from '../core/figures.js'
import { concurrencyOf, RACED_MODES, type ModeName } from '../core/modes/registry.js'
import { DEFAULT_INJECTION, DEFAULT_TIMEOUT_MS, type ServerChoice } from '../core/options.js'
import type { Outcome } from '../core/record.js'
import { openTarget, type Target } from '../core/target.js'
import { request } from 'undici'
import { formatInjection, type InjectionPatch } from '../../server/contract/injection.js'
import { idealSpeedup, verdicts, type Verdict } from './lane-verdicts.js'
import { startLane, type ColdCosts, type LaneProcess } from './lanes.js'

/**
 * What the page is told, in order: race, go, then turns, flags and lanes as they come, result
 * last (or failed). No URL: the page fetches only from the race server, relative to itself.
 */
export type RaceEvent =
  /** `serverPid`: the harness's own server's process, null for another server. */
  | { type: 'race', codes: string[], modes: Array<{ mode: ModeName, concurrency: number }>, site: string, cpuWorkMs: number, serverPid: number | null }
  /**
   * Every lane's process is open (pooled's workers started) and warmed up (`warmed`; another
   * server's are raced cold), with each lane's cold costs, kept out of the race as the harness
   * keeps them. `turns`: with CPU work, the lanes run one after the other, each with the cores
   * to itself; otherwise all at once.
   */
  | { type: 'go', lanes: Array<{ mode: ModeName, pid: number } & ColdCosts>, warmed: boolean, turns: boolean }
  /** These lanes' clocks start now: all of them at once, or one lane at its turn. */
  | { type: 'turn', modes: ModeName[] }
  | { type: 'flag', mode: ModeName, cc: string, outcome: Outcome, reason: string | null, atMs: number }
  | { type: 'lane', mode: ModeName, elapsedMs: number }
  /**
   * `idealMs`: the harness's ideal for the lane (its schedule with only the injected waits and the
   * CPU work); `idealSpeedup`, sequential's ideal over it; `verdicts`, which lane beat which
   * beyond the run-to-run spread (lane-verdicts.ts).
   */
  | { type: 'result', modes: Array<{ mode: ModeName, pid: number, concurrency: number, elapsedMs: number, idealMs: number | null, speedup: number | null, idealSpeedup: number | null, ok: number, notFound: number, errors: number }>, verdicts: Verdict[] }
  | { type: 'failed', message: string }

export type RaceResult = Extract<RaceEvent, { type: 'result' }>

export interface RaceRun {
  server: ServerChoice
  injection: InjectionPatch
  codes: string[]
  /** --cpu-work: synchronous CPU work after each download, in ms (0 for none). */
  cpuWorkMs: number
  /** --max-req: pooled's workers, async's requests in flight (capped by the codes). */
  maxReq: number
  /** Called once the server is open (reachable, or started): returns how the page names it. */
  opened: (target: Target) => string
  signal: AbortSignal
  emit: (event: RaceEvent) => void
}

/** PATCH /admin/config on the harness's own server (on loopback, it needs no token). */
async function patchConfig (target: Target, patch: Record<string, string>): Promise<void> {
  const res = await request(new URL('/admin/config', target.baseUrl), { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`the harness's own server refused ${JSON.stringify(patch)} (${res.statusCode} ${text})`)
}

/** The lanes' warm-up at no latency, together, then the race's injection set: each lane's cold costs. */
async function warmUp (target: Target, lanes: readonly LaneProcess[], injection: InjectionPatch): Promise<ColdCosts[]> {
  await patchConfig(target, { latency: '0ms' })
  const cold = await Promise.all(lanes.map(async lane => await lane.warm()))
  await patchConfig(target, { latency: formatInjection(DEFAULT_INJECTION).latency ?? '0ms', ...formatInjection(injection) })
  return cold
}

/** Settles as `work`, unless the signal comes first. */
async function unlessAborted<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error('interrupted'))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Emits every event but the last, the result, which it returns once every lane's process has
 * exited and the server is stopped: the caller sends it then. Rejects with a TargetError, before
 * any event, when the server cannot be used.
 */
export async function runRace ({ server, injection, codes, cpuWorkMs, maxReq, opened, signal, emit }: RaceRun): Promise<RaceResult> {
  const target = await openTarget({ server, seed: null, injection })
  const lanes: LaneProcess[] = []
  try {
    const plan = RACED_MODES.map(mode => ({ mode, concurrency: concurrencyOf(mode, maxReq, codes.length) }))
    emit({ type: 'race', codes: [...codes], modes: plan, site: opened(target), cpuWorkMs, serverPid: target.pid })
    // Calibrated once, here, before any lane starts: every lane and thread then does the same work.
    const cpuSlices = cpuWorkMs > 0 ? Math.round(calibrateCpuWork() * cpuWorkMs) : 0
    const download = { timeoutMs: DEFAULT_TIMEOUT_MS, headers: target.headers, saveDir: null, syncSave: false, cpuSlices }
    if (signal.aborted) throw new Error('interrupted')
    for (const { mode, concurrency } of plan) {
      lanes.push(startLane({ mode, concurrency, baseUrl: target.baseUrl, codes, download, cpuWorkMs }, flag => emit({ type: 'flag', mode, ...flag })))
    }
    const pids = await unlessAborted(Promise.all(lanes.map(async lane => await lane.opened)), signal)
    // With the harness's own server, each lane warms up as npm run harness does (its connections
    // open, its JIT warm, each of pooled's workers past its first request), once every lane is
    // open, and at no latency, so that sequential's takes no 20 × 100 ms. The server is set back
    // before the go. Another server is raced cold: its latency is its own (DELAY's 0.5 to 5 s
    // would make sequential's warm-up a minute).
    const warmed = target.embedded
    const cold = warmed ? await unlessAborted(warmUp(target, lanes, injection), signal) : lanes.map(() => ({ startupMs: null, coldMs: null }))
    // With CPU work, the lanes take turns: run together, three lanes' work fought over the
    // machine's cores (2 here), and async's one loop lost the most (2.1× sequential where the
    // harness shows 7.3×). Alone, each gets what npm run harness gives it.
    const turns = cpuWorkMs > 0
    emit({ type: 'go', warmed, turns, lanes: lanes.map((lane, i) => ({ mode: lane.mode, pid: pids[i] as number, ...cold[i] as ColdCosts })) })
    const figures: ModeFigures[] = []
    for (const [g, group] of (turns ? lanes.map(lane => [lane]) : [lanes]).entries()) {
      // Warmed again right before its turn: its connections have been idle while the others ran.
      if (warmed && g > 0) await unlessAborted(warmUp(target, group, injection), signal)
      emit({ type: 'turn', modes: group.map(lane => lane.mode) })
      for (const lane of group) lane.go()
      figures.push(...await unlessAborted(Promise.all(group.map(async lane => {
        const done = await lane.done
        emit({ type: 'lane', mode: lane.mode, elapsedMs: done.elapsedMs })
        return done
      })), signal))
    }
    const sequential = figures.find(f => f.mode === 'sequential')
    return {
      type: 'result',
      modes: withSpeedups(figures).map((f: ModeFigures, i) => ({
        mode: f.mode, pid: pids[i] as number, concurrency: f.concurrency, elapsedMs: f.elapsedMs, idealMs: f.idealMs, speedup: f.speedup, idealSpeedup: idealSpeedup(sequential, f), ok: f.ok, notFound: f.notFound, errors: f.errors
      })),
      verdicts: verdicts(figures)
    }
  } finally {
    await Promise.all(lanes.map(async lane => await lane.stop()))
    await target.stop()
  }
}
