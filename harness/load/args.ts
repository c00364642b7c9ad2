// npm run load's command line: how hard to drive the server, which server, what injection.
// Pure: main.ts acts on the result. The server's own rules check every injection value.

import { helpText } from '../../server/command-line/help.js'
import { INJECTION_OPTIONS } from '../../server/command-line/injection-options.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine } from '../../server/command-line/options.js'
import { DURATION_ACCEPTED, formatDuration, parseDuration } from '../../server/contract/duration.js'
import { invalidOption, usageError } from '../../server/contract/errors.js'
import { wholeNumber } from '../../server/contract/values.js'
import { ARRIVAL_KINDS, type ArrivalKind } from '../core/load/arrivals.js'
import { DEFAULT_WARMUP_MS, type OpenLoopOptions } from '../core/load/load.js'
import { targetOptions, type TargetOptions } from '../core/options.js'
import { LOAD_FIGURE_CATALOG, parseExpectation, type Expectation } from '../reports/expect.js'

export const MAX_CONNECTIONS = 10_000
export const MAX_DURATION_MS = 600_000
const MAX_AMOUNT = 100_000_000
const DEFAULT_CONNECTIONS = 100
/**
 * One Node process sends some 25,000 requests a second here at best; 100,000 arrivals a second
 * (one every 10 µs) is past what its timers and one event loop can keep to, whatever the server.
 */
const MAX_RATE = 100_000
const DEFAULT_MAX_CONNECTIONS = 1000
const MAX_WARMUP_MS = 60_000
/** A sweep's steps at most: at the default 10 s each, over three minutes already. */
const MAX_STEPS = 20
const DEFAULT_DURATION_MS = 10_000

export const LOAD_COMMAND: CommandLine = {
  program: 'flag-load',
  usage: 'npm run load -- [options]',
  about: [
    'Drives the flag server with a closed loop of its own (undici): C connections, each sending one request after another for the flag GIFs, round-robin over every flag the server lists. Reports the throughput and the latency percentiles next to Little\'s law: a closed loop of C connections whose requests take W on average completes C/W requests per second; with a fixed injected latency L, at most C/L. With no server given it starts its own, in a child process.',
    '',
    'Each request carries x-flags-salt: <connection>.<request> (0.0, 0.1, ..., 1.0, ...), so the server draws a fate per request, not per path: --error-rate 0.25 fails about a quarter of the requests, every path alike, and one --seed with one --amount draws the same fates every run.'
  ].join('\n'),
  groups: [
    {
      heading: 'Load',
      rows: [
        { name: 'connections', short: 'c', type: 'string', metavar: 'N', help: `connections, each with one request in flight (1 to ${MAX_CONNECTIONS})`, default: String(DEFAULT_CONNECTIONS) },
        { name: 'duration', short: 'd', type: 'string', metavar: 'DURATION', help: 'how long to run (e.g. 10s, at most 10m)', default: formatDuration(DEFAULT_DURATION_MS) },
        { name: 'amount', short: 'a', type: 'string', metavar: 'N', help: `stop after N requests instead (1 to ${MAX_AMOUNT})` }
      ]
    },
    {
      heading: 'Open loop (arrivals at a rate, instead of --connections)',
      rows: [
        { name: 'rate', short: 'r', type: 'string', metavar: 'N/s', help: `requests arrive at N a second whether or not the server keeps up (up to ${MAX_RATE}/s); each one's latency runs from its intended start, its wait for a connection included. A sweep: A/s..B/s (A, then doubling, then B) or a list A/s,B/s,...: one run of --duration (or --amount) per rate, the knee where the server stops keeping up, then a closed loop with as many connections as the knee used (at most ${MAX_STEPS} rates, increasing)` },
        { name: 'arrivals', type: 'string', metavar: 'KIND', help: `${ARRIVAL_KINDS.join(' or ')}: evenly spaced, or Poisson from the run's seed`, default: 'uniform' },
        { name: 'max-connections', type: 'string', metavar: 'N', help: `opened as needed, up to N (1 to ${MAX_CONNECTIONS}); past it an arrival waits for a connection`, default: String(DEFAULT_MAX_CONNECTIONS) },
        { name: 'warmup', type: 'string', metavar: 'DURATION', help: 'first, the rate rises from 0 to --rate over this long, in no figure: the JIT warms and the connections the rate needs open (0s for none, at most 1m; each step of a sweep has one)', default: formatDuration(DEFAULT_WARMUP_MS) }
      ]
    },
    {
      heading: 'Server (as npm run harness -- --help describes them)',
      rows: [
        { name: 'server', short: 's', type: 'string', metavar: 'LABEL|URL', help: 'LOCAL, DELAY, ERROR or a URL', default: 'a server of its own on 127.0.0.1' },
        { name: 'seed', type: 'string', metavar: 'N', help: 'that server\'s seed', default: 'random, printed' }
      ]
    },
    {
      heading: 'Injection (as npm run server -- --help describes it)',
      rows: INJECTION_OPTIONS,
      together: 'they configure the load tool\'s own server (a fixed 100ms latency when none is given), or go to another as x-flags-* headers. With a fixed --latency L, C/L is the bound.'
    },
    {
      heading: 'Report',
      rows: [
        { name: 'wide', type: 'boolean', help: 'every column in the table (by default it fits in 80 columns)' },
        { name: 'json', type: 'boolean', help: 'one JSON document on stdout instead of the table' },
        { name: 'report', type: 'string', metavar: 'FILE', help: 'also write a self-contained HTML report: the figures and the table; for a sweep, a chart of the rate achieved and the p99 against the target rate, the knee and the closed loop marked (a single run has no chart)' },
        {
          name: 'expect',
          type: 'string',
          multiple: true,
          metavar: '\'NAME OP VALUE\'',
          help: 'a threshold on a figure, checked after the run (again for more): OP one of < <= > >= == !=; NAME one of rps, requests, ok, non2xx, errors, timeouts, elapsed, mean, p50, p90, p99, max, littles (req/s over Little\'s law\'s C/W), bound (req/s over C/L); with --rate, achieved (over the target rate), lateness (the generator\'s p99), dropped. A duration takes ms, s or m (bare: seconds for elapsed, ms for the rest); a ratio 0.95 or 95%. E.g. --expect \'rps>=900\' --expect \'p99<250ms\''
        },
        HELP_OPTION,
        VERSION_OPTION
      ]
    }
  ],
  // A line for each code that has more to say, whatever the width.
  closing: [
    'Exit: 0 when the run completed (failed requests are counted), 1 when the server cannot be reached, 2 for bad options,',
    '3 when an --expect threshold was missed (each miss on a line after the report),',
    '130 when interrupted (Ctrl-C) and 143 when terminated (SIGTERM): what was measured is printed, marked incomplete.'
  ].join('\n')
}

