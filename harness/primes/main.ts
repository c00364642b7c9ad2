// npm run primes: options → each mode in turn over the same numbers, the book's line per number
// as it completes → figures against the ideal → the table, or one JSON document.
//
// No SIGINT handler on purpose: the sequential and event-loop modes hold the only thread, so a
// handler would wait for their end; Node's default ends the process at once, and the pools'
// workers go with it (threads are ours, child processes leave when their IPC channel closes).

import { availableParallelism } from 'node:os'
import { EXIT, exitWith, parsedOrExit } from '../../server/command-line/exit.js'
import { answeredHelpOrVersion } from '../../server/command-line/version.js'
import { parsePrimesArgs, PRIMES_COMMAND, type PrimesOptions } from './args.js'
import { answersOf, figuresOf, type Answers, type ModeFigures } from './figures.js'
import { runMode, type PrimesRun } from './modes.js'
import { bookAnswer } from './numbers.js'
import { bookLine, LEGEND, lessonNotes, modeEnd, modeTitle, PRIMES_SCHEMA_VERSION, summaryTable, workLine } from './report.js'
import { ignoreClosedPipes } from '../../server/command-line/pipes.js'

const PROGRAM = 'flag-primes'

interface Progress {
  tick: () => void
  done: () => void
}

/** A count on stderr, on a terminal only, when the book's lines are not already on it. */
function progress (options: PrimesOptions, label: string): Progress {
  const stream = process.stderr
  if (stream.isTTY !== true || (!options.json && process.stdout.isTTY === true)) return { tick: () => {}, done: () => {} }
  let count = 0
  const draw = (): void => { stream.write(`\r${label}: ${count}/${options.numbers.length} checked`) }
  draw()
  return { tick: () => { count++; draw() }, done: () => { stream.write('\r\x1b[K') } }
}

function header (options: PrimesOptions, cores: number, workers: number): string[] {
  const which = options.bookNumbers ? 'the book\'s NUMBERS, from primes.py' : 'from --numbers'
  return [
    `Primes: ${options.numbers.length} numbers (${which}), trial division by the odd numbers up to isqrt(n)`,
    `Node ${process.version} on ${cores} CPUs (${process.platform}-${process.arch}); pools of ${workers} workers`,
    ''
  ]
}

async function runAll (options: PrimesOptions, workers: number, say: (line: string) => void): Promise<PrimesRun[]> {
  const runs: PrimesRun[] = []
  for (const mode of options.modes) {
    say(modeTitle(mode, options.numbers.length, workers))
    const shown = progress(options, mode)
    const run = await runMode(mode, options.numbers, workers, result => {
      say(bookLine(result))
      shown.tick()
    }).finally(shown.done)
    say(modeEnd(run))
    say('')
    runs.push(run)
  }
  return runs
}

function answersLine (answers: Answers, count: number): string {
  const book = answers.bookAgrees === null ? '' : answers.bookAgrees ? ', and with the book\'s PRIME_FIXTURE' : ', but NOT with the book\'s PRIME_FIXTURE'
  const modes = answers.modesDiffer === null ? `every mode agrees${book}` : `the modes DIFFER (${answers.modesDiffer})`
  return `Answers: ${answers.primes} primes of ${count}; ${modes}`
}

function textReport (modes: readonly ModeFigures[], answers: Answers, count: number, cores: number, wide: boolean): string {
  return [summaryTable(modes, wide), '', ...LEGEND, '', workLine(modes, cores), answersLine(answers, count), '', ...lessonNotes(modes), ''].join('\n')
}

function jsonReport (options: PrimesOptions, workers: number, cores: number, modes: readonly ModeFigures[], answers: Answers): string {
  return JSON.stringify({
    schemaVersion: PRIMES_SCHEMA_VERSION,
    command: ['npm run primes --', ...process.argv.slice(2)].join(' '),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cores,
    workers,
    numbers: { source: options.bookNumbers ? 'book' : 'given', values: options.numbers },
    answers,
    modes
  }, null, 2) + '\n'
}

async function main (): Promise<void> {
  ignoreClosedPipes()
  const options = parsedOrExit(PROGRAM, () => parsePrimesArgs(process.argv.slice(2)))
  if (answeredHelpOrVersion(PRIMES_COMMAND, options)) return
  const cores = availableParallelism()
  const workers = options.workers ?? Math.min(cores, options.numbers.length)
  const say = options.json ? () => {} : (line: string) => { process.stdout.write(line + '\n') }
  for (const line of header(options, cores, workers)) say(line)

  const runs = await runAll(options, workers, say)
  const modes = figuresOf(runs, cores)
  const answers = answersOf(runs, options.bookNumbers ? bookAnswer : null)
  process.stdout.write(options.json ? jsonReport(options, workers, cores, modes, answers) : textReport(modes, answers, options.numbers.length, cores, options.wide))
  if (answers.modesDiffer !== null || answers.bookAgrees === false) {
    exitWith(PROGRAM, answers.modesDiffer === null ? 'the answers differ from the book\'s PRIME_FIXTURE' : `the modes' answers differ: ${answers.modesDiffer}`, EXIT.failed)
  }
}

main().catch((error: Error) => exitWith(PROGRAM, error.message.split('\n', 1)[0] ?? 'failed', EXIT.failed))
