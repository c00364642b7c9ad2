// npm run bench:slow: the slow fault against a plain delay of the same length, at 16,000
// connections, in alternating rounds. The slow site sends every body at 1 B/s, sped up to end by
// --max-latency M; the delay site waits M, then sends. Both answer a closed loop of C connections
// at about C/M per second, so the CPU per answer is what the slow fault's ticks cost.
// Target, the median of the paired ratios: the slow fault's CPU per answer ≤ 2 × the delay's
// (issue 23: 100 ms ticks made it 12 ×).

import { availableParallelism } from 'node:os'
import { summarize, type DriveFigures, type ServerSpec } from '../harness/core/load/drive.js'
import { openFileLimit } from '../harness/core/load/proc-stats.js'
import { table } from '../harness/reports/format.js'
import {
  atMost, ceilingNote, disturbedNote, fixed, GENERATOR_OPTIONS, int, LOAD_HEADER, loadCells, pairedRatio,
  perRoundText, ROUND_OPTIONS, runBench, runPaired, unmeasured, withRig, type BenchOptions, type BenchOutcome
} from './paired.js'

const OPTIONS = {
  ...ROUND_OPTIONS,
  duration: { ...ROUND_OPTIONS.duration, default: 10 },
  rounds: { ...ROUND_OPTIONS.rounds, default: 6 },
  connections: { kind: 'whole', env: 'BENCH_SLOW_CONNECTIONS', default: 16_000, min: 1, max: 100_000, help: 'connections C, each with one request in flight' },
  holdMs: { kind: 'whole', env: 'BENCH_HOLD_MS', default: 2000, min: 100, max: 60_000, help: 'M: the slow body\'s time (--max-latency) and the plain delay' },
  ...GENERATOR_OPTIONS
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `The slow fault (every body at 1 B/s, sped up to end by --max-latency M) against a
plain --latency M, at C connections, in alternating rounds (A B, B A, ...). Target, the median
of the per-round ratios: the slow fault's CPU per answer ≤ 2 × the plain delay's. A C that
"ulimit -n" cannot hold is skipped and the target counts as missed.`

const COST = 2

function servers (holdMs: number): { a: ServerSpec, b: ServerSpec } {
  const common = ['--profile', 'local', '--seed', '1', '--max-connections', '1000000']
  return {
    a: { label: `slow 1 B/s in ${holdMs} ms`, args: [...common, '--slow-rate', '1', '--slow-bps', '1', '--max-latency', `${holdMs}ms`] },
    b: { label: `--latency ${holdMs}ms`, args: [...common, '--latency', `${holdMs}ms`] }
  }
}

/** The server and the generator each hold a socket per connection, beside their own files. */
function fits (connections: number): boolean {
  const limit = openFileLimit()
  return limit === undefined || limit > connections + 1000
}

function outcome (options: Options, runs: { a: DriveFigures[], b: DriveFigures[] } | null): BenchOutcome {
  const specs = servers(options.holdMs)
  const C = options.connections
  const name = `${int(C)} connections: slow CPU per answer ≤ ${COST} × a plain delay's`
  const head = `slow fault vs plain delay: Node ${process.version}, ${availableParallelism()} cores, 127.0.0.1, ${options.generator}, ${options.duration} s runs after a ${options.warmup} s warm-up, ${options.rounds} round(s), medians`
  if (runs === null) {
    return { text: head, details: { connections: C, runs: null }, checks: [unmeasured(name, `skipped: "ulimit -n" is ${openFileLimit() ?? '?'}, needs more than ${int(C + 1000)}`, `≤ ${COST}`)] }
  }
  const cost = pairedRatio(runs.a.map(run => run.serverUsPerAnswer ?? NaN), runs.b.map(run => run.serverUsPerAnswer ?? NaN))
  const [slow, delay] = [summarize(runs.a), summarize(runs.b)]
  const measured = [...runs.a, ...runs.b]
  const text = [
    head,
    `M = ${options.holdMs} ms; C / M = ${int(C / (options.holdMs / 1000))} req/s at best`,
    '',
    table(['server', 'C', ...LOAD_HEADER], [[specs.a.label, int(C), ...loadCells(slow)], [specs.b.label, int(C), ...loadCells(delay)]]),
    ceilingNote(options.generator, measured),
    disturbedNote(measured)
  ].join('\n').trimEnd()
  return {
    text,
    details: { connections: C, holdMs: options.holdMs, slow, delay, runs },
    checks: [atMost(name, cost.ratio, COST, `${fixed(slow.serverUsPerAnswer, 1)} / ${fixed(delay.serverUsPerAnswer, 1)} µs; ${perRoundText(cost.perRound)}`)]
  }
}

await runBench({ program: 'bench:slow', about: ABOUT, options: OPTIONS }, async (options, run) => {
  const specs = servers(options.holdMs)
  return await withRig(options, run, specs.b, async (rig, paths) => {
    if (!fits(options.connections)) return outcome(options, null)
    const window = { connections: options.connections, paths, warmup: { seconds: options.warmup }, durationS: options.duration }
    const side = (spec: ServerSpec) => async (step: string) => await rig.drive(spec, window, `${int(options.connections)} connections ${step}, ${spec.label}`)
    return outcome(options, await runPaired(options.rounds, run.signal, { a: side(specs.a), b: side(specs.b) }))
  })
})
