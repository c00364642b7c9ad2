// CSV as the class's notebooks read it (RFC 4180, what pandas.read_csv expects): the harness's
// --csv and the server's --record write their rows through this one function, so that a figure
// can be redone from either side with the same five lines of pandas (docs/LESSON.md).

type CsvCell = string | number | null

/** A cell quoted only when it must be: a comma, a quote or a line break in it; null is empty. */
function cell (value: CsvCell): string {
  if (value === null) return ''
  const text = typeof value === 'number' ? String(Number(value.toFixed(3))) : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One line of CSV, with its line ending. */
export function csvLine (cells: readonly CsvCell[]): string {
  return `${cells.map(cell).join(',')}\n`
}

/**
 * The columns every request row has, the harness's (--csv) and the server's (--record) alike:
 * its run, its place in the run, the path, the HTTP status (or, when none came, why: reset,
 * timeout...), the fault injected, the delay injected, start and end in ms from the run's start,
 * and the body's bytes.
 */
export const REQUEST_COLUMNS = ['run', 'index', 'path', 'status', 'fault', 'delay_ms', 'start_ms', 'end_ms', 'bytes'] as const
