// The report's charts, each a pure function of the figures: a request timeline and the event
// loop's delay per mode, elapsed against ideal across modes, and the sweep's curve.

import type { ModeFigures, RequestFigure } from '../core/figures.js'
import type { LoopSample } from '../core/loop-monitor.js'
import { MODES, SWEPT_MODES } from '../core/modes/registry.js'
import type { Sweep, SweepPoint } from '../core/sweep.js'
import { millis, ratio, seconds } from './format.js'
import { axis, boxSwatch, escapeHtml as esc, frame, frameAround, legend, lineSwatch, linearScale, linearTicks, logScale, px, svg, timeTicks, type Frame, type LegendItem, type Scale } from './svg.js'

// Paul Tol's colour-blind-safe palettes (personal.sron.nl/~pault): dark for the injected
// delay, light for the rest of the request, so outcome and wait read apart.
const OUTCOME_STYLE: Record<RequestFigure['outcome'], { wait: string, rest: string, label: string }> = {
  ok: { wait: '#004488', rest: '#99BBE6', label: 'ok' },
  'not-found': { wait: '#997700', rest: '#EECC66', label: 'not found' },
  error: { wait: '#994455', rest: '#EE99AA', label: 'error' }
}
const ERROR_MARK = '#AA0022'
const LOOP_COLOUR = '#AA3377'
/** An ideal drawn beside a measured curve, dashed: Little's law's speedup, or a server that keeps up. */
export const IDEAL_COLOUR = '#555555'
const ELAPSED_BAR = OUTCOME_STYLE.ok.wait
const IDEAL_BAR = OUTCOME_STYLE.ok.rest

/**
 * Both time charts of a mode share width and margins, so the loop's delay sits under the
 * requests it delayed, tick for tick.
 */
const TIME_WIDTH = 960
const TIME_MARGINS = { left: 64, right: 28 }

/** The mode's time axis: its elapsed time, stretched to whatever ran past it (a request, the last loop sample). */
export function modeSpanMs (m: ModeFigures): number {
  let span = Math.max(m.elapsedMs, 1)
  for (const request of m.requests) span = Math.max(span, request.endMs)
  for (const sample of m.loopSamples) span = Math.max(span, sample.tMs)
  return span
}

function timeAxis (f: Frame, spanMs: number, x: Scale): string {
  const { ticks, unit } = timeTicks(spanMs, x)
  return axis(f, 'bottom', ticks, `time since the mode started (${unit}); full width ${seconds(spanMs)}`)
}

function requestTitle (r: RequestFigure): string {
  const what = r.outcome === 'error' ? `error ${r.reason ?? 'unknown'}${r.status === null ? '' : ` (HTTP ${r.status})`}` : OUTCOME_STYLE[r.outcome].label
  const injected = r.injectedDelayMs === null ? 'no injected delay reported' : `injected delay ${millis(r.injectedDelayMs)}`
  return `${r.cc}: ${what}; ${millis(r.startMs)} to ${millis(r.endMs)} (${millis(r.endMs - r.startMs)}); ${injected}`
}

function errorMark (x: number, y: number, size: number): string {
  const h = size / 2
  return `<path class="mark" d="M${px(x - h)} ${px(y - h)}L${px(x + h)} ${px(y + h)}M${px(x - h)} ${px(y + h)}L${px(x + h)} ${px(y - h)}" stroke="${ERROR_MARK}" stroke-width="2"/>`
}

