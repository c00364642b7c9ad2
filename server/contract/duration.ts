// Durations as people type them: 200ms, 1.5s, 2s, 1m. A bare number is refused on purpose:
// "200" could mean seconds (the book's slow server) or milliseconds (most tools).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m)$/

export const DURATION_ACCEPTED = 'a duration with a unit, e.g. 200ms, 1.5s, 2s'

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration (text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  if (match === null) return undefined
  const [, amount = '', unit = ''] = match
  const ms = Number(amount) * (UNIT_MS[unit] ?? Number.NaN)
  return Number.isFinite(ms) ? ms : undefined
}

/** The shortest exact spelling: 200ms, 1.5s, 30s. */
export function formatDuration (ms: number): string {
  if (ms >= 1000 && Number.isInteger(ms / 100)) return `${ms / 1000}s`
  return `${Number(ms.toFixed(3))}ms`
}
