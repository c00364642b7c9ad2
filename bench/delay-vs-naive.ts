// npm run bench:delay: the flag server with --latency L at many connections against the naive way
// to add a delay (bare Fastify awaiting an L ms timer), in alternating rounds. A closed loop of
// C connections waiting L each completes at best C/L requests per second (Little's law).
// Targets, medians of the paired ratios: the server's CPU per delayed answer ≤ 1.10 × the naive
// server's at every C; throughput ≥ 0.98 × the naive server's at 1,000 connections (and below),
// and above that at least the naive server's own ratio to C/L (where one core for the server and
// one for the generator run out, both fall short of the bound: the flag server no further).

import { availableParallelism } from 'node:os'
import { summarize, type DriveFigures, type DriveSummary, type ServerRig, type ServerSpec } from '../harness/core/load/drive.js'
import { openFileLimit } from '../harness/core/load/proc-stats.js'
import { table } from '../harness/reports/format.js'
import {
  atLeast, atMost, BARE_SERVER, ceilingNote, disturbedNote, fixed, GENERATOR_OPTIONS, info, int, LOAD_HEADER, loadCells, medianOf, pairedRatio,
  perRoundText, ROUND_OPTIONS, runBench, runPaired, unmeasured, withRig, type BenchOptions, type BenchOutcome, type Check
} from './paired.js'

