// npm run load's command line: how hard to drive the server, which server, what injection.
// Pure: main.ts acts on the result. The server's own rules check every injection value.

import { parseArgs } from 'node:util'
import { DURATION_ACCEPTED, parseDuration } from '../../server/contract/duration.js'
import { invalidOption, parseArgsError, usageError } from '../../server/contract/errors.js'
import { INJECTION_ARGS } from '../../server/contract/injection.js'
import { wholeNumber } from '../../server/contract/values.js'
import { targetOptions, type TargetOptions } from '../core/options.js'
import { LOAD_FIGURE_CATALOG, parseExpectation, type Expectation } from '../reports/expect.js'

export const LOAD_HELP = `Usage: npm run load -- [options]

Drives the flag server with a closed loop of its own (undici): C connections, each sending one request after another
for the flag GIFs, round-robin over every flag the server lists. Reports the throughput and
the latency percentiles next to Little's law: a closed loop of C connections whose requests
take W on average completes C/W requests per second; with a fixed injected latency L, at most
C/L. With no server given it starts its own, in a child process.

Each request carries x-flags-salt: <connection>.<request> (0.0, 0.1, ..., 1.0, ...), so the
server draws a fate per request, not per path: --error-rate 0.25 fails about a quarter of the
requests, every path alike, and one --seed with one --amount draws the same fates every run.

Load:
  -c, --connections N     connections, each with one request in flight (1 to 10000, default 100)
  -d, --duration DURATION how long to run (e.g. 10s, at most 10m; default 10s)
  -a, --amount N          stop after N requests instead (1 to 100000000)

Server (as npm run harness -- --help describes them):
  -s, --server LABEL|URL  LOCAL, DELAY, ERROR or a URL; default: a server of its own on 127.0.0.1
  --seed N                that server's seed (default: random, printed)
  --latency SPEC ... --truncate-rate
                          the server's injection options: they configure the load tool's own
                          server (a fixed 100ms latency when none is given), or go to another
                          as x-flags-* headers. With a fixed --latency L, C/L is the bound.

Report:
  --wide                  every column in the table (by default it fits in 80 columns)
  --json                  one JSON document on stdout instead of the table
  --expect 'NAME OP VALUE'
                          a threshold on a figure, checked after the run (again for more):
                          OP one of < <= > >= == !=; NAME one of rps, requests, ok, non2xx,
                          errors, timeouts, elapsed, mean, p50, p90, p99, max, littles
                          (req/s over Little's law's C/W), bound (req/s over C/L). A duration
                          takes ms, s or m (bare: seconds for elapsed, ms for the rest); a
                          ratio 0.95 or 95%. E.g. --expect 'rps>=900' --expect 'p99<250ms'
  -h, --help
  --version

Exit: 0 when the run completed (failed requests are counted), 1 when the server cannot be
reached, 2 for bad options, 3 when an --expect threshold was missed (each miss on a line after
the report), 130 when interrupted (Ctrl-C) and 143 when terminated (SIGTERM): what was
measured is printed, marked incomplete.
`

export const MAX_CONNECTIONS = 10_000
export const MAX_DURATION_MS = 600_000
const MAX_AMOUNT = 100_000_000
const DEFAULT_CONNECTIONS = 100
const DEFAULT_DURATION_MS = 10_000

export interface LoadOptions extends TargetOptions {
  help: boolean
  version: boolean
  connections: number
  /** How long to run; null with --amount, which stops after a number of requests instead. */
  durationMs: number | null
  amount: number | null
  json: boolean
  wide: boolean
  /** --expect, each parsed: judged against the report once the run is over. */
  expectations: Expectation[]
}

function parseRunDuration (value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0 || ms > MAX_DURATION_MS) throw invalidOption('--duration', value, `${DURATION_ACCEPTED}, above 0 and at most 10m`)
  return ms
}

export function parseLoadArgs (argv: readonly string[]): LoadOptions {
  const options = {
    connections: { type: 'string', short: 'c' },
    duration: { type: 'string', short: 'd' },
    amount: { type: 'string', short: 'a' },
    server: { type: 'string', short: 's' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    wide: { type: 'boolean' },
    expect: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
    ...INJECTION_ARGS
  } as const
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    values = parseArgs({ args: [...argv], options, strict: true }).values
  } catch (error) {
    throw parseArgsError(error, Object.keys(options).map(name => `--${name}`))
  }
  const text = (name: string): string | undefined => values[name] as string | undefined

  const { server, seed, injection } = targetOptions(text, 'load tool')

  const amount = text('amount') === undefined ? null : wholeNumber(text('amount') as string, '--amount', 1, MAX_AMOUNT)
  if (amount !== null && text('duration') !== undefined) throw usageError('--amount and --duration: choose one; --amount stops after a number of requests, --duration after a time')
  const connections = text('connections') === undefined ? DEFAULT_CONNECTIONS : wholeNumber(text('connections') as string, '--connections', 1, MAX_CONNECTIONS)
  // The amount is shared out between the connections: each needs one request at least.
  if (amount !== null && amount < connections) throw usageError(`--amount ${amount}: at least one request per connection (--connections ${connections})`)
  const expectations = ((values.expect ?? []) as string[]).map(text => parseExpectation(text, LOAD_FIGURE_CATALOG))
  return {
    help: values.help === true,
    version: values.version === true,
    connections,
    durationMs: amount !== null ? null : text('duration') === undefined ? DEFAULT_DURATION_MS : parseRunDuration(text('duration') as string),
    amount,
    server,
    seed,
    injection,
    json: values.json === true,
    wide: values.wide === true,
    expectations
  }
}
