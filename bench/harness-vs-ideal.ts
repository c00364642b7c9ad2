// npm run bench:harness: the default command, `npm run harness -- --latency 200ms`, against its
// ideal, through measure() in this process (the server in its own, as the command does).
//
// 1. The default command K times (each mode warmed up once, as by default): sequential
//    ≤ 1.03 × N × L, async ≤ 1.05 × L, pooled ≤ 1.10 × L (the medians over the K commands),
//    and each mode's spread over them (max / min) ≤ 1.02. The cold costs (pool start-up, the
//    first run) are printed apart: they are not in the measured time.
// 2. All 194 flags, no delay: what the clients themselves cost, per request (info, no target:
//    an absolute time says more about the machine than about the client).

import { measure } from '../harness/core/measure.js'
import { DEFAULT_MODES, type ModeName } from '../harness/core/modes/mode.js'
import { MEASURE_DEFAULTS, type MeasureOptions } from '../harness/core/options.js'
import type { HarnessReport } from '../harness/core/result.js'
import { table } from '../harness/reports/format.js'
import { atMost, fixed, info, medianOf, runBench, type BenchOptions, type BenchRun, type Check } from './paired.js'

const OPTIONS = {
  commands: { kind: 'whole', env: 'BENCH_COMMANDS', default: 5, min: 1, max: 100, help: 'times the default command is run' },
  latencyMs: { kind: 'whole', env: 'BENCH_LATENCY_MS', default: 200, min: 1, max: 10_000, help: 'the fixed latency L, in ms' }
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `The harness's default command (npm run harness -- --latency L: 20 flags, each mode warmed
up once) against its ideal, run K times through measure() in this process:
sequential ≤ 1.03 × 20 × L, async ≤ 1.05 × L, pooled ≤ 1.10 × L (medians over the K runs), each
mode's spread (max / min) ≤ 1.02; then 194 flags at no delay, the clients' own cost (no target).`

const FLAGS = 20
/** Each mode's elapsed time over its ideal bound, at most this many times it. */
const FACTORS: Record<ModeName, number> = { sequential: 1.03, async: 1.05, pooled: 1.10, processes: 1.10 }
const SPREAD = 1.02

async function command (options: Partial<MeasureOptions>, run: BenchRun): Promise<HarnessReport> {
  return await measure({ ...MEASURE_DEFAULTS, seed: 1, ...options, signal: run.signal, reproduce: { script: 'bench:harness', argv: process.argv.slice(2) } })
}

/** Each mode's elapsed time in each complete command; a run cut by Ctrl-C is not judged. */
function elapsedByMode (reports: readonly HarnessReport[]): Map<ModeName, HarnessReport['modes']> {
  const byMode = new Map<ModeName, HarnessReport['modes']>()
  for (const report of reports) {
    for (const m of report.modes.filter(m => m.complete)) byMode.set(m.mode, [...(byMode.get(m.mode) ?? []), m])
  }
  return byMode
}

function defaultCommandChecks (reports: readonly HarnessReport[], L: number): Check[] {
  const bounds: Record<ModeName, number> = { sequential: FLAGS * L, async: L, pooled: L, processes: L }
  const checks: Check[] = []
  for (const [mode, figures] of elapsedByMode(reports)) {
    const elapsed = figures.map(m => m.elapsedMs)
    const median = medianOf(elapsed)
    const name = `${mode}: elapsed ÷ ${mode === 'sequential' ? `${FLAGS} × L` : 'L'}, median of ${elapsed.length}`
    checks.push(atMost(name, median / bounds[mode], FACTORS[mode], `${fixed(median, 1)} ms of ${bounds[mode]} ms`))
    checks.push(atMost(`${mode}: spread max/min over ${elapsed.length} commands`, Math.max(...elapsed) / Math.min(...elapsed), SPREAD, `${elapsed.map(ms => ms.toFixed(0)).join(', ')} ms`))
    const cold = medianOf(figures.map(m => m.coldMs ?? NaN))
    const startup = figures[0]?.startupMs === null ? '' : `, pool start-up ${fixed(medianOf(figures.map(m => m.startupMs ?? NaN)), 0)} ms`
    checks.push(info(`${mode}: the cold costs, apart`, `first run ${fixed(cold, 0)} ms${startup} (medians)`))
  }
  return checks
}

function modesTable (title: string, reports: readonly HarnessReport[]): string {
  const rows = [...elapsedByMode(reports)].map(([mode, figures]) => {
    const elapsed = figures.map(m => m.elapsedMs)
    return [mode, fixed(medianOf(elapsed), 1), fixed(figures[0]?.idealMs ?? NaN, 1), fixed(medianOf(figures.map(m => m.efficiency ?? NaN)), 3), elapsed.map(ms => ms.toFixed(0)).join(' '), fixed(medianOf(figures.map(m => m.coldMs ?? NaN)), 0)]
  })
  return `${title}\n${table(['mode', 'elapsed ms', 'ideal ms', 'ideal/elapsed', 'each command ms', 'cold run ms'], rows)}`
}

async function defaultCommands (options: Options, run: BenchRun): Promise<HarnessReport[]> {
  const reports: HarnessReport[] = []
  for (let k = 0; k < options.commands && !run.signal.aborted; k++) {
    run.progress(`1/2: the default command, ${k + 1} of ${options.commands}`)
    // The default command, and the processes mode beside it: what a pool of processes costs for the same speedup.
    reports.push(await command({ injection: { latency: { kind: 'fixed', ms: options.latencyMs } }, modes: [...DEFAULT_MODES, 'processes'] }, run))
  }
  return reports
}

await runBench({ program: 'bench:harness', about: ABOUT, options: OPTIONS }, async (options, run) => {
  const L = options.latencyMs
  const reports = await defaultCommands(options, run)
  run.progress('2/2: all flags, no delay')
  const noDelay = run.signal.aborted ? null : await command({ injection: { latency: { kind: 'fixed', ms: 0 } }, codes: { kind: 'all' }, modes: ['sequential', 'async'] }, run)
  const perRequest = (noDelay?.modes ?? []).map(m => info(`${m.mode}, ${noDelay?.codes.length ?? 0} flags, no delay: the client's cost per request`,
    `${fixed(m.elapsedMs * 1000 / Math.max(1, m.requests.length), 0)} µs (${fixed(m.elapsedMs, 1)} ms in all)`))
  const text = [
    `harness vs ideal: Node ${process.version}, ${reports[0]?.machine.cpus ?? '?'} cores, embedded server on 127.0.0.1, the default command ${reports.length} times`,
    '',
    modesTable(`1. npm run harness -- --latency ${L}ms: ${FLAGS} flags, ${MEASURE_DEFAULTS.maxReq} at once, each mode warmed up once`, reports),
    ...(noDelay === null ? [] : ['', modesTable(`2. ${noDelay.codes.length} flags, no delay`, [noDelay])])
  ].join('\n')
  const slim = (report: HarnessReport): unknown => ({ ...report, modes: report.modes.map(({ requests, loopSamples, ...m }) => m) })
  return { text, details: { defaultCommand: reports.map(slim), noDelay: noDelay === null ? null : slim(noDelay) }, checks: [...defaultCommandChecks(reports, L), ...perRequest] }
})
