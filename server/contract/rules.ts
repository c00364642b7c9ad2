// How one injection option is read, written back and explained: the pieces the injection's
// options (injection.ts) and the fault kinds' options (faults.ts) are built from.

import { DURATION_ACCEPTED, formatDuration, parseDuration } from './duration.js'

/** One injection option: parsed at every edge, written back to text for the wire and reports, explained in help. */
export interface Rule<T> {
  /** What the option takes, for the one-line error: "a number from 0 to 1, e.g. 0.25". */
  accepted: string
  /** The placeholder help shows after the option's name: RATE, DURATION, N. */
  metavar: string
  /** The option's help line, beside `--name VALUE`. */
  help: string
  default: T
  /** undefined when the text is not a valid value. */
  parse: (text: string) => T | undefined
  // A method, not a property: a Rule<number> then stands where any rule is listed (Rule<unknown>).
  format (value: T): string
}

/** The value an option's rule parses to. */
export type RuleValue<R> = R extends Rule<infer T> ? T : never

export const RATE_ACCEPTED = 'a number from 0 to 1, e.g. 0.25'

export function parseRate (text: string): number | undefined {
  if (!/^(0|1|0?\.\d+|[01](\.\d+)?)$/.test(text.trim())) return undefined
  const rate = Number(text)
  return rate >= 0 && rate <= 1 ? rate : undefined
}

/**
 * A number as plain decimals, never 1e-7 (String's form below 1e-6): what parseRate and the
 * latency's sigma take back, so that a value the server shows or sends parses again.
 */
export function formatDecimal (n: number): string {
  const [mantissa = '', exponent] = String(n).split('e')
  if (exponent === undefined) return mantissa
  const fractionDigits = (mantissa.split('.')[1] ?? '').length - Number(exponent)
  return n.toFixed(Math.min(100, Math.max(0, fractionDigits)))
}

/** A fault kind's rate: 0 (the default) to 1. */
export function rateRule (help: string): Rule<number> {
  return { accepted: RATE_ACCEPTED, metavar: 'RATE', help, default: 0, parse: parseRate, format: formatDecimal }
}

/** One day: a bound on every duration option, so a typo cannot hold sockets for a year. */
export const MAX_DURATION_MS = 86_400_000

export function durationRule (help: string, defaultMs: number): Rule<number> {
  return {
    accepted: `${DURATION_ACCEPTED}, at most ${formatDuration(MAX_DURATION_MS)}`,
    metavar: 'DURATION',
    help,
    default: defaultMs,
    parse: text => {
      const ms = parseDuration(text)
      return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined
    },
    format: formatDuration
  }
}
