// How the reports write numbers and plain-text tables.

import { TEXT_WIDTH, wrap } from '../../server/contract/text.js'

/** Plain aligned columns: first column left, the rest right, as numbers read best. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`
}

export function millis (ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`
}

/** A figure that may be unknown: '-' for null, as the tables show an absent figure. */
export function known<T> (value: T | null, text: (value: T) => string): string {
  return value === null ? '-' : text(value)
}

/** A ratio or a share from 0 to 1, two decimals. */
export const ratio = (value: number): string => value.toFixed(2)

/** Lines of prose wrapped at words to `width`, each continued two spaces further in than it starts (a table is not prose: never passed here). */
export function prose (lines: readonly string[], width = TEXT_WIDTH): string {
  return lines.flatMap(line => wrap(line, width, `${/^\s*/.exec(line)?.[0] ?? ''}  `)).join('\n')
}
