// The harness's command line: the book's flags2 interface (CC letters, -a, -e, -l, -m, -s, -v)
// plus the measuring options. Pure: main.ts acts on the result.

import { parseArgs } from 'node:util'
import { DURATION_ACCEPTED, parseDuration } from '../../server/contract/duration.js'
import { invalidOption, parseArgsError, usageError } from '../../server/contract/errors.js'
import { formatInjection, INJECTION_ARGS } from '../../server/contract/injection.js'
import { wholeNumber } from '../../server/contract/values.js'
import { DEFAULT_MODES, isSwept, MODE_NAMES, SWEPT_BY_DEFAULT, SWEPT_MODES, type ModeName } from '../core/modes/registry.js'
import { HARNESS_FIGURES, modeOf, parseExpectation, type Expectation } from '../reports/expect.js'
import { DEFAULT_INJECTION, DEFAULT_MAX_REQ, DEFAULT_TIMEOUT_MS, MEASURE_DEFAULTS, targetOptions, type CodeChoice, type MeasureOptions } from '../core/options.js'
import { expandSweepRange } from '../core/sweep.js'

export const HARNESS_HELP = `Usage: npm run harness -- [options] [CC ...]

Downloads flags with four kinds of client, one after the other, against one flag server,
and measures them side by side: sequential (one request after another), pooled (a pool of
worker threads, one download each at a time), processes (a pool of worker processes, with
--mode) and async (one event loop, many requests in flight). With no server given it starts
its own, in a child process.

Which flags (as the book's flags2 programs):
  CC ...                  country codes (BR) or first letters (B = BA..BZ); default: the 20
                          most populous countries
  -a, --all               every flag the server has (194)
  -e, --every             every code AA..ZZ (676, most of them 404)
  -l, --limit N           only the first N codes, in sorted order

How:
  -m, --max-req N         concurrency: pool size for pooled, requests in flight for async
                          (1 to 1000, default 20, capped by the number of codes)
  --mode LIST             modes to run, in order, of ${MODE_NAMES.join(', ')}
                          (default ${DEFAULT_MODES.join(',')})
  --repeat K              K measured runs per mode (1 to 100, default 1)
  --warmup N              runs per mode before the measured ones, not measured: they open the
                          connections, warm the JIT and give each worker a request; the first
                          is timed apart, as the cold run (0 to 100, default 1)
  --cold                  measure the first run, cold, as the book's scripts do (--warmup 0)
  --fresh-fates           draw new delays and faults for each run (run k of every mode still
                          meets the same ones); by default every run meets the same fates
  --timeout DURATION      per request, headers and body (default 3.1s, the book's)
  --save DIR              save each flag as DIR/XX.gif (the book's downloaded/)

The event loop's role:
  --cpu-work DURATION     synchronous CPU work after each download (e.g. 20ms, at most 10s), on
                          the thread that did it: it stalls one event loop, worker threads
                          spread it over the cores
  --sync-save             save with writeFileSync, blocking the loop on purpose (needs --save)
  --sweep LIST|RANGE      sequential once, then pooled and async (or the modes of --mode) at
                          each concurrency, against Little's law: 1,2,5,10,20,50 or 1..50 (the
                          1-2-5 series within it)

Server:
  -s, --server LABEL|URL  LOCAL, DELAY or ERROR (the book's sites on localhost ports 8000,
                          8001, 8002; start them with npm run server) or a URL such as
                          http://127.0.0.1:8001/flags. Default: a server of its own.
  --seed N                the embedded server's seed (default: random, printed)
  --latency SPEC, --jitter, --max-latency, --error-rate, --reset-rate, --hang-rate,
  --slow-rate, --slow-bps, --truncate-rate
                          injection, as npm run server -- --help describes; they configure
                          the embedded server, or go as x-flags-* headers to another one.
                          With none, the embedded server injects a fixed ${formatInjection(DEFAULT_INJECTION).latency} latency.

Report:
  -v, --verbose           one line per code as it completes
  --timeline              draw each mode's requests as bars in the terminal
  --wide                  every column in the tables (by default they fit in 80 columns)
  --report FILE           also write a self-contained HTML report: timelines, elapsed vs
                          ideal, event-loop delay over time, the sweep
  --json                  one JSON document on stdout instead of the tables
  --expect 'NAME OP VALUE'
                          a threshold on a figure, checked after the run (again for more):
                          OP one of < <= > >= == !=; NAME a mode's figure, MODE.FIGURE, with
                          FIGURE one of speedup, efficiency, elapsed, ideal, p50, p90, p99,
                          max, rps, ok, 404, errors, loop-p99, loop-max, busy, or a total over
                          the modes: ok, 404, errors. A duration takes ms, s or m (bare: seconds
                          for elapsed and ideal, ms for the rest); a speedup 15 or 15x; a share
                          0.95 or 95%. E.g. --expect 'async.speedup>=15' --expect 'errors==0'
  -h, --help
  --version

Exit: 0 when the run completed (failed requests are counted, not fatal), 1 when the server
cannot be reached or dies during the run (the report of what was measured is printed), 2 for
bad options, 3 when an --expect threshold was missed (each miss on a line after the report),
130 when interrupted (Ctrl-C) and 143 when terminated (SIGTERM): the partial report is printed.
`

