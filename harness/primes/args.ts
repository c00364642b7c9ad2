// npm run primes's command line. Pure: main.ts acts on the result.

import { helpText } from '../../server/command-line/help.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine } from '../../server/command-line/options.js'
import { invalidOption } from '../../server/contract/errors.js'
import { wholeNumber } from '../../server/contract/values.js'
import { MAX_N } from './is-prime.js'
import { PRIMES_MODES, type PrimesMode } from './modes.js'
import { NUMBERS } from './numbers.js'

const MAX_NUMBERS = 1000
const MAX_WORKERS = 128

export const PRIMES_COMMAND: CommandLine = {
  program: 'flag-primes',
  usage: 'npm run primes -- [options]',
  about: [
    'The CPU-bound lesson, twin of the book\'s primes programs (19-concurrency/primes: sequential.py, threads.py, procs.py; 20-executors/primes/proc_pool.py): checks the book\'s 20 numbers (from primes.py, up to 9999999999999999) by trial division, mode after mode, printing what the book\'s program prints, then a table against the ideal.',
    '',
    '  sequential   one after another on the main thread (sequential.py)',
    '  event-loop   every check an async task on the one event loop, all at once (Promise.all)',
    '  threads      W worker threads, results as they finish (threads.py)',
    '  procs        W child processes, results as they finish (procs.py)',
    '  proc-pool    a ProcessPoolExecutor of W processes, map over the numbers sorted big first: results in that order (proc_pool.py)'
  ].join('\n'),
  groups: [{
    heading: 'Options',
    rows: [
      { name: 'numbers', short: 'n', type: 'string', metavar: 'LIST', help: `whole numbers from 0 to ${MAX_N} (2^54 - 1), comma-separated, at most ${MAX_NUMBERS}`, default: 'the book\'s 20' },
      { name: 'workers', short: 'w', type: 'string', metavar: 'N', help: `pool size, 1 to ${MAX_WORKERS}`, default: 'min(cores, numbers)' },
      { name: 'mode', short: 'm', type: 'string', metavar: 'LIST', help: `some of ${PRIMES_MODES.join(', ')}`, default: 'all, in that order' },
      { name: 'with-python', type: 'string', metavar: 'DIR', help: 'also run the book\'s own Python programs from DIR, its example-code-2e folder, with python3 on the same numbers, and show them in one table beside ours; skipped, with the reason, when python3 or DIR is missing' },
      { name: 'json', type: 'boolean', help: 'one JSON document on stdout instead of the lines and the table' },
      { name: 'wide', type: 'boolean', help: 'every column in the table (by default it fits in 80 columns)' },
      HELP_OPTION,
      VERSION_OPTION
    ]
  }],
  closing: [
    'The ideal of a mode is the longest single check, or the total work over min(lanes, cores) if that is longer; the work is the sequential run\'s check times. CPU time counts every thread of this process and, for processes, what each child used from its first check to its last. A pool\'s start-up is in the book\'s closing lines, as in the book\'s timings, and shown apart; the table\'s elapsed is the checks alone.',
    '',
    'Exit: 0 when every mode (and every Python program of the book\'s) gave the same answers, 1 when they differ or a pool or Python program fails, 2 for bad options; Ctrl-C (SIGINT) and SIGTERM end it at once, without the table (130 and 143 in a shell).'
  ].join('\n'),
  // The book's scripts take the worker count as their argument: say where it goes here.
  noArguments: ': options only; a worker count is --workers N'
}

/** What --help prints on a pipe, or a terminal of 80 columns or fewer. */
export const PRIMES_HELP = helpText(PRIMES_COMMAND)

export interface PrimesOptions {
  help: boolean
  version: boolean
  /** In decimal, as they go to the workers. */
  numbers: string[]
  /** True when they are the book's NUMBERS. */
  bookNumbers: boolean
  /** The pools' size; null for the default, min(cores, numbers). */
  workers: number | null
  modes: PrimesMode[]
  /** The book's example-code-2e folder, to run its Python programs from; null without --with-python. */
  withPython: string | null
  json: boolean
  wide: boolean
}

const NUMBER_ACCEPTED = `comma-separated whole numbers from 0 to ${MAX_N}, at most ${MAX_NUMBERS} of them`

function parseNumbers (text: string): string[] {
  const items = text.split(',').map(item => item.trim())
  for (const item of items) {
    if (!/^\d+$/.test(item) || BigInt(item) > MAX_N) throw invalidOption('--numbers', item, NUMBER_ACCEPTED)
  }
  if (items.length > MAX_NUMBERS) throw invalidOption('--numbers', `${items.length} numbers`, NUMBER_ACCEPTED)
  // Written as bigints write them: 007 is 7.
  return items.map(item => BigInt(item).toString())
}

function parseModes (text: string): PrimesMode[] {
  const asked = text.split(',').map(item => item.trim())
  for (const mode of asked) {
    if (!(PRIMES_MODES as readonly string[]).includes(mode)) throw invalidOption('--mode', mode, `some of ${PRIMES_MODES.join(', ')}, comma-separated`)
  }
  return PRIMES_MODES.filter(mode => asked.includes(mode))
}

export function parsePrimesArgs (argv: readonly string[]): PrimesOptions {
  const { text, on } = readCommandLine(PRIMES_COMMAND, argv)
  const numbers = text('numbers')
  const workers = text('workers')
  const modes = text('mode')
  return {
    help: on('help'),
    version: on('version'),
    numbers: numbers === undefined ? NUMBERS.map(String) : parseNumbers(numbers),
    bookNumbers: numbers === undefined,
    workers: workers === undefined ? null : wholeNumber(workers, '--workers', 1, MAX_WORKERS),
    modes: modes === undefined ? [...PRIMES_MODES] : parseModes(modes),
    withPython: text('with-python') ?? null,
    json: on('json'),
    wide: on('wide')
  }
}
