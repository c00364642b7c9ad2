// --timeline: each mode's requests as bars on one line each, so the staircase of sequential
// and the overlap of the others show in a terminal. '-' is the injected delay, '=' the rest of
// the request; an error ends in 'x', a 404 in '?'.

import type { ModeFigures, RequestFigure } from '../core/figures.js'
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

export function timeline (mode: ModeFigures): string {
  const span = Math.max(1, ...mode.requests.map(r => r.endMs))
  const scale = WIDTH / span
  const rows = mode.requests.slice(0, MAX_ROWS).map(r => `${r.cc} |${bar(r, scale)}|`)
  const more = mode.requests.length - rows.length
  return [
    `${mode.mode} (0 to ${seconds(span)}, one column = ${(span / WIDTH).toFixed(1)}ms):`,
    ...rows,
    ...(more > 0 ? [`   (${more} more requests not drawn)`] : [])
  ].join('\n')
}