/** What --help prints on a pipe, or a terminal of 80 columns or fewer. */
export const LOAD_HELP = helpText(LOAD_COMMAND)

export interface LoadOptions extends TargetOptions {
  help: boolean
  version: boolean
  connections: number
  /** --rate: an open loop (at the sweep's first rate with a sweep); null for the closed loop of --connections. */
  open: OpenLoopOptions | null
  /** --rate A/s..B/s or A/s,B/s,...: the sweep's rates, increasing; null without a sweep. */
  sweepRates: number[] | null
  /** How long to run; null with --amount, which stops after a number of requests instead. */
  durationMs: number | null
  amount: number | null
  json: boolean
  wide: boolean
  /** --report: where to write the HTML report; null without it. */
  htmlFile: string | null
  /** --expect, each parsed: judged against the report once the run is over. */
  expectations: Expectation[]
}

function parseRunDuration (value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0 || ms > MAX_DURATION_MS) throw invalidOption('--duration', value, `${DURATION_ACCEPTED}, above 0 and at most 10m`)
  return ms
}

function parseWarmup (value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms < 0 || ms > MAX_WARMUP_MS) throw invalidOption('--warmup', value, `${DURATION_ACCEPTED}, 0 to 1m`)
  return ms
}

function parseRate (value: string): number {
  const match = /^(\d+(?:\.\d+)?)\/s$/.exec(value)
  const rate = match?.[1] === undefined ? NaN : Number(match[1])
  if (!(rate > 0 && rate <= MAX_RATE)) throw invalidOption('--rate', value, `requests a second with the unit, e.g. 500/s, above 0 and at most ${MAX_RATE}/s (what one process can schedule)`)
  return rate
}

