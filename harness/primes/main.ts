// npm run primes: options → each mode in turn over the same numbers, the book's line per number
// as it is reported, with --with-python the book's own program after each → figures against
// the ideal → the tables, or one JSON document.
//
// No SIGINT handler on purpose: the sequential and event-loop modes hold the only thread, so a
// handler would wait for their end; Node's default ends the process at once, and the pools'
// workers go with it (threads are ours, child processes leave when their IPC channel closes).
// The book's Python programs are not ours to end so: book-python.ts stops them itself.

import { availableParallelism } from 'node:os'
import { EXIT, exitWith, parsedOrExit } from '../../server/command-line/exit.js'
import { answeredHelpOrVersion } from '../../server/command-line/version.js'
import { ignoreClosedPipes } from '../../server/command-line/pipes.js'
import { prose } from '../reports/format.js'
import { parsePrimesArgs, PRIMES_COMMAND, type PrimesOptions } from './args.js'
import { findBookPrograms, runBookProgram, type BookProgram, type BookPrograms, type PythonRun } from './book-python.js'
import { answersOf, figuresOf, sideBySide, type Answers, type ModeFigures, type SideBySide } from './figures.js'
import { runMode, type PrimesRun } from './modes.js'
import { bookAnswer } from './numbers.js'
import { bookLine, LEGEND, lessonNotes, modeEnd, modeTitle, PRIMES_SCHEMA_VERSION, pythonTable, summaryTable, workLine } from './report.js'

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
    prose([
      `Primes: ${options.numbers.length} numbers (${which}), trial division by the odd numbers up to isqrt(n)`,
      `Node ${process.version} on ${cores} CPUs (${process.platform}-${process.arch}); pools of ${workers} workers`
    ]),
    ''
  ]
}

/** The book's program of one mode, its output shown as it printed it. */
async function runPython (book: BookPrograms, program: BookProgram, options: PrimesOptions, workers: number, say: (line: string) => void): Promise<PythonRun> {
  say(`${book.version}, ${program.program}${program.mode === 'sequential' ? '' : ` ${workers}`}:`)
  const run = await runBookProgram(book, program, options.numbers, workers)
  for (const line of run.lines) say(line)
  say('')
  return run
}

/**
 * Each mode in turn, and with the book's programs, its twin right after it: on a shared machine
 * the two of a pair meet much the same load.
 */
async function runAll (options: PrimesOptions, book: BookPrograms | null, workers: number, say: (line: string) => void): Promise<{ runs: PrimesRun[], python: PythonRun[] }> {
  const runs: PrimesRun[] = []
  const python: PythonRun[] = []
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
    const twin = book?.programs.find(program => program.mode === mode)
    if (book != null && twin !== undefined) python.push(await runPython(book, twin, options, workers, say))
  }
  return { runs, python }
}

/** With --with-python: the book's programs beside ours, or why they did not run. */
type PythonSide = { book: BookPrograms, rows: SideBySide[] } | { skipped: string } | null

function pythonSection (python: PythonSide, count: number): string[] {
  if (python === null) return []
  if ('skipped' in python) return [`The book's Python programs: skipped, ${python.skipped}.`, '']
  return [...pythonTable(python.rows, python.book, count), '']
}

function answersLine (answers: Answers, count: number): string {
  const book = answers.bookAgrees === null ? '' : answers.bookAgrees ? ', and with the book\'s PRIME_FIXTURE' : ', but NOT with the book\'s PRIME_FIXTURE'
  const modes = answers.modesDiffer === null ? `every mode agrees${book}` : `the modes DIFFER (${answers.modesDiffer})`
  return `Answers: ${answers.primes} primes of ${count}; ${modes}`
}

function textReport (modes: readonly ModeFigures[], answers: Answers, python: PythonSide, count: number, cores: number, wide: boolean): string {
  // The tables as they are; the prose wrapped at 80 columns, for a projector.
  return [summaryTable(modes, wide), '', prose(LEGEND), '', prose([workLine(modes, cores), answersLine(answers, count)]), '', prose(lessonNotes(modes)), '', ...pythonSection(python, count)].join('\n')
}

function jsonReport (options: PrimesOptions, workers: number, cores: number, modes: readonly ModeFigures[], answers: Answers, python: PythonSide): string {
  return JSON.stringify({
    schemaVersion: PRIMES_SCHEMA_VERSION,
    command: ['npm run primes --', ...process.argv.slice(2)].join(' '),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cores,
    workers,
    numbers: { source: options.bookNumbers ? 'book' : 'given', values: options.numbers },
    answers,
    modes,
    python: python === null || 'skipped' in python ? python : { version: python.book.version, dir: python.book.dir, programs: python.rows }
  }, null, 2) + '\n'
}

async function main (): Promise<void> {
  ignoreClosedPipes()
  const options = parsedOrExit(PROGRAM, () => parsePrimesArgs(process.argv.slice(2)))
  if (answeredHelpOrVersion(PRIMES_COMMAND, options)) return
  const cores = availableParallelism()
  const dir = options.withPython
  const book = dir === null ? null : parsedOrExit(PROGRAM, () => findBookPrograms(dir, options.modes))
  const workers = options.workers ?? Math.min(cores, options.numbers.length)
  const say = options.json ? () => {} : (line: string) => { process.stdout.write(line + '\n') }
  for (const line of header(options, cores, workers)) say(line)

  const { runs, python: pythonRuns } = await runAll(options, typeof book === 'string' ? null : book, workers, say)
  const python: PythonSide = book === null ? null : typeof book === 'string' ? { skipped: book } : { book, rows: sideBySide(runs, pythonRuns) }
  const modes = figuresOf(runs, cores)
  const answers = answersOf(runs, options.bookNumbers ? bookAnswer : null)
  process.stdout.write(options.json ? jsonReport(options, workers, cores, modes, answers, python) : textReport(modes, answers, python, options.numbers.length, cores, options.wide))
  if (answers.modesDiffer !== null || answers.bookAgrees === false) {
    exitWith(PROGRAM, answers.modesDiffer === null ? 'the answers differ from the book\'s PRIME_FIXTURE' : `the modes' answers differ: ${answers.modesDiffer}`, EXIT.failed)
  }
  const pythonDiffers = python !== null && 'rows' in python ? python.rows.find(row => !row.agrees) : undefined
  if (pythonDiffers !== undefined) exitWith(PROGRAM, `${pythonDiffers.program} checked other numbers or gave other answers than ours`, EXIT.failed)
}

main().catch((error: Error) => exitWith(PROGRAM, error.message.split('\n', 1)[0] ?? 'failed', EXIT.failed))
