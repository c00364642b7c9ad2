// npm run bench:server: the flag server's LOCAL site (no injection) against bare Fastify serving
// the same bytes, each in its own process, driven alike in alternating rounds: the cost of the
// flag server's machinery (hooks, fate, injection). Target: ≥ 0.95 × bare Fastify's throughput,
// the median of the paired ratios.

import { availableParallelism } from 'node:os'
import { summarize, type DriveFigures, type DriveSummary, type ServerSpec } from '../harness/core/load/drive.js'
import { table } from '../harness/reports/format.js'
import {
  atLeast, BARE_SERVER, disturbedNote, fixed, GENERATOR_OPTIONS, info, LOAD_HEADER, loadCells, pairedRatio,
  perRoundText, ROUND_OPTIONS, runBench, runPaired, withRig, type BenchOptions, type BenchOutcome
} from './paired.js'

const OPTIONS = {
  ...ROUND_OPTIONS,
  connections: { kind: 'whole', env: 'BENCH_CONNECTIONS', default: 100, min: 1, max: 10_000, help: 'connections, kept open through warm-up and run' },
  ...GENERATOR_OPTIONS
} as const

const ABOUT = `The flag server's LOCAL site against bare Fastify returning the same bytes, each in its own
process, in alternating rounds (A B, B A, ...). Target: LOCAL ≥ 0.95 × bare Fastify's req/s,
the median of the per-round ratios.`

const LOCAL: ServerSpec = { label: 'flag server LOCAL', args: ['--profile', 'local', '--seed', '1'] }
const BARE: ServerSpec = { label: 'bare Fastify', script: BARE_SERVER, args: [] }
const TARGET = 0.95

function serverRow (label: string, s: DriveSummary): string[] {
  return [label, fixed(s.p50Ms, 2), fixed(s.p99Ms, 2), ...loadCells(s)]
}

function outcome (options: BenchOptions<typeof OPTIONS>, runs: { a: DriveFigures[], b: DriveFigures[] }): BenchOutcome {
  const [local, bare] = [summarize(runs.a), summarize(runs.b)]
  const throughput = pairedRatio(runs.a.map(run => run.rps), runs.b.map(run => run.rps))
  const cost = pairedRatio(runs.a.map(run => run.serverUsPerAnswer ?? NaN), runs.b.map(run => run.serverUsPerAnswer ?? NaN))
  const text = [
    `flag server vs bare Fastify: Node ${process.version}, ${availableParallelism()} cores, 127.0.0.1, ${options.connections} connections, ${options.generator}, ${options.duration} s runs after a ${options.warmup} s warm-up, ${options.rounds} round(s), medians`,
    'req/s: steady state, the sum over connections of answers per second between each one\'s first and last answer; raw: 2xx answers over the run.',
    '',
    table(['server', 'p50 ms', 'p99 ms', ...LOAD_HEADER], [serverRow(LOCAL.label, local), serverRow(BARE.label, bare)]),
    disturbedNote([...runs.a, ...runs.b])
  ].join('\n').trimEnd()
  const checks = [
    atLeast(`LOCAL req/s ≥ ${TARGET} × bare Fastify's (${options.connections} connections)`, throughput.ratio, TARGET, perRoundText(throughput.perRound)),
    info('server CPU per answer, LOCAL / bare Fastify', perRoundText(cost.perRound), cost.ratio)
  ]
  return { text, details: { local, bare, ratio: throughput.ratio, ratioPerRound: throughput.perRound, runs: { local: runs.a, bare: runs.b } }, checks }
}

await runBench({ program: 'bench:server', about: ABOUT, options: OPTIONS }, async (options, run) =>
  await withRig(options, run, LOCAL, async (rig, paths) => {
    const window = { connections: options.connections, paths, warmup: { seconds: options.warmup }, durationS: options.duration }
    const runs = await runPaired(options.rounds, run.signal, {
      a: async step => await rig.drive(LOCAL, window, `${step}, ${LOCAL.label}`),
      b: async step => await rig.drive(BARE, window, `${step}, ${BARE.label}`)
    })
    return outcome(options, runs)
  }))