/**
 * What the command line asks for: the core's options (less what main.ts adds: the signal, the
 * command line to reproduce the run) and how to report.
 */
export interface HarnessArgs extends Omit<MeasureOptions, 'signal' | 'reproduce'> {
  help: boolean
  version: boolean
  verbose: boolean
  json: boolean
  timeline: boolean
  wide: boolean
  /** --expect, each parsed: judged against the report once the run is over. */
  expectations: Expectation[]
  /** --report: where to write the HTML report; null without it. */
  htmlFile: string | null
}

function parseModes (value: string): ModeName[] {
  const modes = value.split(',').map(m => m.trim())
  if (modes.length === 0 || modes.some(m => !(MODE_NAMES as readonly string[]).includes(m)) || new Set(modes).size !== modes.length) {
    throw invalidOption('--mode', value, `a comma-separated list of ${MODE_NAMES.join(', ')}, each once`)
  }
  return modes as ModeName[]
}

const SWEEP_ACCEPTED = 'a comma-separated list of concurrencies from 1 to 1000 (1,2,5,10,20,50) or a range (1..50)'

function parseSweep (value: string): number[] {
  const range = /^(\d+)\.\.(\d+)$/.exec(value)
  const values = range === null ? value.split(',').map(v => v.trim()) : expandSweepRange(Number(range[1]), Number(range[2])).map(String)
  if (values.length === 0 || values.some(v => !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000)) throw invalidOption('--sweep', value, SWEEP_ACCEPTED)
  return [...new Set(values.map(Number))].sort((a, b) => a - b)
}

function parseCodeArgs (args: string[]): CodeChoice {
  for (const arg of args) {
    if (!/^[A-Za-z]{1,2}$/.test(arg)) throw usageError(`CC ${JSON.stringify(arg)}: each CC argument must be a letter A to Z or a code AA to ZZ`)
  }
  return args.length === 0 ? { kind: 'pop20' } : { kind: 'list', args: args.map(a => a.toUpperCase()) }
}

/**
 * Each --expect, checked against the modes that will have a row in the report (with --sweep,
 * sequential only): a threshold on a mode that never runs could only miss.
 */
function parseExpectations (texts: readonly string[], rows: readonly ModeName[]): Expectation[] {
  return texts.map(text => {
    const expectation = parseExpectation(text, HARNESS_FIGURES)
    const mode = modeOf(expectation)
    if (mode !== null && !(rows as readonly string[]).includes(mode)) {
      throw usageError(`--expect ${expectation.expression}: ${mode} does not run here (the modes with a row in the report: ${rows.join(', ')})`)
    }
    if (expectation.name.endsWith('.speedup') && !rows.includes('sequential')) {
      throw usageError(`--expect ${expectation.expression}: a speedup is over sequential, which does not run here (--mode)`)
    }
    return expectation
  })
}

