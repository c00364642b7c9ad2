// --with-python DIR: the book's own Python programs, run by python3 on this machine with the
// numbers checked here, their output read back line by line.
//
// Each program runs unchanged, copied into a folder of its own beside a primes.py that runs the
// book's primes.py and then sets NUMBERS: the programs import NUMBERS from there, and a copy in
// a folder of its own (not a `python3 -c` wrapper) keeps a spawned child's imports working.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, rmSync, statSync } from 'node:fs'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { interruptedExit } from '../../server/command-line/exit.js'
import { invalidOption } from '../../server/contract/errors.js'
import { BOOK_PROGRAMS, type PrimesMode } from './modes.js'

const PYTHON = 'python3'

export interface BookProgram {
  mode: PrimesMode
  /** The program's path in the book's folder, as BOOK_PROGRAMS has it. */
  program: string
}

export interface BookPrograms {
  dir: string
  /** What `python3 --version` says. */
  version: string
  programs: BookProgram[]
}

interface PythonCheck {
  n: string
  prime: boolean
  ms: number
}

export interface PythonRun extends BookProgram {
  /** The figure of its closing line, `Total time: …s` or `N checks in …s`, to its 10 ms. */
  totalMs: number
  checks: PythonCheck[]
  /** Its output as it printed it. */
  lines: string[]
}

const ACCEPTED = 'the book\'s example-code-2e folder, with 19-concurrency/primes/ and 20-executors/primes/'

/**
 * The book's programs for the modes that have one, or why they cannot run: the reason when
 * DIR or python3 is missing, which skips them; a DIR that is there but not the book's folder
 * is bad input (a FlagsError).
 */
export function findBookPrograms (dir: string, modes: readonly PrimesMode[]): BookPrograms | string {
  if (!existsSync(dir)) return `${dir} does not exist`
  const programs = modes.flatMap(mode => {
    const program = BOOK_PROGRAMS[mode]
    return program === null ? [] : [{ mode, program }]
  })
  const needed = programs.flatMap(({ program }) => [program, join(dirname(program), 'primes.py')])
  if (!statSync(dir).isDirectory() || needed.some(path => !existsSync(join(dir, path)))) throw invalidOption('--with-python', dir, ACCEPTED)
  if (programs.length === 0) return `no mode asked for has a twin among the book's programs (${modes.join(', ')})`
  const asked = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' })
  if (asked.error !== undefined || asked.status !== 0) return `${PYTHON} not found on PATH`
  return { dir: resolve(dir), version: (asked.stdout || asked.stderr).trim(), programs }
}

/** The book's line, f'{n:16}  {label} {elapsed:9.6f}s', read back. */
const CHECK_LINE = /^ *(\d+) {2}([P ]) +(\d+\.\d+)s$/
const CLOSING_LINE = /^(?:Total time: |\d+ checks in )(\d+\.\d+)s$/

/** What a program printed: its checks and its closing line's figure; null when it has no closing line. */
export function readBookOutput (lines: readonly string[]): { totalMs: number, checks: PythonCheck[] } | null {
  const checks = lines.flatMap(line => {
    const match = CHECK_LINE.exec(line)
    return match === null ? [] : [{ n: match[1] ?? '', prime: match[2] === 'P', ms: Number(match[3]) * 1000 }]
  })
  const total = lines.map(line => CLOSING_LINE.exec(line)).find(match => match !== null)
  return total == null ? null : { totalMs: Number(total[1]) * 1000, checks }
}

/** The primes.py the copied program imports: the book's, then NUMBERS set to ours. */
function primesShim (bookPrimes: string, numbers: readonly string[]): string {
  // A JSON string is a Python string literal too.
  const path = JSON.stringify(bookPrimes)
  return [
    '# Written by npm run primes: the book\'s primes.py as it is, then NUMBERS set to the numbers checked there.',
    `exec(compile(open(${path}, encoding='utf-8').read(), ${path}, 'exec'))`,
    `NUMBERS = [${numbers.join(', ')}]`,
    ''
  ].join('\n')
}

/**
 * Runs `command` in a process group of its own, so that Ctrl-C or SIGTERM here ends it and the
 * processes it started (procs.py's, the pool's) at once, `folder` removed, rather than leave them
 * to run on for seconds after we are gone.
 */
async function output (command: string, args: string[], folder: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const stop = (signal: NodeJS.Signals): void => {
      // Between its exit and 'close', the group may be gone already.
      try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL') } catch {}
      rmSync(folder, { recursive: true, force: true })
      process.exit(interruptedExit(signal))
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('close', code => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs one of the book's programs on `numbers`, the pools' programs given `workers` as their argument, as the book's take it. */
export async function runBookProgram (book: BookPrograms, { mode, program }: BookProgram, numbers: readonly string[], workers: number): Promise<PythonRun> {
  const folder = await mkdtemp(join(tmpdir(), 'flag-primes-'))
  try {
    await copyFile(join(book.dir, program), join(folder, basename(program)))
    await writeFile(join(folder, 'primes.py'), primesShim(join(book.dir, dirname(program), 'primes.py'), numbers))
    const args = mode === 'sequential' ? [] : [String(workers)]
    const ran = await output(PYTHON, [basename(program), ...args], folder)
    const lines = ran.stdout.split('\n').filter(line => line !== '')
    const read = readBookOutput(lines)
    if (ran.code !== 0 || read === null) {
      const why = ran.stderr.trim().split('\n').at(-1) ?? ''
      throw new Error(`${PYTHON} ${program} ${ran.code !== 0 ? `exited with ${ran.code}` : 'printed no closing line'}${why === '' ? '' : `: ${why}`}`)
    }
    return { mode, program, ...read, lines }
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}
