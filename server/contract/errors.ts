// Every error either side reports to a person, with one code prefix (as fastify's lib/errors.js):
// the server answers a bad admin field or override with these messages, a command prints them
// (../command-line/exit.ts). Messages are one line: they name the option or path and say what
// is accepted.

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

/**
 * Echoed text is cut to this: a 1 MiB admin value made a 1 MiB 400. Long enough for a path a
 * person typed (a tap fixture's folder is 170 characters) to be shown whole.
 */
const ECHO_CHARS = 300

function echoed (text: string): string {
  return text.length <= ECHO_CHARS ? text : `${text.slice(0, ECHO_CHARS)}… (${text.length} characters)`
}

/** A value that fails an option's rule. `option` is spelt as the source spells it (--latency, FLAGS_LATENCY, latency). */
export function invalidOption (option: string, value: unknown, accepted: string): FlagsError {
  return new FlagsError('FLAGS_ERR_INVALID_OPTION', `${echoed(option)}: invalid value ${echoed(JSON.stringify(value) ?? String(value))}; accepted: ${accepted}`)
}

export function unknownOption (option: string, known: readonly string[]): FlagsError {
  return new FlagsError('FLAGS_ERR_UNKNOWN_OPTION', `unknown option ${echoed(option)}; accepted: ${known.join(', ')}`)
}

export function usageError (message: string): FlagsError {
  return new FlagsError('FLAGS_ERR_USAGE', message)
}
