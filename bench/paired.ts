// What every bench shares: its options (flag, environment variable or default, one rule each,
// and the --help made from the same table), the alternating round plan and the median of paired
// ratios, the targets (each printed beside its figure; a miss makes the exit code 1, as a k6
// threshold does), progress on a terminal, and Ctrl-C.

import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { median } from '../harness/core/figures.js'
import { placement } from '../harness/core/load/placement.js'
import { DISTURBED_CPU, ServerRig, type DriveFigures, type DriveSummary, type ServerSpec } from '../harness/core/load/drive.js'
import { defaultGenerator, GENERATOR_NAMES, loadGenerator } from '../harness/core/load/generators.js'
import { table } from '../harness/reports/format.js'
import { EXIT, interruptedExit, parsedOrExit } from '../server/command-line/exit.js'
import { onInterrupt } from '../server/command-line/interrupt.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine, type OptionSpec as CommandOption } from '../server/command-line/options.js'
import { answeredHelpOrVersion } from '../server/command-line/version.js'
import { invalidOption } from '../server/contract/errors.js'
import { FLAGS_PATH, flagUrl } from '../server/contract/protocol.js'
import { wholeNumber } from '../server/contract/values.js'

// ---- options -----------------------------------------------------------------------------

interface OptionBase { env: string, help: string }
export type OptionSpec = OptionBase & (
  | { kind: 'seconds', default: number, min: number, max: number }
  | { kind: 'whole', default: number, min: number, max: number }
  | { kind: 'wholeList', default: readonly number[], min: number, max: number }
  | { kind: 'choice', default: string, choices: readonly string[] }
  | { kind: 'onOff', default: boolean }
)
export type OptionSpecs = Record<string, OptionSpec>

type OptionValue<O extends OptionSpec> = O extends { kind: 'wholeList' } ? number[] : O extends { kind: 'choice' } ? string : O extends { kind: 'onOff' } ? boolean : number
export type BenchOptions<S extends OptionSpecs> = { [K in keyof S]: OptionValue<S[K]> } & { json: boolean }

/** latencyMs → latency-ms */
const optionName = (key: string): string => key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)

const METAVAR: Record<OptionSpec['kind'], string> = { seconds: 'S', whole: 'N', wholeList: 'N,N', choice: 'NAME', onOff: 'on|off' }

function defaultText (spec: OptionSpec): string {
  if (Array.isArray(spec.default)) return spec.default.join(',')
  return typeof spec.default === 'boolean' ? (spec.default ? 'on' : 'off') : String(spec.default)
}

/** A bench's command line, from its option table: every option takes a value, and an environment variable. */
function benchCommand ({ program, about, options: specs }: Bench<OptionSpecs>): CommandLine {
  const options: CommandOption[] = Object.entries(specs).map(([key, spec]) => ({
    name: optionName(key),
    type: 'string',
    metavar: METAVAR[spec.kind],
    help: spec.kind === 'choice' ? `${spec.help}: ${spec.choices.join(', ')}` : spec.help,
    default: defaultText(spec),
    env: spec.env
  }))
  return {
    program,
    usage: `npm run ${program} -- [options]`,
    // Written wrapped in each bench's source: one paragraph, wrapped again at the help's width.
    about: about.replace(/\s*\n\s*/g, ' '),
    groups: [{
      heading: 'Options (or environment variables; an option given wins)',
      rows: [...options, { name: 'json', type: 'boolean', help: 'one JSON document on stdout instead of the tables' }, HELP_OPTION, VERSION_OPTION]
    }],
    closing: [
      'Exit codes: 0 every target met, 1 a target missed or not measured (or the run failed), 2 a bad option, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): what was measured is printed.',
      'Progress goes to stderr when it is a terminal; the results to stdout.'
    ].join('\n')
  }
}

