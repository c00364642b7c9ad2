// A progress bar per mode, on a terminal only: as flags2 shows tqdm unless --verbose. Requests
// tick it in completion order, like as_completed.

import type { RequestRecord } from '../core/record.js'

export interface Progress {
  tick: (record: RequestRecord) => void
  done: () => void
}

const WIDTH = 30
/** Redraw at most this often: a 676-code run must not spend its time drawing. */
const REDRAW_MS = 50

export function progressBar (stream: NodeJS.WriteStream, label: string, total: number): Progress {
  let count = 0
  let drawnAt = 0
  const started = performance.now()
  const draw = (): void => {
    const filled = total === 0 ? WIDTH : Math.round(WIDTH * count / total)
    const elapsed = ((performance.now() - started) / 1000).toFixed(1)
    stream.write(`\r${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${count}/${total} ${elapsed}s`)
    drawnAt = performance.now()
  }
  draw()
  return {
    tick: () => {
      count++
      if (count === total || performance.now() - drawnAt >= REDRAW_MS) draw()
    },
    done: () => stream.write('\r\x1b[K')
  }
}

/** --verbose: one line per code, in the book's words (flags2: "BR OK", "not found: ..."). */
export function verboseLine (record: RequestRecord): string {
  if (record.outcome === 'ok') return `${record.cc} OK`
  if (record.outcome === 'not-found') return `${record.cc} not found`
  return `${record.cc} error: ${record.reason ?? 'unknown'}`
}

export const silentProgress: Progress = { tick: () => {}, done: () => {} }
