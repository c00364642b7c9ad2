// npm run bench:harness: the default command, `npm run harness -- --latency 200ms`, against its
// ideal, through measure() in this process (the server in its own, as the command does).
//
// 1. All 194 flags at no delay, each mode: what a request costs when nothing waits, c, measured
//    in this same run: the median elapsed of five runs over the requests, the mode's own parallelism included, and never less
//    than sequential's, where nothing overlaps. At L the responses land together, and each costs
//    the client and the server in full: overlapped at no delay, a concurrent mode's own figure
//    would understate that (async: 424 µs a request against sequential's 577, 21 ms above L).
// 2. The default command K times (each mode warmed up once, as by default): each mode's median
//    elapsed ≤ F × (its ideal + 20 × c), F = 1.03 sequential, 1.05 async, 1.10 pooled and
//    processes; every request ok and every mode complete in every command; each mode's spread
//    over the commands (max / min) ≤ 1.02. The ideal plus the client's own cost scales with the
//    machine, so a slower one meets the same targets; the cold costs are printed apart.

import { measure } from '../harness/core/measure.js'
import { MODE_NAMES, type ModeName } from '../harness/core/modes/registry.js'
import { MEASURE_DEFAULTS, type MeasureOptions } from '../harness/core/options.js'
import type { HarnessReport } from '../harness/core/result.js'
import { table } from '../harness/reports/format.js'
import { atLeast, atMost, COUNT, fixed, info, medianOf, noneFailed, runBench, type BenchOptions, type BenchRun, type Check } from './paired.js'

