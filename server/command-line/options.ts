// A command's options, declared once (one spec per option): the parser here, the --help
// (help.ts) and the error messages all read the same declarations. node:util parseArgs parses;
// its errors are said again in the one-line form, a mistyped option with the nearest one.

import { parseArgs } from 'node:util'
import { usageError, type FlagsError } from '../contract/errors.js'

export interface OptionSpec {
  /** The long name, as typed after the dashes: max-req. */
  name: string
  /** One letter, typed after one dash: m. */
  short?: string
  /** boolean: a switch, given or not; string: takes a value (with `multiple`, once per use). */
  type: 'boolean' | 'string'
  multiple?: boolean
  /** What the value is, in --help: N, DURATION, on|off. */
  metavar?: string
  /** One line (wrapped as needed) saying what it does. */
  help: string
  /** The default as --help writes it; left out when the help line says it. */
  default?: string
  /** The environment variable read when the option is not given. */
  env?: string
}

/** A positional argument, as --help lists it: CC ... */
interface ArgumentSpec { argument: string, help: string }

export type HelpRow = OptionSpec | ArgumentSpec

export interface OptionGroup {
  heading: string
  rows: readonly HelpRow[]
  /** One row for all of the group's options with this help line, instead of a row each. */
  together?: string
  /** Lines after the rows. */
  note?: string
}

/** Everything a command's line and its --help are made from. */
export interface CommandLine {
  /** How its error lines start: flag-harness. */
  program: string
  /** What follows "Usage: ". */
  usage: string
  /** Before the options. */
  about: string
  groups: readonly OptionGroup[]
  /** After the options: the exit codes. */
  closing: string
  /** What follows `unexpected argument "x"` when a command that takes no arguments is given one. */
  noArguments?: string
}

export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', help: 'print this help and exit' }
export const VERSION_OPTION: OptionSpec = { name: 'version', type: 'boolean', help: 'print the version and exit' }

export function isOption (row: HelpRow): row is OptionSpec {
  return 'name' in row
}

/** --max-req N, -m, --max-req N: how an option is written in --help. */
export function optionLabel (spec: OptionSpec): string {
  const long = `--${spec.name}${spec.metavar === undefined ? '' : ` ${spec.metavar}`}`
  return spec.short === undefined ? long : `-${spec.short}, ${long}`
}

/** What a command line gave, read by option name (a name not declared is a bug here, so it throws). */
interface GivenOptions {
  positionals: string[]
  /** A value option's text; undefined when not given. */
  text: (name: string) => string | undefined
  /** Every text of a multiple option, in order. */
  texts: (name: string) => string[]
  /** A switch: true when given. */
  on: (name: string) => boolean
  /** The option's text, else its environment variable's (empty is unset), with how the source spells it. */
  textOrEnv: (name: string) => [text: string, spelt: string] | undefined
}

/**
 * Parse `argv` by the command's declarations, or throw a FlagsError in one line: an unknown
 * option (with the nearest one, when one is near), a value missing or not taken, an argument
 * given to a command that takes none.
 */
export function readCommandLine (command: CommandLine, argv: readonly string[], env: NodeJS.ProcessEnv = {}): GivenOptions {
  const specs = command.groups.flatMap(group => group.rows.filter(isOption))
  const declared = Object.fromEntries(specs.map(spec => [spec.name, {
    type: spec.type,
    ...(spec.short === undefined ? {} : { short: spec.short }),
    ...(spec.multiple === true ? { multiple: true } : {})
  }]))
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>
  let positionals: string[]
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: declared, allowPositionals: true, strict: true }))
  } catch (error) {
    throw parseArgsError(error, specs.map(spec => `--${spec.name}`))
  }
  const takesArguments = command.groups.some(group => group.rows.some(row => !isOption(row)))
  if (!takesArguments && positionals.length > 0) {
    throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}${command.noArguments ?? '; options only (see --help)'}`)
  }
  const byName = new Map(specs.map(spec => [spec.name, spec]))
  const spec = (name: string): OptionSpec => {
    const found = byName.get(name)
    if (found === undefined) throw new Error(`${command.program}: no option --${name} is declared`)
    return found
  }
  const text = (name: string): string | undefined => {
    const value = values[spec(name).name]
    return typeof value === 'string' ? value : undefined
  }
  return {
    positionals,
    text,
    texts: name => {
      const value = values[spec(name).name]
      return Array.isArray(value) ? value.map(String) : []
    },
    on: name => values[spec(name).name] === true,
    textOrEnv: name => {
      const given = text(name)
      if (given !== undefined) return [given, `--${name}`]
      const variable = spec(name).env
      const fromEnv = variable === undefined ? undefined : env[variable]
      return variable === undefined || fromEnv === undefined || fromEnv === '' ? undefined : [fromEnv, variable]
    }
  }
}

/** node:util parseArgs throws multi-part messages; say the same in our one-line form. */
function parseArgsError (error: unknown, known: readonly string[]): FlagsError {
  const message = error instanceof Error ? error.message : String(error)
  // "Option '-m, --max-req <value>' argument missing": name the long form.
  const option = /'(?:-\w, )?(--?[^' ,]+)/.exec(message)?.[1] ?? 'option'
  if (/argument missing/.test(message)) return usageError(`${option}: needs a value`)
  if (/argument is ambiguous/.test(message)) return usageError(`${option}: needs a value; for one that starts with a dash, write ${option}=VALUE`)
  if (/does not take an argument/.test(message)) return usageError(`${option}: takes no value`)
  const near = nearestOption(option, known)
  return usageError(near === undefined ? `${option}: unknown option; accepted: ${known.join(', ')}` : `${option}: unknown option; did you mean ${near}?`)
}

/**
 * The known option a typo most likely meant: the fewest edits away, and few enough for the
 * name's length (one for up to five letters, two for up to eight...), else undefined: --nope
 * is not a typo of --mode.
 */
function nearestOption (typed: string, known: readonly string[]): string | undefined {
  if (!typed.startsWith('--')) return undefined
  const word = typed.slice(2)
  const allowed = Math.max(1, Math.floor(word.length / 3))
  let best: { option: string, edits: number } | undefined
  for (const option of known) {
    const edits = editDistance(word, option.replace(/^--/, ''))
    if (edits <= allowed && (best === undefined || edits < best.edits)) best = { option, edits }
  }
  return best?.option
}

/** Edits from a to b: a letter inserted, deleted or replaced, or two neighbours swapped (latnecy). */
function editDistance (a: string, b: string): number {
  const width = b.length + 1
  const d = new Array<number>((a.length + 1) * width).fill(0)
  const at = (i: number, j: number): number => d[i * width + j] ?? 0
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        d[i * width + j] = i + j
        continue
      }
      const replace = at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1)
      let edits = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, replace)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) edits = Math.min(edits, at(i - 2, j - 2) + 1)
      d[i * width + j] = edits
    }
  }
  return at(a.length, b.length)
}
