// Every error a command reports to a person, with one code prefix (as fastify's lib/errors.js),
// and the one way every command leaves. Messages are one line: they name the option or path
// and say what is accepted.

export type ServerErrorCode =
  | 'FLAGS_ERR_INVALID_OPTION'
  | 'FLAGS_ERR_UNKNOWN_OPTION'
  | 'FLAGS_ERR_USAGE'
  | 'FLAGS_ERR_FLAGS_DIR'

export class FlagsError extends Error {
  readonly code: ServerErrorCode

  constructor (code: ServerErrorCode, message: string) {
    super(message)
    this.name = 'FlagsError'
    this.code = code
  }
}

/** A value that fails an option's rule. `option` is spelt as the source spells it (--latency, FLAGS_LATENCY, latency). */
export function invalidOption (option: string, value: unknown, accepted: string): FlagsError {
  return new FlagsError('FLAGS_ERR_INVALID_OPTION', `${option}: invalid value ${JSON.stringify(value)}; accepted: ${accepted}`)
}

export function unknownOption (option: string, known: readonly string[]): FlagsError {
  return new FlagsError('FLAGS_ERR_UNKNOWN_OPTION', `unknown option ${option}; accepted: ${known.join(', ')}`)
}

export function usageError (message: string): FlagsError {
  return new FlagsError('FLAGS_ERR_USAGE', message)
}

/** node:util parseArgs throws multi-part messages; say the same in our one-line form. */
export function parseArgsError (error: unknown, known: readonly string[]): FlagsError {
  const message = error instanceof Error ? error.message : String(error)
  // "Option '-m, --max-req <value>' argument missing": name the long form.
  const option = /'(?:-\w, )?(--?[^' ,]+)/.exec(message)?.[1] ?? 'option'
  if (/argument missing/.test(message)) return usageError(`${option}: needs a value`)
  if (/argument is ambiguous/.test(message)) return usageError(`${option}: needs a value; for one that starts with a dash, write ${option}=VALUE`)
  if (/does not take an argument/.test(message)) return usageError(`${option}: takes no value`)
  return usageError(`${option}: unknown option; accepted: ${known.join(', ')}`)
}

/** A command's one line on stderr, `program: message`, then its exit code. */
export function exitWith (program: string, message: string, code: number): never {
  process.stderr.write(`${program}: ${message}\n`)
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
 * SIGINT and SIGTERM: the first calls `stop` (finish or cut what runs, report what was
 * measured); a second one quits at once, after `quit` (stop a child server, say), with 130.
 * A command started with an IPC channel (the embedded server of the harness, the race, the load
 * tool and the benches) is stopped as by SIGTERM when that channel closes, or at once if it has
 * closed already: its parent is gone, however it ended — a SIGKILL runs no handler in the
 * parent, and nothing else would tell the child, which would run on for good. A command started by hand has no channel, and no such end.
 */
export function onInterrupt (stop: (signal: NodeJS.Signals) => void, quit: () => Promise<void> = async () => {}): void {
  let interrupted = false
  const handle = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      quit().finally(() => process.exit(EXIT.interrupted))
      return
    }
    interrupted = true
    stop(signal)
  }
  process.on('SIGINT', handle)
  process.on('SIGTERM', handle)
  // process.send stays defined once the channel has closed; `connected` says whether it has,
  // maybe while the program was starting, before this listener could hear of it.
  if (process.send === undefined) return
  // The listener refs the channel; unref'd again, it keeps no finished program alive.
  if (process.connected) {
    process.once('disconnect', () => handle('SIGTERM'))
    process.channel?.unref()
  } else {
    handle('SIGTERM')
  }
}
