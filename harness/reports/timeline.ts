// --timeline: each mode's requests as bars on one line each, so the staircase of sequential
// and the overlap of the others show in a terminal. '-' is the injected delay, '=' the rest of
// the request; an error ends in 'x', a 404 in '?'.

import type { ModeFigures, RequestFigure } from '../core/figures.js'
import { TEXT_WIDTH, wrap } from '../../server/contract/text.js'
import { seconds } from './format.js'

const WIDTH = 60
/** More rows than this would scroll away; the rest are counted, not drawn. */
const MAX_ROWS = 40

function bar (request: RequestFigure, scale: number): string {
  const start = Math.min(WIDTH - 1, Math.floor(request.startMs * scale))
  const end = Math.max(start + 1, Math.min(WIDTH, Math.ceil(request.endMs * scale)))
  const delayEnd = Math.min(end, start + Math.round((request.injectedDelayMs ?? 0) * scale))
  const cells = Array.from({ length: WIDTH }, (_, i): string => i < start || i >= end ? ' ' : i < delayEnd ? '-' : '=')
  if (request.outcome !== 'ok') cells[end - 1] = request.outcome === 'error' ? 'x' : '?'
  return cells.join('')
}

/** What the bars' characters mean, once above them. */
const LEGEND = "Timeline: a row per request, from the run's start; '-' the delay the server injected, '=' the rest (the body, the client's work), 'x' an error, '?' a 404."

function timeline (mode: ModeFigures, span: number): string {
  const scale = WIDTH / span
  const rows = mode.requests.slice(0, MAX_ROWS).map(r => `${r.cc} |${bar(r, scale)}|`)
  const more = mode.requests.length - rows.length
  return [
    `${mode.mode} (${seconds(Math.max(0, ...mode.requests.map(r => r.endMs)))}):`,
    ...rows,
    ...(more > 0 ? [`   (${more} more requests not drawn)`] : [])
  ].join('\n')
}

/**
 * Every mode's bars on one time scale, the longest run's: sequential's staircase spans the
 * width and a concurrent mode's requests end a few columns in, so the speed-up shows as it is.
 */
export function timelines (modes: readonly ModeFigures[], width = TEXT_WIDTH): string {
  const span = Math.max(1, ...modes.flatMap(m => m.requests.map(r => r.endMs)))
  const scale = `One time scale for every mode: 0 to ${seconds(span)}, one column = ${(span / WIDTH).toFixed(1)}ms.`
  return [...wrap(LEGEND, width, '  '), ...wrap(scale, width, '  '), ...modes.map(m => `\n${timeline(m, span)}`)].join('\n')
}