/** Parse one option's text by its kind; errors name the option as it was spelt. */
function parseOption (spec: OptionSpec, text: string, spelt: string): number | number[] | string | boolean {
  switch (spec.kind) {
    case 'seconds':
      if (!/^\d+(\.\d+)?$/.test(text) || Number(text) < spec.min || Number(text) > spec.max) throw invalidOption(spelt, text, `a number of seconds from ${spec.min} to ${spec.max}`)
      return Number(text)
    case 'whole':
      return wholeNumber(text, spelt, spec.min, spec.max)
    case 'wholeList': {
      const parts = text.split(',').map(part => part.trim())
      if (parts.some(part => !/^\d+$/.test(part) || Number(part) < spec.min || Number(part) > spec.max)) {
        throw invalidOption(spelt, text, `whole numbers from ${spec.min} to ${spec.max}, comma-separated`)
      }
      return parts.map(Number)
    }
    case 'choice':
      if (!spec.choices.includes(text)) throw invalidOption(spelt, text, spec.choices.join(', '))
      return text
    case 'onOff':
      if (text !== 'on' && text !== 'off') throw invalidOption(spelt, text, 'on or off')
      return text === 'on'
  }
}

/** The options of a bench, or a FlagsError naming the bad one. `help` is true for --help, `version` for --version. */
function readOptions<S extends OptionSpecs> (command: CommandLine, specs: S, argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions<S> & { help: boolean, version: boolean } {
  const given = readCommandLine(command, argv, env)
  const options: Record<string, unknown> = { json: given.on('json'), help: given.on('help'), version: given.on('version') }
  for (const [key, spec] of Object.entries(specs)) {
    const text = given.textOrEnv(optionName(key))
    options[key] = text === undefined ? spec.default : parseOption(spec, ...text)
  }
  return options as BenchOptions<S> & { help: boolean, version: boolean }
}

/** duration, warmup and rounds: every bench that drives a server in alternating rounds. */
export const ROUND_OPTIONS = {
  duration: { kind: 'seconds', env: 'BENCH_DURATION', default: 10, min: 1, max: 3600, help: 'seconds per measured run' },
  warmup: { kind: 'seconds', env: 'BENCH_WARMUP', default: 3, min: 0, max: 600, help: 'seconds of warm-up before each run, on its connections' },
  rounds: { kind: 'whole', env: 'BENCH_ROUNDS', default: 2, min: 1, max: 100, help: 'measured runs per server, the order alternating' }
} as const satisfies OptionSpecs

/** Which load generator, and how to drive it: the benches built on ServerRig. */
export const GENERATOR_OPTIONS = {
  generator: { kind: 'choice', env: 'BENCH_GENERATOR', default: defaultGenerator().name, choices: GENERATOR_NAMES, help: `load generator (here: ${defaultGenerator().why})` },
  workers: { kind: 'whole', env: 'BENCH_WORKERS', default: 0, min: 0, max: 64, help: 'autocannon worker threads, 0 for none' },
  pin: { kind: 'onOff', env: 'BENCH_PIN', default: placement() !== null, help: 'the server on core 0, the generator on core 1 (taskset): the same placement for every server' },
  retries: { kind: 'whole', env: 'BENCH_RETRIES', default: 1, min: 0, max: 10, help: 'runs again a run during which other processes took over 25% of a core' }
} as const satisfies OptionSpecs

// ---- paired rounds -----------------------------------------------------------------------

export type Side = 'a' | 'b'

/** Round r runs a then b when r is odd, b then a when even: a linear drift then cancels in the median. */
export function alternatingPlan (rounds: number): Array<{ side: Side, round: number }> {
  const plan: Array<{ side: Side, round: number }> = []
  for (let round = 1; round <= rounds; round++) {
    for (const side of round % 2 === 1 ? ['a', 'b'] as const : ['b', 'a'] as const) plan.push({ side, round })
  }
  return plan
}

/**
 * Runs the plan (until `signal` aborts): each round, `a` and `b` back to back, in alternating
 * order; a[i] and b[i] are round i + 1's. `step` says where the run is: "[3/4] round 2".
 */
export async function runPaired<A, B> (rounds: number, signal: AbortSignal, sides: { a: (step: string) => Promise<A>, b: (step: string) => Promise<B> }): Promise<{ a: A[], b: B[] }> {
  const results: { a: A[], b: B[] } = { a: [], b: [] }
  const plan = alternatingPlan(rounds)
  for (const [i, { side, round }] of plan.entries()) {
    if (signal.aborted) break
    const step = `[${i + 1}/${plan.length}] round ${round}`
    // Each side runs once a round, in round order: a[i] and b[i] stay round i + 1's.
    if (side === 'a') results.a.push(await sides.a(step))
    else results.b.push(await sides.b(step))
  }
  return results
}

/** The median, NaN for no values (a case cut short): never a figure made up. */
export function medianOf (values: readonly number[]): number {
  return values.length === 0 ? NaN : median(values)
}

/**
 * How widely the per-round ratios spread: their interquartile range over their median (0.1:
 * the middle half of the rounds lie within a tenth of the median's size). NaN for no rounds.
 */
export function spreadOf (perRound: readonly number[]): number {
  const sorted = perRound.filter(Number.isFinite).sort((x, y) => x - y)
  const at = (q: number): number => sorted[Math.round(q * (sorted.length - 1))] ?? NaN
  return sorted.length === 0 ? NaN : (at(0.75) - at(0.25)) / medianOf(sorted)
}

/** "per round: 0.981, 0.975", for the measured column. */
export function perRoundText (ratios: readonly number[]): string {
  return ratios.length === 0 ? 'no complete round' : `per round: ${ratios.map(r => fixed(r, 3)).join(', ')}`
}

/** The median of a[i] / b[i] over the rounds both sides ran: each pair ran back to back, so drift mostly cancels. */
export function pairedRatio (a: readonly number[], b: readonly number[]): { ratio: number, perRound: number[] } {
  const perRound = a.slice(0, b.length).map((top, i) => top / (b[i] ?? NaN))
  return { ratio: medianOf(perRound), perRound }
}

// ---- targets -----------------------------------------------------------------------------

export interface Check {
  name: string
  /** What was measured, in words and numbers, for a person. */
  measured: string
  /** The number the target is about; null for a line without one. */
  figure: number | null
  /** The figure as the table writes it: 0.982, 41.5 ms, 2.1%. */
  figureText: string
  /** ≥ 0.95 and the like; null for a line given for information. */
  target: string | null
  /** null: no target. A target that could not be measured is missed. */
  met: boolean | null
}

/** How a figure and its target are written (digits for the figure, targetDigits for the target): a ratio, ms, a share in %. */
export interface Unit { digits: number, targetDigits: number, suffix: string, scale: number }
export const RATIO: Unit = { digits: 3, targetDigits: 2, suffix: '', scale: 1 }
export const MS: Unit = { digits: 1, targetDigits: 0, suffix: ' ms', scale: 1 }
export const PERCENT: Unit = { digits: 1, targetDigits: 0, suffix: '%', scale: 100 }
export const COUNT: Unit = { digits: 0, targetDigits: 0, suffix: '', scale: 1 }

const written = (n: number, unit: Unit, digits = unit.digits): string =>
  `${(n * unit.scale).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${unit.suffix}`

function judged (name: string, figure: number, measured: string, target: string, passes: boolean, unit: Unit): Check {
  const known = Number.isFinite(figure)
  return { name, measured, figure: known ? figure : null, target, met: known && passes, figureText: known ? written(figure, unit) : 'not measured' }
}

/** Met when figure ≥ wanted; a figure that is not a number misses. */
export function atLeast (name: string, figure: number, wanted: number, measured = '', unit = RATIO): Check {
  return judged(name, figure, measured, `≥ ${written(wanted, unit, unit.targetDigits)}`, figure >= wanted, unit)
}

/** Met when figure ≤ wanted; a figure that is not a number misses. */
export function atMost (name: string, figure: number, wanted: number, measured = '', unit = RATIO): Check {
  return judged(name, figure, measured, `≤ ${written(wanted, unit, unit.targetDigits)}`, figure <= wanted, unit)
}

/** A line for information: printed with the targets, never judged. */
export function info (name: string, measured: string, figure: number | null = null, unit = RATIO): Check {
  const known = figure !== null && Number.isFinite(figure) ? figure : null
  return { name, measured, figure: known, figureText: known === null ? '-' : written(known, unit), target: null, met: null }
}

/** A target that was not measured (a skipped case): it counts as missed. */
export function unmeasured (name: string, why: string, target: string): Check {
  return { name, measured: why, figure: null, figureText: 'not measured', target, met: false }
}

/** 1 when a target was missed (or not measured), else 0. */
export function exitCode (checks: readonly Check[]): number {
  return checks.some(check => check.met === false) ? EXIT.failed : EXIT.ok
}

/**
 * The checks as they count: a bench that judged no target at all (every case dropped, the run
 * cut short) has measured nothing it promised, and misses rather than passing on an empty list.
 */
function withSomeTarget (checks: readonly Check[]): Check[] {
  return checks.some(check => check.met !== null) ? [...checks] : [...checks, unmeasured('targets', 'no target was judged: every case was cut short or dropped', 'at least one judged')]
}

/** Met when no request failed: a fast failure must not pass for a fast answer. */
export function noneFailed (name: string, failed: number, of: number): Check {
  return atMost(name, failed, 0, `${failed.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} requests failed`, COUNT)
}

export function checksTable (checks: readonly Check[]): string {
  const verdict = (met: boolean | null): string => met === null ? '' : met ? 'met' : 'MISSED'
  return table(['check', 'figure', 'target', 'result', 'measured'],
    checks.map(check => [check.name, check.figureText, check.target ?? '', verdict(check.met), check.measured]))
}

// ---- running a bench ---------------------------------------------------------------------

export interface BenchRun {
  /** Aborts on Ctrl-C (or SIGTERM): stop starting things, cut what runs, return what was measured. */
  signal: AbortSignal
  /** A line on stderr for a person watching; nothing when stderr is not a terminal. */
  progress: (line: string) => void
  /** Run before a second Ctrl-C quits at once: stop the servers. */
  onQuit: (cleanup: () => Promise<void>) => void
}

export interface BenchOutcome {
  /** The details for a person, above the targets (no trailing newline). */
  text: string
  /** The same details for --json. */
  details: Record<string, unknown>
  checks: Check[]
}

export interface Bench<S extends OptionSpecs> {
  /** The npm script: bench:server. */
  program: string
  /** What it compares and against which targets, for --help. */
  about: string
  options: S
}

function print (program: string, options: Record<string, unknown>, outcome: BenchOutcome, elapsedS: number, code: number): void {
  if (options.json === true) {
    const { help, version, json, ...given } = options
    const machine = { node: process.version, cores: availableParallelism(), platform: `${process.platform}-${process.arch}` }
    const checks = outcome.checks.map(({ name, measured, figure, target, met }) => ({ name, measured, figure, target, met }))
    process.stdout.write(`${JSON.stringify({ bench: program, elapsedS, machine, options: given, ...outcome.details, checks, exitCode: code }, null, 2)}\n`)
    return
  }
  const head = outcome.text === '' ? '' : `${outcome.text}\n\n`
  process.stdout.write(`${head}Targets (${program}, ${Math.round(elapsedS)} s in all)\n${checksTable(outcome.checks)}\n`)
}

/**
 * Read the options (--help, --version, or one line and exit 2 on a bad one), run `body`, print
 * its details and targets, exit 0 when every target is met and 1 otherwise; 130 after Ctrl-C and
 * 143 after SIGTERM, with what was measured; a failure is one line and 1, never a stack trace.
 */
export async function runBench<S extends OptionSpecs> (bench: Bench<S>, body: (options: BenchOptions<S>, run: BenchRun) => Promise<BenchOutcome>): Promise<void> {
  const command = benchCommand(bench)
  const options = parsedOrExit(bench.program, () => readOptions(command, bench.options, process.argv.slice(2), process.env))
  if (answeredHelpOrVersion(command, options)) return
  const interrupt = new AbortController()
  let stoppedBy: NodeJS.Signals | null = null
  const cleanups: Array<() => Promise<void>> = []
  const progress = (line: string): void => { if (process.stderr.isTTY) process.stderr.write(`${bench.program}: ${line}\n`) }
  onInterrupt(signal => {
    stoppedBy = signal
    process.stderr.write(`${bench.program}: ${signal}, stopping; again to quit at once\n`)
    interrupt.abort()
  }, async () => { await Promise.all(cleanups.map(async cleanup => await cleanup())) })
  const began = performance.now()
  let outcome: BenchOutcome
  try {
    outcome = await body(options, { signal: interrupt.signal, progress, onQuit: cleanup => { cleanups.push(cleanup) } })
  } catch (error) {
    process.stderr.write(`${bench.program}: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = interrupt.signal.aborted ? interruptedExit(stoppedBy) : EXIT.failed
    return
  }
  outcome = { ...outcome, checks: withSomeTarget(outcome.checks) }
  const code = interrupt.signal.aborted ? interruptedExit(stoppedBy) : exitCode(outcome.checks)
  print(bench.program, options, outcome, (performance.now() - began) / 1000, code)
  process.exitCode = code
}

// ---- servers under load -----------------------------------------------------------------

/** The yardstick: bare Fastify serving the same bytes (with --delay-ms, the naive delayed server). */
export const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url))

/**
 * A ServerRig driving with the chosen generator, and the path of every flag `lister` (a flag
 * server) serves; the rig's servers are stopped after `body`, or before a second Ctrl-C quits.
 */
export async function withRig<T> (options: BenchOptions<typeof GENERATOR_OPTIONS>, run: BenchRun, lister: ServerSpec, body: (rig: ServerRig, paths: string[]) => Promise<T>): Promise<T> {
  const place = options.pin ? placement() : null
  const generator = loadGenerator(options.generator, { workers: options.workers, core: place?.generator ?? null })
  const rig = new ServerRig({ generator, serverCore: place?.server ?? null, retries: options.retries, signal: run.signal, progress: run.progress })
  run.onQuit(async () => await rig.stop())
  try {
    const codes = await servedCodes(await rig.origin(lister))
    return await body(rig, codes.map(cc => flagUrl(FLAGS_PATH, cc)))
  } finally {
    await rig.stop()
  }
}

/** The codes a running server lists (GET /flags), as a client sees them. */
export async function servedCodes (origin: string): Promise<string[]> {
  const { statusCode, body } = await request(`${origin}${FLAGS_PATH}`)
  const codes = (await body.json() as { codes?: unknown }).codes
  if (statusCode !== 200 || !Array.isArray(codes)) throw new Error(`GET ${origin}${FLAGS_PATH} answered ${statusCode} without a list of codes`)
  return codes as string[]
}

// ---- figures as text ---------------------------------------------------------------------

export const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'
export const fixed = (n: number | null, digits: number): string => n !== null && Number.isFinite(n) ? n.toFixed(digits) : '-'
export const pct = (n: number | null): string => n === null || !Number.isFinite(n) ? '-' : `${Math.round(n)}%`

/** The columns both server benches show for a server, after their own. */
export const LOAD_HEADER = ['req/s', 'raw req/s', 'server CPU', 'µs/answer', 'generator CPU', 'other CPU', 'errors']

export function loadCells (s: DriveSummary): string[] {
  return [int(s.rps), int(s.rawRps), pct(s.serverCpu), fixed(s.serverUsPerAnswer, 1), pct(s.generatorCpu), pct(s.otherCpu), String(s.errors)]
}

/** At or above this share of a core, the load generator, not the server, may have set the pace. */
export const GENERATOR_CEILING = 90

/** A warning for the runs whose generator was the ceiling (its core ≥ 90% busy); '' when none was. */
export function ceilingNote (generator: string, runs: readonly DriveFigures[]): string {
  const bound = runs.filter(run => (run.generatorCpu ?? 0) >= GENERATOR_CEILING)
  if (bound.length === 0) return ''
  return `Generator-bound: ${generator} used ${GENERATOR_CEILING}% of a core or more in ${bound.length} of ${runs.length} runs: there the generator, not the server, may have set the pace (the CPU per answer still holds).`
}

/** A warning when other processes took a share of the machine during some runs; '' when none did. */
export function disturbedNote (runs: readonly DriveFigures[]): string {
  const disturbed = runs.filter(run => (run.otherCpu ?? 0) > DISTURBED_CPU)
  if (disturbed.length === 0) return ''
  const worst = Math.max(...disturbed.map(run => run.otherCpu ?? 0))
  return `Disturbed: other processes used more than ${DISTURBED_CPU}% of a core during ${disturbed.length} of ${runs.length} runs (up to ${pct(worst)}); rerun on a quiet machine.`
}