const OPTIONS = {
  ...ROUND_OPTIONS,
  // One pair's ratio varies by ±10% on this shared machine: ten pairs give a steadier median.
  duration: { ...ROUND_OPTIONS.duration, default: 5 },
  rounds: { ...ROUND_OPTIONS.rounds, default: 10 },
  connections: { kind: 'wholeList', env: 'BENCH_HIGH_CONNECTIONS', default: [1000, 5000], min: 1, max: 100_000, help: 'connection counts C, one comparison each' },
  latencyMs: { kind: 'whole', env: 'BENCH_LATENCY_MS', default: 200, min: 1, max: 60_000, help: 'injected latency L in ms' },
  ...GENERATOR_OPTIONS
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `The flag server with --latency L against bare Fastify awaiting an L ms timer (the naive
delayed server), at each connection count C, in alternating rounds (A B, B A, ...).
Targets, the medians of the per-round ratios: CPU per delayed answer ≤ 1.10 × the naive
server's; req/s ≥ 0.98 × the naive server's at C ≤ 1,000, and above it a ratio to C/L (Little's
law) at least the naive server's. A C that "ulimit -n" cannot hold is skipped and its targets
count as missed.`

/** At and below this, the server must keep up with the naive server; above, with its ratio to the bound. */
const CLOSE_UP_TO = 1000
const COST = 1.10

interface Compared {
  connections: number
  bound: number
  runs: { a: DriveFigures[], b: DriveFigures[] } | null
}

function servers (latencyMs: number): { a: ServerSpec, b: ServerSpec } {
  return {
    a: { label: `flag server --latency ${latencyMs}ms`, args: ['--profile', 'local', '--seed', '1', '--latency', `${latencyMs}ms`] },
    b: { label: `bare Fastify + ${latencyMs} ms timer`, script: BARE_SERVER, args: ['--delay-ms', String(latencyMs)] }
  }
}

/** Each process holds one socket per connection, plus a margin for everything else. */
function fits (connections: number): boolean {
  const limit = openFileLimit()
  return limit === undefined || limit > 2 * connections
}

function checksFor ({ connections: c, bound, runs }: Compared): Check[] {
  const close = c <= CLOSE_UP_TO
  const name = `${int(c)} connections`
  const throughputName = close ? `${name}: flag server req/s ≥ 0.98 × naive` : `${name}: flag server ÷ C/L ≥ naive ÷ C/L`
  const costName = `${name}: flag server CPU per answer ≤ ${COST} × naive`
  if (runs === null) {
    const why = `skipped: "ulimit -n" is ${openFileLimit() ?? '?'}, needs more than ${int(2 * c)} (ulimit -n ${4 * c})`
    return [unmeasured(costName, why, `≤ ${COST}`), unmeasured(throughputName, why, close ? '≥ 0.98' : '≥ naive')]
  }
  const [flag, naive] = [medianOf(runs.a.map(run => run.rps)), medianOf(runs.b.map(run => run.rps))]
  const vsNaive = pairedRatio(runs.a.map(run => run.rps), runs.b.map(run => run.rps))
  const cost = pairedRatio(runs.a.map(run => run.serverUsPerAnswer ?? NaN), runs.b.map(run => run.serverUsPerAnswer ?? NaN))
  const perRound = perRoundText(vsNaive.perRound)
  return [
    atMost(costName, cost.ratio, COST, `${fixed(summarize(runs.a).serverUsPerAnswer, 1)} / ${fixed(summarize(runs.b).serverUsPerAnswer, 1)} µs; ${perRoundText(cost.perRound)}`),
    close
      ? atLeast(throughputName, vsNaive.ratio, 0.98, perRound)
      : atLeast(throughputName, flag / bound, naive / bound, `${int(flag)} and ${int(naive)} of ${int(bound)} req/s; flag / naive ${perRound}`),
    info(`${name}: flag server ÷ C/L, naive ÷ C/L`, `${int(flag)} and ${int(naive)} of ${int(bound)} req/s`, Number.isFinite(flag) ? flag / bound : null)
  ]
}

function rows (compared: Compared[], specs: { a: ServerSpec, b: ServerSpec }, latencyMs: number): string[][] {
  const signed = (n: number): string => Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(2)}` : '-'
  const row = (label: string, c: number, bound: number, s: DriveSummary): string[] =>
    [label, int(c), fixed(s.rps / bound, 3), signed(s.p50Ms - latencyMs), signed(s.p99Ms - latencyMs), ...loadCells(s)]
  return compared.flatMap(({ connections, bound, runs }) => runs === null
    ? []
    : [[specs.a.label, runs.a] as const, [specs.b.label, runs.b] as const]
        .filter(([, measured]) => measured.length > 0)
        .map(([label, measured]) => row(label, connections, bound, summarize(measured))))
}

function outcome (options: Options, compared: Compared[]): BenchOutcome {
  const L = options.latencyMs
  const specs = servers(L)
  const measured = compared.flatMap(({ runs }) => runs === null ? [] : [...runs.a, ...runs.b])
  const text = [
    `delayed flag server vs naive: Node ${process.version}, ${availableParallelism()} cores, 127.0.0.1, ${options.generator}, ${options.duration} s runs after a ${options.warmup} s warm-up, ${options.rounds} round(s), medians`,
    `Injected latency L = ${L} ms; Little's law bound C/L = ${compared.map(c => `${int(c.bound)} at ${int(c.connections)}`).join(', ')} req/s`,
    '',
    table(['server', 'C', '÷ C/L', 'p50-L ms', 'p99-L ms', ...LOAD_HEADER], rows(compared, specs, L)),
    ceilingNote(options.generator, measured),
    disturbedNote(measured)
  ].join('\n').trimEnd()
  const details = compared.map(({ connections, bound, runs }) => ({
    connections, bound, flag: runs === null ? null : summarize(runs.a), naive: runs === null ? null : summarize(runs.b), runs
  }))
  return { text, details: { latencyMs: L, byConnections: details }, checks: compared.flatMap(checksFor) }
}

async function compareAt (rig: ServerRig, options: Options, paths: string[], connections: number, signal: AbortSignal): Promise<Compared> {
  const bound = connections / (options.latencyMs / 1000)
  if (!fits(connections)) return { connections, bound, runs: null }
  const specs = servers(options.latencyMs)
  const window = { connections, paths, warmup: { seconds: options.warmup }, durationS: options.duration }
  const sides = (spec: ServerSpec) => async (step: string) => await rig.drive(spec, window, `${int(connections)} connections ${step}, ${spec.label}`)
  const runs = await runPaired(options.rounds, signal, { a: sides(specs.a), b: sides(specs.b) })
  return { connections, bound, runs }
}

await runBench({ program: 'bench:delay', about: ABOUT, options: OPTIONS }, async (options, run) =>
  await withRig(options, run, servers(options.latencyMs).a, async (rig, paths) => {
    const compared: Compared[] = []
    for (const connections of options.connections) {
      if (!run.signal.aborted) compared.push(await compareAt(rig, options, paths, connections, run.signal))
    }
    return outcome(options, compared)
  }))