export function parseHarnessArgs (argv: readonly string[]): HarnessArgs {
  const options = {
    all: { type: 'boolean', short: 'a' },
    every: { type: 'boolean', short: 'e' },
    limit: { type: 'string', short: 'l' },
    'max-req': { type: 'string', short: 'm' },
    server: { type: 'string', short: 's' },
    verbose: { type: 'boolean', short: 'v' },
    mode: { type: 'string' },
    repeat: { type: 'string' },
    warmup: { type: 'string' },
    cold: { type: 'boolean' },
    'fresh-fates': { type: 'boolean' },
    timeout: { type: 'string' },
    save: { type: 'string' },
    'sync-save': { type: 'boolean' },
    'cpu-work': { type: 'string' },
    sweep: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    timeline: { type: 'boolean' },
    report: { type: 'string' },
    wide: { type: 'boolean' },
    expect: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
    ...INJECTION_ARGS
  } as const
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options, allowPositionals: true }>>
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (error) {
    throw parseArgsError(error, Object.keys(options).map(name => `--${name}`))
  }
  const { values, positionals } = parsed
  const text = (name: string): string | undefined => (values as Record<string, string | boolean | undefined>)[name] as string | undefined

  if (values.all === true && values.every === true) throw usageError('--all and --every: choose one')
  if ((values.all === true || values.every === true) && positionals.length > 0) throw usageError(`CC ${positionals.join(' ')}: no country codes with --all or --every`)
  const codes: CodeChoice = values.every === true ? { kind: 'every' } : values.all === true ? { kind: 'all' } : parseCodeArgs(positionals)

  const { server, seed, injection } = targetOptions(text, 'harness')

  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(values.timeout)
  if (timeout === undefined || timeout <= 0 || timeout > 600_000) throw invalidOption('--timeout', values.timeout, `${DURATION_ACCEPTED}, above 0 and at most 10m`)

  const cpuWork = values['cpu-work'] === undefined ? 0 : parseDuration(values['cpu-work'])
  if (cpuWork === undefined || cpuWork > 10_000) throw invalidOption('--cpu-work', values['cpu-work'], `${DURATION_ACCEPTED}, at most 10s`)
  if (values.cold === true && values.warmup !== undefined) throw usageError('--cold and --warmup: choose one; --cold is --warmup 0')
  if (values['sync-save'] === true && values.save === undefined) throw usageError('--sync-save: needs --save DIR, the folder to save to')

  const modes = values.mode === undefined ? null : parseModes(values.mode)
  const swept = modes?.filter(isSwept) ?? []
  // Sequential has one concurrency: a sweep of it alone would measure nothing it asked for.
  if (values.sweep !== undefined && modes !== null && swept.length === 0) throw invalidOption('--mode', values.mode, `with --sweep, at least one of ${SWEPT_MODES.join(', ')} (sequential runs once anyway)`)
  const sweep = values.sweep === undefined ? null : { concurrencies: parseSweep(values.sweep), modes: modes === null ? [...SWEPT_BY_DEFAULT] : swept }

  const repeat = values.repeat === undefined ? 1 : wholeNumber(values.repeat, '--repeat', 1, 100)
  const expectations = parseExpectations(values.expect ?? [], sweep === null ? modes ?? [...DEFAULT_MODES] : ['sequential'])
  return {
    help: values.help === true,
    version: values.version === true,
    codes,
    limit: values.limit === undefined ? null : wholeNumber(values.limit, '--limit', 1, 676),
    maxReq: values['max-req'] === undefined ? DEFAULT_MAX_REQ : wholeNumber(values['max-req'], '--max-req', 1, 1000),
    server,
    modes: modes ?? [...DEFAULT_MODES],
    repeat,
    warmup: values.cold === true ? 0 : values.warmup === undefined ? MEASURE_DEFAULTS.warmup : wholeNumber(values.warmup, '--warmup', 0, 100),
    freshFates: values['fresh-fates'] === true,
    timeoutMs: timeout,
    saveDir: values.save ?? null,
    syncSave: values['sync-save'] === true,
    cpuWorkMs: cpuWork,
    sweep,
    seed,
    injection,
    verbose: values.verbose === true,
    json: values.json === true,
    timeline: values.timeline === true,
    wide: values.wide === true,
    expectations,
    htmlFile: values.report ?? null
  }
}