function requestBar (r: RequestFigure, x: Scale, y: number, height: number): string {
  const style = OUTCOME_STYLE[r.outcome]
  const start = x(r.startMs)
  // A request shorter than a pixel must still show.
  const end = Math.max(x(r.endMs), start + 1)
  const waitEnd = r.injectedDelayMs === null ? start : Math.min(end, x(r.startMs + r.injectedDelayMs))
  const parts = [`<title>${esc(requestTitle(r))}</title>`,
    `<rect x="${px(start)}" y="${px(y)}" width="${px(end - start)}" height="${px(height)}" fill="${style.rest}"/>`]
  if (waitEnd > start) parts.push(`<rect x="${px(start)}" y="${px(y)}" width="${px(waitEnd - start)}" height="${px(height)}" fill="${style.wait}"/>`)
  if (r.outcome === 'error') {
    const size = Math.max(3, Math.min(9, height))
    parts.push(errorMark(end + size / 2 + 3, y + height / 2, size))
  }
  // On rows squeezed under a few pixels, a dashed outline would only smudge the bar.
  if (r.outcome === 'not-found' && height >= 6) parts.push(`<rect x="${px(start)}" y="${px(y)}" width="${px(end - start)}" height="${px(height)}" fill="none" stroke="${style.wait}" stroke-dasharray="3 2"/>`)
  return `<g class="bar ${esc(r.outcome)}" data-cc="${esc(r.cc)}">${parts.join('')}</g>`
}

/** Dark then light, as a bar reads: the injected delay, then the rest of the request. */
const outcomeSwatch = (outcome: RequestFigure['outcome']) => (x: number, y: number): string =>
  `<rect x="${x}" y="${y - 6}" width="14" height="12" fill="${OUTCOME_STYLE[outcome].wait}"/>` +
  `<rect x="${x + 14}" y="${y - 6}" width="10" height="12" fill="${OUTCOME_STYLE[outcome].rest}"/>`

const TIMELINE_LEGEND: LegendItem[] = [
  { label: 'ok', swatch: outcomeSwatch('ok'), swatchWidth: 24 },
  { label: 'not found (404)', swatch: outcomeSwatch('not-found'), swatchWidth: 24 },
  { label: 'error (hover for the reason)', swatch: (x, y) => outcomeSwatch('error')(x, y) + errorMark(x + 32, y, 8), swatchWidth: 36 },
  { label: 'dark: the delay the server injected; light: the rest (network, client)', swatch: () => '', swatchWidth: 0 }
]

/** One row per request in dispatch order: a staircase for sequential, overlapping bars for the others. */
export function timelineChart (m: ModeFigures): string {
  const count = m.requests.length
  // 14 px rows for a short list; a long one (-e, 676 codes) is squeezed into 600 px rather than scrolled.
  const row = count === 0 ? 14 : Math.min(14, 600 / count)
  const f = frameAround(TIME_WIDTH, row * Math.max(count, 1), { top: 30, bottom: 48, ...TIME_MARGINS })
  const span = modeSpanMs(m)
  const x = linearScale(0, span, f.left, f.right)
  const rowTop = (i: number): number => f.top + i * row
  // Codes are legible down to 10 px rows; below that, the axis counts requests instead.
  const yTicks = row >= 10
    ? m.requests.map((r, i) => ({ at: rowTop(i) + row / 2, label: r.cc }))
    : linearTicks(count, 5, rowTop)
  return svg(f, `${m.mode}: request timeline`, ` class="timeline" data-mode="${esc(m.mode)}"`, [
    legend(f, TIMELINE_LEGEND),
    timeAxis(f, span, x),
    axis(f, 'left', yTicks, 'request, in dispatch order', false),
    ...m.requests.map((r, i) => requestBar(r, x, rowTop(i) + row * 0.12, row * 0.76))
  ])
}

/** Each sample is the worst delay since the one before: it holds over that interval, a step, not a point. */
function stepPath (samples: readonly LoopSample[], x: Scale, y: Scale): string {
  const first = samples[0]
  if (first === undefined) return ''
  return `M${px(x(first.tMs))} ${px(y(first.delayMaxMs))}` + samples.slice(1).map(s => `V${px(y(s.delayMaxMs))}H${px(x(s.tMs))}`).join('')
}

/** The loop charts share one delay scale, so a busy loop in one mode stands out against the others. */
export function loopScaleMs (modes: readonly ModeFigures[]): number {
  let max = 0
  for (const m of modes) {
    max = Math.max(max, m.eventLoop.delayP99Ms)
    for (const sample of m.loopSamples) max = Math.max(max, sample.delayMaxMs)
  }
  // A quiet loop (about 1 ms of timer slack) should look quiet, not fill the chart.
  return Math.max(5, max * 1.1)
}