/**
 * --rate's rates: one; a list A/s,B/s,... as given; a range A/s..B/s as A, 2A, 4A... while below
 * B, then B (doubling, so each step asks twice the last: a knee is found within a factor of two
 * in few steps). Increasing, at most MAX_STEPS.
 */
export function parseRates (value: string): number[] {
  const range = value.split('..')
  let rates: number[]
  if (range.length === 2) {
    const [from, to] = range.map(parseRate) as [number, number]
    // A descending range is kept as given, for the check below to name.
    rates = from < to ? [] : [from]
    for (let rate = from; rate < to && rates.length <= MAX_STEPS; rate *= 2) rates.push(rate)
    rates.push(to)
  } else if (range.length === 1) rates = value.split(',').map(parseRate)
  else throw invalidOption('--rate', value, 'N/s, a range A/s..B/s or a list A/s,B/s,...')
  if (rates.length > MAX_STEPS || rates.some((rate, i) => i > 0 && rate <= (rates[i - 1] as number))) {
    throw invalidOption('--rate', value, `increasing rates, at most ${MAX_STEPS} (a range A/s..B/s with A below B)`)
  }
  return rates
}

function parseOpenLoop (text: (name: string) => string | undefined): { open: OpenLoopOptions, rates: number[] } | null {
  const rateText = text('rate')
  const arrivalsText = text('arrivals')
  const maxText = text('max-connections')
  const warmupText = text('warmup')
  if (rateText === undefined) {
    const stray = arrivalsText !== undefined ? '--arrivals' : maxText !== undefined ? '--max-connections' : warmupText !== undefined ? '--warmup' : null
    if (stray !== null) throw usageError(`${stray}: only with --rate (an open loop)`)
    return null
  }
  if (text('connections') !== undefined) throw usageError('--rate and --connections: choose one; --rate sets the arrival rate (an open loop, connections opened as needed up to --max-connections), --connections a closed loop')
  if (arrivalsText !== undefined && !(ARRIVAL_KINDS as readonly string[]).includes(arrivalsText)) throw invalidOption('--arrivals', arrivalsText, ARRIVAL_KINDS.join(' or '))
  const rates = parseRates(rateText)
  const open = {
    ratePerS: rates[0] as number,
    arrivals: (arrivalsText ?? 'uniform') as ArrivalKind,
    maxConnections: maxText === undefined ? DEFAULT_MAX_CONNECTIONS : wholeNumber(maxText, '--max-connections', 1, MAX_CONNECTIONS),
    warmupMs: warmupText === undefined ? DEFAULT_WARMUP_MS : parseWarmup(warmupText)
  }
  return { open, rates }
}

export function parseLoadArgs (argv: readonly string[]): LoadOptions {
  const { text, texts, on } = readCommandLine(LOAD_COMMAND, argv)
  const { server, seed, injection } = targetOptions(text, 'load tool')

  const amountText = text('amount')
  const durationText = text('duration')
  const connectionsText = text('connections')
  const amount = amountText === undefined ? null : wholeNumber(amountText, '--amount', 1, MAX_AMOUNT)
  if (amount !== null && durationText !== undefined) throw usageError('--amount and --duration: choose one; --amount stops after a number of requests, --duration after a time')
  const connections = connectionsText === undefined ? DEFAULT_CONNECTIONS : wholeNumber(connectionsText, '--connections', 1, MAX_CONNECTIONS)
  const parsed = parseOpenLoop(text)
  // The amount is shared out between the connections: each needs one request at least.
  if (parsed === null && amount !== null && amount < connections) throw usageError(`--amount ${amount}: at least one request per connection (--connections ${connections})`)
  const expectations = texts('expect').map(text => parseExpectation(text, LOAD_FIGURE_CATALOG))
  const sweepRates = parsed !== null && parsed.rates.length > 1 ? parsed.rates : null
  if (sweepRates !== null && expectations.length > 0) throw usageError('--expect: not with a sweep (--rate with several rates); it judges one run')
  return {
    help: on('help'),
    version: on('version'),
    connections,
    open: parsed?.open ?? null,
    sweepRates,
    durationMs: amount !== null ? null : durationText === undefined ? DEFAULT_DURATION_MS : parseRunDuration(durationText),
    amount,
    server,
    seed,
    injection,
    json: on('json'),
    wide: on('wide'),
    htmlFile: text('report') ?? null,
    expectations
  }
}
