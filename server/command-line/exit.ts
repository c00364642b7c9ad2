// How every command leaves: its exit codes, and one line on stderr naming what went wrong.

import { FlagsError } from '../contract/errors.js'
import { wrap } from '../contract/text.js'
import { helpWidth } from './help.js'

/**
 * Every command's exit codes: the run completed, it failed (a server unreachable or lost), bad
 * input, an --expect threshold missed, interrupted (SIGINT, Ctrl-C: 128 + 2), terminated
 * (SIGTERM: 128 + 15, as a shell reports a process the signal killed).
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, missed: 3, interrupted: 130, terminated: 143 })

/** The exit code of a run cut short by `signal`: 143 for SIGTERM, 130 for SIGINT (and any other). */
export function interruptedExit (signal: NodeJS.Signals | null | undefined): number {
  return signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted
}

/**
 * A command's one line on stderr, `program: message`, then its exit code. On a terminal (a
 * projector) the line is wrapped at words to its width, 80 columns at least, the rest indented;
 * to a pipe or a file it stays one line, for grep and for the tests.
 */
export function exitWith (program: string, message: string, code: number): never {
  const line = `${program}: ${message}`
  process.stderr.write(`${(process.stderr.isTTY ? wrap(line, helpWidth(process.stderr), '  ') : [line]).join('\n')}\n`)
  process.exit(code)
}

/** What every command line here does with bad input: parse, or say what is wrong in one line and exit 2. */
export function parsedOrExit<T> (program: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof FlagsError) exitWith(program, error.message, EXIT.usage)
    throw error
  }
}