export function loopChart (m: ModeFigures, maxDelayMs: number): string {
  const f = frame(TIME_WIDTH, 190, { top: 30, bottom: 48, ...TIME_MARGINS })
  const span = modeSpanMs(m)
  const x = linearScale(0, span, f.left, f.right)
  const y = linearScale(0, maxDelayMs, f.bottom, f.top)
  const line = stepPath(m.loopSamples, x, y)
  const p99 = px(y(m.eventLoop.delayP99Ms))
  return svg(f, `${m.mode}: event-loop delay over time`, ` class="loop" data-loop="${esc(m.mode)}"`, [
    legend(f, [
      { label: 'worst timer delay in each sample', swatch: lineSwatch(LOOP_COLOUR, false) },
      { label: `p99 over the run (${millis(m.eventLoop.delayP99Ms)})`, swatch: lineSwatch('#333333', true) }
    ]),
    timeAxis(f, span, x),
    axis(f, 'left', linearTicks(maxDelayMs, 4, y), 'delay (ms)'),
    line === '' ? '' : `<path d="${line}V${px(f.bottom)}H${px(x(m.loopSamples[0]?.tMs ?? 0))}Z" fill="${LOOP_COLOUR}" fill-opacity="0.15"/>`,
    `<path d="${line}" fill="none" stroke="${LOOP_COLOUR}" stroke-width="1.5"/>`,
    `<line x1="${f.left}" y1="${p99}" x2="${f.right}" y2="${p99}" stroke="#333333" stroke-width="1.5" stroke-dasharray="6 3"/>`
  ])
}

export function elapsedChart (modes: readonly ModeFigures[]): string {
  const band = 46
  const f = frameAround(TIME_WIDTH, modes.length * band, { top: 30, right: 230, bottom: 48, left: 120 })
  let max = 1
  for (const m of modes) max = Math.max(max, m.elapsedMs, m.idealMs ?? 0)
  const x = linearScale(0, max, f.left, f.right)
  const bars = modes.map((m, i) => {
    const top = f.top + i * band + 6
    const bar = (value: number, y: number, fill: string, text: string): string =>
      `<rect x="${f.left}" y="${y}" width="${px(x(value) - f.left)}" height="16" fill="${fill}"><title>${esc(`${m.mode} ${text}`)}</title></rect>` +
      `<text x="${px(x(value) + 6)}" y="${y + 8}" dy="0.35em">${esc(text)}</text>`
    return bar(m.elapsedMs, top, ELAPSED_BAR, `elapsed ${seconds(m.elapsedMs)}`) +
      (m.idealMs === null || m.efficiency === null
        ? `<text x="${f.left + 6}" y="${top + 26}" dy="0.35em">${esc(`no ideal: ${m.idealUnknown ?? ''}`)}</text>`
        : bar(m.idealMs, top + 18, IDEAL_BAR, `ideal ${seconds(m.idealMs)} (${m.bound ?? '-'} bound), effic ${ratio(m.efficiency)}`))
  })
  const { ticks, unit } = timeTicks(max, x)
  return svg(f, 'elapsed against ideal per mode', ' class="elapsed"', [
    legend(f, [
      { label: 'elapsed (median run)', swatch: boxSwatch(ELAPSED_BAR) },
      { label: 'ideal: the injected delays at that concurrency, nothing else', swatch: boxSwatch(IDEAL_BAR) }
    ]),
    axis(f, 'bottom', ticks, `time (${unit}), the same scale for every mode`),
    axis(f, 'left', modes.map((m, i) => ({ at: f.top + i * band + 6 + 17, label: `${m.mode} ×${m.concurrency}` })), 'mode', false),
    ...bars
  ])
}

function polyline (points: readonly SweepPoint[], x: Scale, y: Scale, value: (p: SweepPoint) => number, colour: string, dashed: boolean): string {
  const coordinates = points.map(p => `${px(x(p.concurrency))},${px(y(value(p)))}`).join(' ')
  return `<polyline points="${coordinates}" fill="none" stroke="${colour}" stroke-width="2.5"${dashed ? ' stroke-dasharray="6 3"' : ''}/>`
}

