// npm run bench:server: the flag server's LOCAL site (no injection) against bare Fastify serving
// the same bytes with the same Node flags, each in its own process, driven alike in alternating
// rounds: the cost of the flag server's machinery (hooks, fate, injection). On two cores the
// generator and the server share the machine, so throughput alone cannot say whose cost it is;
// the server's CPU time per answer can. Targets, medians of the paired ratios: CPU per answer
// ≤ 1.05 × bare Fastify's, throughput ≥ 0.95 × (with wrk, which is not the ceiling here). The
// per-round ratios' spread is shown beside; where it is wide, as many rounds again are run once.

import { availableParallelism } from 'node:os'
import { summarize, type DriveFigures, type DriveSummary, type ServerSpec } from '../harness/core/load/drive.js'
import { table } from '../harness/reports/format.js'
import {
  atLeast, atMost, BARE_SERVER, ceilingNote, disturbedNote, fixed, GENERATOR_OPTIONS, LOAD_HEADER, loadCells, pairedRatio,
  info, perRoundText, ROUND_OPTIONS, runBench, runPaired, spreadOf, withRig, type BenchOptions, type BenchOutcome
} from './paired.js'

const OPTIONS = {
  ...ROUND_OPTIONS,
  // One pair's ratio varies by ±10% on this shared machine: sixteen short pairs give a steady median.
  duration: { ...ROUND_OPTIONS.duration, default: 2 },
  warmup: { ...ROUND_OPTIONS.warmup, default: 1 },
  rounds: { ...ROUND_OPTIONS.rounds, default: 16 },
  connections: { kind: 'whole', env: 'BENCH_CONNECTIONS', default: 50, min: 1, max: 10_000, help: 'connections' },
  ...GENERATOR_OPTIONS
} as const

const ABOUT = `The flag server's LOCAL site against bare Fastify returning the same bytes (same Node
flags), each in its own process, in alternating rounds (A B, B A, ...). Targets, the medians of
the per-round ratios: the server's CPU per answer ≤ 1.05 × bare Fastify's (from /proc), its
req/s ≥ 0.95 × bare Fastify's. The per-round spread is shown beside; where the CPU ratios' spread
(interquartile range over the median) is over 0.05, as many rounds again are run once.`

const LOCAL: ServerSpec = { label: 'flag server LOCAL', args: ['--profile', 'local', '--seed', '1'] }
const BARE: ServerSpec = { label: 'bare Fastify', script: BARE_SERVER, args: [] }
const THROUGHPUT = 0.95
const COST = 1.05
/** Past this interquartile spread of the per-round CPU ratios, the median is not steady enough to judge on the rounds asked for. */
const WIDE_SPREAD = 0.05

function serverRow (label: string, s: DriveSummary): string[] {
  return [label, fixed(s.p50Ms, 2), fixed(s.p99Ms, 2), ...loadCells(s)]
}

/** LOCAL's CPU per answer over bare Fastify's, round by round. */
function cpuRatio (runs: { a: DriveFigures[], b: DriveFigures[] }): ReturnType<typeof pairedRatio> {
  return pairedRatio(runs.a.map(run => run.serverUsPerAnswer ?? NaN), runs.b.map(run => run.serverUsPerAnswer ?? NaN))
}

function outcome (options: BenchOptions<typeof OPTIONS>, runs: { a: DriveFigures[], b: DriveFigures[] }): BenchOutcome {
  const [local, bare] = [summarize(runs.a), summarize(runs.b)]
  const throughput = pairedRatio(runs.a.map(run => run.rps), runs.b.map(run => run.rps))
  const cost = cpuRatio(runs)
  const text = [
    `flag server vs bare Fastify: Node ${process.version}, ${availableParallelism()} cores, 127.0.0.1, ${options.connections} connections, ${options.generator}, ${options.duration} s runs after a ${options.warmup} s warm-up, ${options.rounds} round(s), medians`,
    'req/s: steady state, the sum over connections of answers per second between each one\'s first and last answer; raw: 2xx answers over the run.',
    '',
    table(['server', 'p50 ms', 'p99 ms', ...LOAD_HEADER], [serverRow(LOCAL.label, local), serverRow(BARE.label, bare)]),
    `Per-round spread (interquartile range over the median): CPU per answer ${fixed(spreadOf(cost.perRound), 3)}, req/s ${fixed(spreadOf(throughput.perRound), 3)}, over ${cost.perRound.length} rounds.`,
    ceilingNote(options.generator, [...runs.a, ...runs.b]),
    disturbedNote([...runs.a, ...runs.b])
  ].join('\n').trimEnd()
  const checks = [
    atMost(`LOCAL CPU per answer ≤ ${COST} × bare Fastify's`, cost.ratio, COST, `${fixed(local.serverUsPerAnswer, 1)} / ${fixed(bare.serverUsPerAnswer, 1)} µs; ${perRoundText(cost.perRound)}`),
    atLeast(`LOCAL req/s ≥ ${THROUGHPUT} × bare Fastify's (${options.connections} connections, ${options.generator})`, throughput.ratio, THROUGHPUT, perRoundText(throughput.perRound)),
    info('spread of the CPU ratios (IQR / median)', `${cost.perRound.length} rounds${spreadOf(cost.perRound) > WIDE_SPREAD ? `, still over ${WIDE_SPREAD} after more rounds: rerun on a quieter machine` : ''}`, spreadOf(cost.perRound))
  ]
  return { text, details: { local, bare, ratio: throughput.ratio, ratioPerRound: throughput.perRound, runs: { local: runs.a, bare: runs.b } }, checks }
}

await runBench({ program: 'bench:server', about: ABOUT, options: OPTIONS }, async (options, run) =>
  await withRig(options, run, LOCAL, async (rig, paths) => {
    const window = { connections: options.connections, paths, warmup: { seconds: options.warmup }, durationS: options.duration }
    const sides = {
      a: async (step: string) => await rig.drive(LOCAL, window, `${step}, ${LOCAL.label}`),
      b: async (step: string) => await rig.drive(BARE, window, `${step}, ${BARE.label}`)
    }
    const runs = await runPaired(options.rounds, run.signal, sides)
    const spread = spreadOf(cpuRatio(runs).perRound)
    if (!(spread > WIDE_SPREAD)) return outcome(options, runs)
    run.progress(`the per-round CPU ratios spread ${fixed(spread, 3)}: ${options.rounds} more rounds`)
    const more = await runPaired(options.rounds, run.signal, sides)
    return outcome(options, { a: [...runs.a, ...more.a], b: [...runs.b, ...more.b] })
  }))