const OPTIONS = {
  commands: { kind: 'whole', env: 'BENCH_COMMANDS', default: 5, min: 1, max: 100, help: 'times the default command is run' },
  latencyMs: { kind: 'whole', env: 'BENCH_LATENCY_MS', default: 200, min: 1, max: 10_000, help: 'the fixed latency L, in ms' }
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `The harness's default command (npm run harness -- --latency L: 20 flags, each mode warmed
up once) against its ideal, run K times through measure() in this process, after 194 flags at
no delay have measured what a request costs each mode (c, at least sequential's) in the same run: each
mode's median elapsed ≤ F × (ideal + 20 × c), F = 1.03 sequential, 1.05 async, 1.10 pooled and
processes; every request ok, every mode complete; each mode's spread (max / min) ≤ 1.02.`

const FLAGS = 20
/** Each mode's elapsed time over its ideal plus the client's own cost, at most this many times it. */
const FACTORS: Record<ModeName, number> = { sequential: 1.03, async: 1.05, pooled: 1.10, processes: 1.10 }
const SPREAD = 1.02

async function command (options: Partial<MeasureOptions>, run: BenchRun): Promise<HarnessReport> {
  return await measure({ ...MEASURE_DEFAULTS, seed: 1, ...options, signal: run.signal, reproduce: { script: 'bench:harness', argv: process.argv.slice(2) } })
}

/** Each mode's figures in each command, complete or not: a mode cut short is judged, not dropped. */
function figuresByMode (reports: readonly HarnessReport[]): Map<ModeName, HarnessReport['modes']> {
  const byMode = new Map<ModeName, HarnessReport['modes']>(MODE_NAMES.map(mode => [mode, []]))
  for (const report of reports) for (const m of report.modes) byMode.set(m.mode, [...(byMode.get(m.mode) ?? []), m])
  return byMode
}

/** A request's cost at no delay, per mode: elapsed over requests, at least sequential's; NaN where either did not complete. */
function costPerRequest (noDelay: HarnessReport | null): Map<ModeName, number> {
  const own = (m: HarnessReport['modes'][number]): number => m.complete && m.requests.length > 0 ? m.elapsedMs / m.requests.length : NaN
  const modes = noDelay?.modes ?? []
  const sequential = modes.find(m => m.mode === 'sequential')
  const floor = sequential === undefined ? NaN : own(sequential)
  return new Map(modes.map(m => [m.mode, Math.max(own(m), floor)]))
}

function defaultCommandChecks (reports: readonly HarnessReport[], commands: number, cost: Map<ModeName, number>): Check[] {
  const checks: Check[] = []
  for (const [mode, figures] of figuresByMode(reports)) {
    const complete = figures.filter(m => m.complete)
    checks.push(atLeast(`${mode}: complete commands`, complete.length, commands, `${complete.length} of ${commands}`, COUNT))
    const failed = figures.reduce((sum, m) => sum + m.errors + m.notFound + m.notRun, 0)
    checks.push(noneFailed(`${mode}: failed requests`, failed, figures.length * FLAGS))
    const elapsed = complete.map(m => m.elapsedMs)
    const median = medianOf(elapsed)
    const ideal = medianOf(complete.map(m => m.idealMs ?? NaN))
    const overhead = FLAGS * (cost.get(mode) ?? NaN)
    const bound = ideal + overhead
    checks.push(atMost(`${mode}: elapsed ÷ (ideal + ${FLAGS} × c), median of ${elapsed.length}`, median / bound, FACTORS[mode],
      `${fixed(median, 1)} ms of ${fixed(ideal, 1)} + ${fixed(overhead, 1)} ms`))
    checks.push(atMost(`${mode}: spread max/min over ${elapsed.length} commands`, Math.max(...elapsed) / Math.min(...elapsed), SPREAD, `${elapsed.map(ms => ms.toFixed(0)).join(', ')} ms`))
    const cold = medianOf(figures.map(m => m.coldMs ?? NaN))
    const startup = figures[0]?.startupMs === null ? '' : `, pool start-up ${fixed(medianOf(figures.map(m => m.startupMs ?? NaN)), 0)} ms`
    checks.push(info(`${mode}: the cold costs, apart`, `first run ${fixed(cold, 0)} ms${startup} (medians)`))
  }
  return checks
}

function modesTable (title: string, reports: readonly HarnessReport[]): string {
  const rows = [...figuresByMode(reports)].filter(([, figures]) => figures.length > 0).map(([mode, figures]) => {
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
    reports.push(await command({ injection: { latency: { kind: 'fixed', ms: options.latencyMs } }, modes: [...MODE_NAMES] }, run))
  }
  return reports
}

await runBench({ program: 'bench:harness', about: ABOUT, options: OPTIONS }, async (options, run) => {
  const L = options.latencyMs
  run.progress('1/2: all flags, no delay: the client\'s own cost per request')
  // Five runs a mode, their median: one short run at no delay is at the mercy of a busy machine.
  const noDelay = run.signal.aborted ? null : await command({ injection: { latency: { kind: 'fixed', ms: 0 } }, codes: { kind: 'all' }, modes: [...MODE_NAMES], repeat: 5 }, run)
  const cost = costPerRequest(noDelay)
  const perRequest = (noDelay?.modes ?? []).map(m => info(`${m.mode}, ${noDelay?.codes.length ?? 0} flags, no delay: a request's cost, c`,
    `${fixed((cost.get(m.mode) ?? NaN) * 1000, 0)} µs (${fixed(m.elapsedMs, 1)} ms in all)`))
  const reports = await defaultCommands(options, run)
  const text = [
    `harness vs ideal: Node ${process.version}, ${reports[0]?.machine.cpus ?? '?'} cores, embedded server on 127.0.0.1, the default command ${reports.length} times`,
    '',
    ...(noDelay === null ? [] : [modesTable(`1. ${noDelay.codes.length} flags, no delay`, [noDelay]), '']),
    modesTable(`2. npm run harness -- --latency ${L}ms: ${FLAGS} flags, ${MEASURE_DEFAULTS.maxReq} at once, each mode warmed up once`, reports)
  ].join('\n')
  const slim = (report: HarnessReport): unknown => ({ ...report, modes: report.modes.map(({ requests, loopSamples, ...m }) => m) })
  return { text, details: { defaultCommand: reports.map(slim), noDelay: noDelay === null ? null : slim(noDelay) }, checks: [...perRequest, ...defaultCommandChecks(reports, options.commands, cost)] }
})
