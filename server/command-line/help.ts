// A command's --help, made from its declarations (options.ts) and wrapped at words: to 80
// columns (a projector, a pipe, a file), or to the terminal's width when stdout is a wider one.

import { TEXT_WIDTH, wrap } from '../contract/text.js'
import { isOption, optionLabel, type CommandLine, type HelpRow, type OptionGroup, type OptionSpec } from './options.js'

/** A label longer than this puts its help line on the next line, so one long label leaves the column where the others need it. */
const MAX_LABEL = 22

export function helpWidth (stdout: { isTTY?: boolean, columns?: number } = process.stdout): number {
  return stdout.isTTY === true && (stdout.columns ?? 0) > TEXT_WIDTH ? stdout.columns ?? TEXT_WIDTH : TEXT_WIDTH
}

/**
 * Text written one line per sentence or list item, each wrapped on its own: an indented line
 * whose term is followed by two spaces or more ("  sequential   one after another") continues
 * under its description, any other under its own start.
 */
function wrapText (text: string, width: number): string[] {
  return text.split('\n').flatMap(line => {
    const term = /^(\s+\S.*?\s{2,})\S/.exec(line)?.[1]
    return wrap(line, width, ' '.repeat(term?.length ?? /^\s*/.exec(line)?.[0].length ?? 0))
  })
}

function describe (spec: OptionSpec): string {
  const said = [spec.env, spec.default === undefined ? undefined : `default ${spec.default}`].filter(part => part !== undefined)
  return said.length === 0 ? spec.help : `${spec.help} (${said.join('; ')})`
}

const labelOf = (row: HelpRow): string => isOption(row) ? optionLabel(row) : row.argument

/** A row: the label, then its help line from `column` on (on the next line when the label is too long). */
function row (label: string, help: string, column: number, width: number): string[] {
  const hang = ' '.repeat(column)
  if (label.length + 4 > column) return [`  ${label}`, ...wrap(`${hang}${help}`, width, hang)]
  return wrap(`  ${label.padEnd(column - 2)}${help}`, width, hang)
}

function groupLines (group: OptionGroup, column: number, width: number): string[] {
  const rows = group.together === undefined
    ? group.rows.flatMap(r => row(labelOf(r), isOption(r) ? describe(r) : r.help, column, width))
    : [...wrap(`  ${group.rows.map(labelOf).join(', ')}`, width, '  '), ...wrap(`${' '.repeat(column)}${group.together}`, width, ' '.repeat(column))]
  return [`${group.heading}:`, ...rows, ...(group.note === undefined ? [] : wrapText(group.note.replace(/^/gm, '  '), width))]
}

/** The whole --help: usage, about, each group of options under its heading, the closing (the exit codes). */
export function helpText (command: CommandLine, width = TEXT_WIDTH): string {
  const labels = command.groups.filter(group => group.together === undefined).flatMap(group => group.rows.map(labelOf))
  const column = Math.max(...labels.map(label => label.length).filter(length => length <= MAX_LABEL)) + 4
  const sections = [
    [`Usage: ${command.usage}`],
    wrapText(command.about, width),
    ...command.groups.map(group => groupLines(group, column, width)),
    wrapText(command.closing, width)
  ]
  return `${sections.map(lines => lines.join('\n')).join('\n\n')}\n`
}