function sweepSeries (sweep: Sweep, mode: SweepPoint['mode']): SweepPoint[] {
  return sweep.points.filter(p => p.mode === mode).sort((a, b) => a.concurrency - b.concurrency)
}

/**
 * Both modes meet the same injected delays, so their ideals usually coincide: then one grey
 * curve, as two dashed ones on top of each other would show only the last one drawn.
 */
function sweepIdeals (sweep: Sweep, modes: ReadonlyArray<SweepPoint['mode']>): Array<{ mode: SweepPoint['mode'], colour: string, label: string }> {
  const key = (mode: SweepPoint['mode']): string => sweepSeries(sweep, mode).map(p => `${p.concurrency}:${p.idealSpeedup}`).join(' ')
  const shared = modes.every(mode => key(mode) === key(modes[0] ?? mode))
  return shared
    ? modes.slice(0, 1).map(mode => ({ mode, colour: IDEAL_COLOUR, label: 'ideal (Little\'s law)' }))
    : modes.map(mode => ({ mode, colour: MODES[mode].colour, label: `${mode}, ideal (Little's law)` }))
}

/** The measured speedups of one mode, each point with its figures on hover. */
function measuredCurve (points: readonly SweepPoint[], colour: string, x: Scale, y: Scale): string {
  const dots = points.map(p => `<circle class="point" data-mode="${esc(p.mode)}" cx="${px(x(p.concurrency))}" cy="${px(y(p.speedup))}" r="4.5" fill="${colour}">` +
    `<title>${esc(`${p.mode} ×${p.concurrency}: speedup ${p.speedup.toFixed(2)}x, ideal ${p.idealSpeedup === null ? 'unknown' : `${p.idealSpeedup.toFixed(2)}x`}, elapsed ${seconds(p.elapsedMs)}`)}</title></circle>`)
  return [polyline(points, x, y, p => p.speedup, colour, false), ...dots].join('\n')
}

export function sweepChart (sweep: Sweep): string {
  const f = frame(TIME_WIDTH, 380, { top: 30, right: 28, bottom: 48, left: 64 })
  const concurrencies = [...new Set([...sweep.concurrencies, ...sweep.points.map(p => p.concurrency)])].sort((a, b) => a - b)
  const low = concurrencies[0] ?? 1
  const high = concurrencies.at(-1) ?? 1
  // A little room either side, so the first and last points do not sit on the frame.
  const x = logScale(low / 1.3, high * 1.3, f.left, f.right)
  let top = 1
  for (const p of sweep.points) top = Math.max(top, p.speedup, p.idealSpeedup ?? 0)
  const y = linearScale(0, top * 1.08, f.bottom, f.top)
  const modes = SWEPT_MODES.filter(mode => sweep.points.some(p => p.mode === mode))
  // No curve where the server did not say what it injected: no point has an ideal then.
  const ideals = sweep.points.every(p => p.idealSpeedup !== null) ? sweepIdeals(sweep, modes) : []
  return svg(f, 'speedup against concurrency', ' class="sweep"', [
    legend(f, [
      ...modes.map(mode => ({ label: `${mode}, measured`, swatch: lineSwatch(MODES[mode].colour, false) })),
      ...ideals.map(ideal => ({ label: ideal.label, swatch: lineSwatch(ideal.colour, true) }))
    ]),
    axis(f, 'bottom', concurrencies.map(c => ({ at: x(c), label: String(c) })), 'requests at once (log scale)'),
    axis(f, 'left', linearTicks(top * 1.08, 6, y), `speedup over sequential (${seconds(sweep.sequentialMs)})`),
    ...ideals.map(ideal => polyline(sweepSeries(sweep, ideal.mode), x, y, p => p.idealSpeedup ?? 0, ideal.colour, true)),
    ...modes.map(mode => measuredCurve(sweepSeries(sweep, mode), MODES[mode].colour, x, y))
  ])
}
