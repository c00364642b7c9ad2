// The harness's command line: the book's flags2 interface (CC letters, -a, -e, -l, -m, -s, -v)
// plus the measuring options. Pure: main.ts acts on the result.

import { INJECTION_OPTIONS } from '../../server/command-line/injection-options.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine } from '../../server/command-line/options.js'
import { DURATION_ACCEPTED, formatDuration, parseDuration } from '../../server/contract/duration.js'
import { invalidOption, usageError } from '../../server/contract/errors.js'
import { formatInjection } from '../../server/contract/injection.js'
import { wholeNumber } from '../../server/contract/values.js'
import { DEFAULT_MODES, isSwept, MODE_NAMES, SWEPT_BY_DEFAULT, SWEPT_MODES, type ModeName } from '../core/modes/registry.js'
import { HARNESS_FIGURES, modeOf, parseExpectation, type Expectation } from '../reports/expect.js'
import { DEFAULT_INJECTION, DEFAULT_MAX_REQ, DEFAULT_TIMEOUT_MS, MAX_REQ_LIMIT, MEASURE_DEFAULTS, targetOptions, type CodeChoice, type MeasureOptions } from '../core/options.js'
import { expandSweepRange } from '../core/sweep.js'

export const HARNESS_COMMAND: CommandLine = {
  program: 'flag-harness',
  usage: 'npm run harness -- [options] [CC ...]',
  about: [
    'Downloads flags with each kind of client in turn, against one flag server, and measures them side by side: sequential (one request after another), pooled (a pool of worker threads, one download each at a time), processes (a pool of worker processes, by --mode) and async (one event loop, many requests in flight).',
    'With no server given it starts its own, in a child process.'
  ].join('\n'),
  groups: [
    {
      heading: 'Which flags (as the book\'s flags2 programs)',
      rows: [
        { argument: 'CC ...', help: 'country codes (BR) or first letters (B = BA..BZ); default: the 20 most populous countries' },
        { name: 'all', short: 'a', type: 'boolean', help: 'every flag the server has (194)' },
        { name: 'every', short: 'e', type: 'boolean', help: 'every code AA..ZZ (676, most of them 404)' },
        { name: 'limit', short: 'l', type: 'string', metavar: 'N', help: 'only the first N codes, in sorted order' }
      ]
    },
    {
      heading: 'How',
      rows: [
        { name: 'max-req', short: 'm', type: 'string', metavar: 'N', help: `concurrency: pool size for pooled, requests in flight for async (1 to ${MAX_REQ_LIMIT}, capped by the number of codes)`, default: String(DEFAULT_MAX_REQ) },
        { name: 'mode', type: 'string', metavar: 'LIST', help: `modes to run, in order, of ${MODE_NAMES.join(', ')}`, default: DEFAULT_MODES.join(',') },
        { name: 'repeat', type: 'string', metavar: 'K', help: 'K measured runs per mode (1 to 100)', default: String(MEASURE_DEFAULTS.repeat) },
        { name: 'warmup', type: 'string', metavar: 'N', help: 'runs per mode before the measured ones, not measured: they open the connections, warm the JIT and give each worker a request; the first is timed apart, as the cold run (0 to 100)', default: String(MEASURE_DEFAULTS.warmup) },
        { name: 'cold', type: 'boolean', help: 'measure the first run, cold, as the book\'s scripts do (--warmup 0)' },
        { name: 'fresh-fates', type: 'boolean', help: 'draw new delays and faults for each run (run k of every mode still meets the same ones); by default every run meets the same fates' },
        { name: 'timeout', type: 'string', metavar: 'DURATION', help: 'per request, headers and body', default: `${formatDuration(DEFAULT_TIMEOUT_MS)}, the book's` },
        { name: 'save', type: 'string', metavar: 'DIR', help: 'save each flag as DIR/XX.gif (the book\'s downloaded/)' }
      ]
    },
    {
      heading: 'The event loop\'s role',
      rows: [
        { name: 'cpu-work', type: 'string', metavar: 'DURATION', help: 'synchronous CPU work after each download (e.g. 20ms, at most 10s), on the thread that did it: it stalls one event loop, worker threads spread it over the cores' },
        { name: 'sync-save', type: 'boolean', help: 'save with writeFileSync, blocking the loop on purpose (needs --save)' },
        { name: 'sweep', type: 'string', metavar: 'LIST|RANGE', help: 'sequential once, then pooled and async (or the modes of --mode) at each concurrency, against Little\'s law: 1,2,5,10,20,50 or 1..50 (the 1-2-5 series within it)' }
      ]
    },
    {
      heading: 'Server',
      rows: [
        { name: 'server', short: 's', type: 'string', metavar: 'LABEL|URL', help: 'LOCAL, DELAY or ERROR (the book\'s sites on localhost ports 8000, 8001, 8002; start them with npm run server) or a URL such as http://127.0.0.1:8001/flags', default: 'a server of its own' },
        { name: 'seed', type: 'string', metavar: 'N', help: 'the embedded server\'s seed', default: 'random, printed' }
      ]
    },
    {
      heading: 'Injection (as npm run server -- --help describes it)',
      rows: INJECTION_OPTIONS,
      together: `they configure the embedded server, or go as x-flags-* headers to another one. With none, the embedded server injects a fixed ${formatInjection(DEFAULT_INJECTION).latency ?? ''} latency.`
    },
    {
      heading: 'Report',
      rows: [
        { name: 'verbose', short: 'v', type: 'boolean', help: 'one line per code as it completes' },
        { name: 'timeline', type: 'boolean', help: 'draw each mode\'s requests as bars in the terminal' },
        { name: 'wide', type: 'boolean', help: 'every column in the tables (by default they fit in 80 columns)' },
        { name: 'report', type: 'string', metavar: 'FILE', help: 'also write a self-contained HTML report: timelines, elapsed vs ideal, event-loop delay over time, the sweep' },
        { name: 'json', type: 'boolean', help: 'one JSON document on stdout instead of the tables' },
        { name: 'csv', type: 'string', metavar: 'FILE', help: 'also write every measured request as CSV: mode, concurrency, run, index, path, status (or the error), fault, delay_ms, start_ms and end_ms from the run\'s start, bytes' },
        {
          name: 'expect',
          type: 'string',
          multiple: true,
          metavar: '\'NAME OP VALUE\'',
          help: 'a threshold on a figure, checked after the run (again for more): OP one of < <= > >= == !=; NAME a mode\'s figure, MODE.FIGURE, with FIGURE one of speedup, efficiency, elapsed, ideal, p50, p90, p99, max, rps, ok, 404, errors, loop-p99, loop-max, busy, or a total over the modes: ok, 404, errors. A duration takes ms, s or m (bare: seconds for elapsed and ideal, ms for the rest); a speedup 15 or 15x; a share 0.95 or 95%. E.g. --expect \'async.speedup>=15\' --expect \'errors==0\''
        },
        HELP_OPTION,
        VERSION_OPTION
      ]
    }
  ],
  // A line for each code that has more to say, whatever the width.
  closing: [
    'Exit: 0 when the run completed (failed requests counted, not fatal), 1 when the',
    'server cannot be reached or dies mid-run (what was measured is printed), 2 for',
    'bad options, 3 when an --expect threshold was missed (each miss on a line),',
    '130 when interrupted (Ctrl-C) and 143 when terminated (SIGTERM): the partial report is printed.'
  ].join('\n')
}

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
  /** --csv: where to write every measured request; null without it. */
  csvFile: string | null
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
  const { text, texts, on, positionals } = readCommandLine(HARNESS_COMMAND, argv)

  if (on('all') && on('every')) throw usageError('--all and --every: choose one')
  if ((on('all') || on('every')) && positionals.length > 0) throw usageError(`CC ${positionals.join(' ')}: no country codes with --all or --every`)
  const codes: CodeChoice = on('every') ? { kind: 'every' } : on('all') ? { kind: 'all' } : parseCodeArgs(positionals)

  const { server, seed, injection } = targetOptions(text, 'harness')

  const timeoutText = text('timeout')
  const timeout = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeoutText)
  if (timeout === undefined || timeout <= 0 || timeout > 600_000) throw invalidOption('--timeout', timeoutText, `${DURATION_ACCEPTED}, above 0 and at most 10m`)

  const cpuWorkText = text('cpu-work')
  const cpuWork = cpuWorkText === undefined ? 0 : parseDuration(cpuWorkText)
  if (cpuWork === undefined || cpuWork > 10_000) throw invalidOption('--cpu-work', cpuWorkText, `${DURATION_ACCEPTED}, at most 10s`)
  const warmupText = text('warmup')
  if (on('cold') && warmupText !== undefined) throw usageError('--cold and --warmup: choose one; --cold is --warmup 0')
  const saveDir = text('save') ?? null
  if (on('sync-save') && saveDir === null) throw usageError('--sync-save: needs --save DIR, the folder to save to')

  const modeText = text('mode')
  const modes = modeText === undefined ? null : parseModes(modeText)
  const swept = modes?.filter(isSwept) ?? []
  const sweepText = text('sweep')
  // Sequential has one concurrency: a sweep of it alone would measure nothing it asked for.
  if (sweepText !== undefined && modes !== null && swept.length === 0) throw invalidOption('--mode', modeText, `with --sweep, at least one of ${SWEPT_MODES.join(', ')} (sequential runs once anyway)`)
  const sweep = sweepText === undefined ? null : { concurrencies: parseSweep(sweepText), modes: modes === null ? [...SWEPT_BY_DEFAULT] : swept }

  const whole = (name: string, min: number, max: number, fallback: number): number => {
    const given = text(name)
    return given === undefined ? fallback : wholeNumber(given, `--${name}`, min, max)
  }
  const repeat = whole('repeat', 1, 100, MEASURE_DEFAULTS.repeat)
  const limitText = text('limit')
  const expectations = parseExpectations(texts('expect'), sweep === null ? modes ?? [...DEFAULT_MODES] : ['sequential'])
  return {
    help: on('help'),
    version: on('version'),
    codes,
    limit: limitText === undefined ? null : wholeNumber(limitText, '--limit', 1, 676),
    maxReq: whole('max-req', 1, MAX_REQ_LIMIT, DEFAULT_MAX_REQ),
    server,
    modes: modes ?? [...DEFAULT_MODES],
    repeat,
    warmup: on('cold') ? 0 : whole('warmup', 0, 100, MEASURE_DEFAULTS.warmup),
    freshFates: on('fresh-fates'),
    timeoutMs: timeout,
    saveDir,
    syncSave: on('sync-save'),
    cpuWorkMs: cpuWork,
    sweep,
    seed,
    injection,
    verbose: on('verbose'),
    json: on('json'),
    timeline: on('timeline'),
    wide: on('wide'),
    expectations,
    htmlFile: text('report') ?? null,
    csvFile: text('csv') ?? null
  }
}
