// --csv: every measured request as a row, for the class's own analysis in a notebook. The
// columns are the server's --record's (server/contract/csv.ts) after the mode and its
// concurrency: the same five lines of pandas plot either (docs/LESSON.md). Warm-up runs are
// left out as every figure leaves them out; --cold measures the first run.

import { csvLine, REQUEST_COLUMNS } from '../../server/contract/csv.js'
import type { ModeAt, RunInfo } from '../core/measure.js'
import type { ModeRun } from '../core/modes/mode.js'

const CSV_COLUMNS = ['mode', 'concurrency', ...REQUEST_COLUMNS] as const

export function csvHeader (): string {
  return csvLine(CSV_COLUMNS)
}

/**
 * A run's requests in the order they started (the records come in completion order), times in
 * ms from the run's start. `pathOf` gives a code's path on the server (/flags/br/br.gif).
 */
export function csvRows (at: ModeAt, info: RunInfo, run: ModeRun, pathOf: (cc: string) => string): string {
  if (info.warmup) return ''
  const started = [...run.records].sort((a, b) => a.startMs - b.startMs)
  return started.map((record, index) => csvLine([
    at.mode, at.concurrency, info.index + 1, index, pathOf(record.cc), record.status ?? record.reason, record.fault,
    record.injectedDelayMs, record.startMs - run.startMs, record.endMs - run.startMs, record.bytes
  ])).join('')
}
