// npm run bench:server: the flag server's LOCAL site (no injection) against bare Fastify serving
// the same bytes with the same Node flags, each in its own process, driven alike in alternating
// rounds: the cost of the flag server's machinery (hooks, fate, injection). On two cores the
// generator and the server share the machine, so throughput alone cannot say whose cost it is;
// the server's CPU time per answer can. Targets, medians of the paired ratios: CPU per answer
// ≤ 1.05 × bare Fastify's, throughput ≥ 0.95 × (with wrk, which is not the ceiling here); and
// the server as `npm run server` starts it, its request log on (JSON lines to a pipe, as to a
// file: a summary line a second under this load), CPU per answer ≤ 1.10 × bare Fastify's. The
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
flags), each in its own process, in alternating rounds (A B, B A, ...; A is the server with its
log off, then with it on). Targets, the medians of the per-round ratios: the server's CPU per
answer ≤ 1.05 × bare Fastify's (from /proc), its req/s ≥ 0.95 × bare Fastify's; with its request
log on (JSON to a pipe, as npm run server writes it to a file or a pipe), CPU per answer ≤ 1.10 ×.
The per-round spread is shown beside; where the CPU ratios' spread (interquartile range over the
median) is over 0.05, as many rounds again are run once.`

const LOCAL: ServerSpec = { label: 'flag server LOCAL', args: ['--profile', 'local', '--seed', '1'] }
/** As a person starts it: the log on, written to a pipe (the rig drains the child's stdout). */
const LOGGED: ServerSpec = { label: 'flag server LOCAL, log on', args: [...LOCAL.args, '--log', 'json'] }
const BARE: ServerSpec = { label: 'bare Fastify', script: BARE_SERVER, args: [] }
const THROUGHPUT = 0.95
const COST = 1.05
const LOGGED_COST = 1.10
/** Past this interquartile spread of the per-round CPU ratios, the median is not steady enough to judge on the rounds asked for. */
const WIDE_SPREAD = 0.05

function serverRow (label: string, s: DriveSummary): string[] {
  return [label, fixed(s.p50Ms, 2), fixed(s.p99Ms, 2), ...loadCells(s)]
}

const usPerAnswer = (runs: readonly DriveFigures[]): number[] => runs.map(run => run.serverUsPerAnswer ?? NaN)

interface Rounds { a: Array<{ local: DriveFigures, logged: DriveFigures }>, b: DriveFigures[] }

/** LOCAL's CPU per answer over bare Fastify's, round by round. */
function cpuRatio (runs: Rounds): ReturnType<typeof pairedRatio> {
  return pairedRatio(usPerAnswer(runs.a.map(run => run.local)), usPerAnswer(runs.b))
}

function outcome (options: BenchOptions<typeof OPTIONS>, runs: Rounds): BenchOutcome {
  const [localRuns, loggedRuns] = [runs.a.map(run => run.local), runs.a.map(run => run.logged)]
  const [local, logged, bare] = [summarize(localRuns), summarize(loggedRuns), summarize(runs.b)]
  const throughput = pairedRatio(localRuns.map(run => run.rps), runs.b.map(run => run.rps))
  const cost = cpuRatio(runs)
  const loggedCost = pairedRatio(usPerAnswer(loggedRuns), usPerAnswer(runs.b))
  const all = [...localRuns, ...loggedRuns, ...runs.b]
  const text = [
    `flag server vs bare Fastify: Node ${process.version}, ${availableParallelism()} cores, 127.0.0.1, ${options.connections} connections, ${options.generator}, ${options.duration} s runs after a ${options.warmup} s warm-up, ${options.rounds} round(s), medians`,
    'req/s: steady state, the sum over connections of answers per second between each one\'s first and last answer; raw: 2xx answers over the run.',
    '',
    table(['server', 'p50 ms', 'p99 ms', ...LOAD_HEADER], [serverRow(LOCAL.label, local), serverRow(LOGGED.label, logged), serverRow(BARE.label, bare)]),
    `Per-round spread (interquartile range over the median): CPU per answer ${fixed(spreadOf(cost.perRound), 3)}, req/s ${fixed(spreadOf(throughput.perRound), 3)}, over ${cost.perRound.length} rounds.`,
    ceilingNote(options.generator, all),
    disturbedNote(all)
  ].join('\n').trimEnd()
  const checks = [
    atMost(`LOCAL CPU per answer ≤ ${COST} × bare Fastify's`, cost.ratio, COST, `${fixed(local.serverUsPerAnswer, 1)} / ${fixed(bare.serverUsPerAnswer, 1)} µs; ${perRoundText(cost.perRound)}`),
    atLeast(`LOCAL req/s ≥ ${THROUGHPUT} × bare Fastify's (${options.connections} connections, ${options.generator})`, throughput.ratio, THROUGHPUT, perRoundText(throughput.perRound)),
    atMost(`LOCAL, log on: CPU per answer ≤ ${LOGGED_COST.toFixed(2)} × bare Fastify's`, loggedCost.ratio, LOGGED_COST, `${fixed(logged.serverUsPerAnswer, 1)} / ${fixed(bare.serverUsPerAnswer, 1)} µs; ${perRoundText(loggedCost.perRound)}`),
    info('spread of the CPU ratios (IQR / median)', `${cost.perRound.length} rounds${spreadOf(cost.perRound) > WIDE_SPREAD ? `, still over ${WIDE_SPREAD} after more rounds: rerun on a quieter machine` : ''}`, spreadOf(cost.perRound))
  ]
  return {
    text,
    details: { local, logged, bare, ratio: throughput.ratio, ratioPerRound: throughput.perRound, loggedCostRatio: loggedCost.ratio, runs: { local: localRuns, logged: loggedRuns, bare: runs.b } },
    checks
  }
}

await runBench({ program: 'bench:server', about: ABOUT, options: OPTIONS }, async (options, run) =>
  await withRig(options, run, LOCAL, async (rig, paths) => {
    const window = { connections: options.connections, paths, warmup: { seconds: options.warmup }, durationS: options.duration }
    const sides = {
      a: async (step: string) => ({
        local: await rig.drive(LOCAL, window, `${step}, ${LOCAL.label}`),
        logged: await rig.drive(LOGGED, window, `${step}, ${LOGGED.label}`)
      }),
      b: async (step: string) => await rig.drive(BARE, window, `${step}, ${BARE.label}`)
    }
    const runs = await runPaired(options.rounds, run.signal, sides)
    const spread = spreadOf(cpuRatio(runs).perRound)
    if (!(spread > WIDE_SPREAD)) return outcome(options, runs)
    run.progress(`the per-round CPU ratios spread ${fixed(spread, 3)}: ${options.rounds} more rounds`)
    const more = await runPaired(options.rounds, run.signal, sides)
    return outcome(options, { a: [...runs.a, ...more.a], b: [...runs.b, ...more.b] })
  }))
