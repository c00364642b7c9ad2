// npm run bench:harness: how close each client comes to its ideal, measured with the harness's
// own core (measure(), in this process) against an embedded flag server in another.
//
// 1. 20 flags at a fixed L = 200 ms, 5 measured runs after a warm-up: sequential against 20 × L,
//    async and pooled (20 at once) against L, and each mode's run-to-run spread (max / min).
// 2. All 194 flags, no delay: what the clients themselves cost, sequential and async.

import type { ModeFigures } from '../harness/core/figures.js'
import { measure, type MeasureListeners } from '../harness/core/measure.js'
import type { ModeName } from '../harness/core/modes/mode.js'
import { DEFAULT_MAX_REQ, type CodeChoice, type MeasureOptions, MEASURE_DEFAULTS } from '../harness/core/options.js'
import type { HarnessReport } from '../harness/core/result.js'
import { table } from '../harness/reports/format.js'
import { atMost, fixed, MS, runBench, type BenchOptions, type BenchRun, type Check } from './paired.js'

const OPTIONS = {
  repeat: { kind: 'whole', env: 'BENCH_REPEAT', default: 5, min: 1, max: 100, help: 'measured runs per mode and case' },
  warmupRuns: { kind: 'whole', env: 'BENCH_WARMUP_RUNS', default: 1, min: 0, max: 100, help: 'unmeasured runs per mode before them' },
  latencyMs: { kind: 'whole', env: 'BENCH_LATENCY_MS', default: 200, min: 1, max: 10_000, help: 'the fixed latency L of case 1, in ms' }
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `The harness's clients against their ideal bounds, through measure() in this process:
1. 20 flags at a fixed latency L: sequential ≤ 1.03 × 20 × L, async ≤ 1.05 × L, pooled ≤ 1.10 × L
   (its thread pool's start-up apart), each mode's spread over the runs (max / min) ≤ 1.02.
2. All 194 flags, no delay: async ≤ 50 ms, sequential ≤ 150 ms.`

const FLAGS = 20
/** Case 1: each mode's elapsed time over its ideal bound, at most this many times it. */
const FACTORS: Record<ModeName, number> = { sequential: 1.03, async: 1.05, pooled: 1.10 }
const SPREAD = 1.02
/** Case 2: what the clients cost with nothing to wait for, ms. */
const NO_DELAY_MS: Partial<Record<ModeName, number>> = { async: 50, sequential: 150 }

interface Case {
  latencyMs: number
  codes: CodeChoice
  modes: ModeName[]
}

async function runCase ({ latencyMs, codes, modes }: Case, options: Options, run: BenchRun): Promise<HarnessReport> {
  const measureOptions: MeasureOptions = {
    ...MEASURE_DEFAULTS,
    seed: 1,
    injection: { latency: { kind: 'fixed', ms: latencyMs } },
    codes,
    modes,
    repeat: options.repeat,
    warmup: options.warmupRuns,
    signal: run.signal,
    reproduce: { script: 'bench:harness', argv: process.argv.slice(2) }
  }
  const listeners: MeasureListeners = { opening: lane => run.progress(`${lane.mode}: ${options.warmupRuns} warm-up + ${options.repeat} measured runs`) }
  return await measure(measureOptions, listeners)
}

/** A mode's figures when it ran to the end: a run cut by Ctrl-C or a lost server is not judged. */
function byMode (report: HarnessReport, mode: ModeName): ModeFigures | undefined {
  return report.modes.find(m => m.mode === mode && m.complete)
}

/** Case 1's checks: each mode against its bound, then each mode's spread. */
function fixedLatencyChecks (report: HarnessReport, L: number): Check[] {
  const bounds: Record<ModeName, number> = { sequential: FLAGS * L, async: L, pooled: L }
  const against = (Object.keys(FACTORS) as ModeName[]).map(mode => {
    const m = byMode(report, mode)
    const startup = m?.startupMs === null || m === undefined ? '' : ` (pool start-up ${m.startupMs.toFixed(0)} ms, apart)`
    const measured = m === undefined ? 'not run, or cut short' : `${m.elapsedMs.toFixed(1)} ms of ${bounds[mode]} ms${startup}`
    return atMost(`${mode}, ${FLAGS} flags at ${L} ms: elapsed ÷ ${mode === 'sequential' ? `${FLAGS} × L` : 'L'}`, (m?.elapsedMs ?? NaN) / bounds[mode], FACTORS[mode], measured)
  })
  const spreads = report.modes.filter(m => m.complete).map(m => atMost(`${m.mode}, ${FLAGS} flags at ${L} ms: spread max/min over ${m.runsMs.length} runs`,
    Math.max(...m.runsMs) / Math.min(...m.runsMs), SPREAD, `${m.runsMs.map(ms => ms.toFixed(0)).join(', ')} ms`))
  return [...against, ...spreads]
}

function noDelayChecks (report: HarnessReport): Check[] {
  return Object.entries(NO_DELAY_MS).map(([mode, targetMs]) => {
    const m = byMode(report, mode as ModeName)
    const measured = m === undefined ? 'not run, or cut short' : `${report.codes.length} flags, ${Math.round(m.requestsPerSecond).toLocaleString('en-US')} req/s`
    return atMost(`${mode}, all flags, no delay: elapsed`, m?.elapsedMs ?? NaN, targetMs ?? NaN, measured, MS)
  })
}

function modesTable (title: string, report: HarnessReport): string {
  const rows = report.modes.map(m => [m.mode, fixed(m.elapsedMs, 1), fixed(m.idealMs, 1), fixed(m.efficiency, 3), m.runsMs.map(ms => ms.toFixed(0)).join(' '), String(m.errors)])
  return `${title}\n${table(['mode', 'elapsed ms', 'ideal ms', 'ideal/elapsed', 'runs ms', 'errors'], rows)}`
}

await runBench({ program: 'bench:harness', about: ABOUT, options: OPTIONS }, async (options, run) => {
  const L = options.latencyMs
  run.progress(`1/2: ${FLAGS} flags at ${L} ms`)
  const fixedCase = await runCase({ latencyMs: L, codes: { kind: 'pop20' }, modes: ['sequential', 'pooled', 'async'] }, options, run)
  run.progress('2/2: all flags, no delay')
  const noDelay = run.signal.aborted ? null : await runCase({ latencyMs: 0, codes: { kind: 'all' }, modes: ['sequential', 'async'] }, options, run)
  const text = [
    `harness vs ideal: Node ${process.version}, ${fixedCase.machine.cpus} cores, embedded server on 127.0.0.1, ${options.repeat} measured runs after ${options.warmupRuns} warm-up, medians`,
    '',
    modesTable(`1. ${FLAGS} flags at a fixed ${L} ms, ${DEFAULT_MAX_REQ} at once`, fixedCase),
    ...(noDelay === null ? [] : ['', modesTable(`2. ${noDelay.codes.length} flags, no delay`, noDelay)])
  ].join('\n')
  const checks = [...fixedLatencyChecks(fixedCase, L), ...(noDelay === null ? [] : noDelayChecks(noDelay))]
  const slim = (report: HarnessReport | null): unknown => report === null ? null : { ...report, modes: report.modes.map(({ requests, loopSamples, ...m }) => m) }
  return { text, details: { fixedLatency: slim(fixedCase), noDelay: slim(noDelay) }, checks }
})
