// The report as one HTML page: the terminal's figures, plus what a table cannot show (each
// request on a timeline, the event loop's delay over the run, the sweep's curve). The page has
// to open anywhere, offline and years later, so it holds no script and loads no file: every
// chart is inline SVG drawn here. It is a pure function of the report, byte for byte, so two
// pages diff cleanly and a test can pin one down.

import type { ModeFigures, RequestFigure } from '../figures.js'
import type { LoopSample } from '../loop-monitor.js'
import type { HarnessReport, Sweep, SweepPoint } from './report.js'
import { millis, seconds } from './table.js'

// ---------------------------------------------------------------- text

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }

/** For every string from the report: a reason, a URL or a command is whatever a server or a shell said. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ENTITIES[c] ?? c)
}

const esc = escapeHtml

/** A tenth of a pixel is finer than the eye, and keeps the digits the same on every run. */
const px = (value: number): string => value.toFixed(1)

const ratio = (value: number): string => value.toFixed(2)

// ---------------------------------------------------------------- SVG: frames, scales, axes, legends

/** A chart's box; left..right and top..bottom bound the plot, the margins hold axes and legend. */
interface Frame { width: number, height: number, left: number, right: number, top: number, bottom: number }

interface Margins { top: number, right: number, bottom: number, left: number }

function frame (width: number, height: number, margins: Margins): Frame {
  return { width, height, left: margins.left, right: width - margins.right, top: margins.top, bottom: height - margins.bottom }
}

/** For a chart whose height follows its content (a row per request, a band per mode). */
function frameAround (width: number, plotHeight: number, margins: Margins): Frame {
  return frame(width, Math.ceil(plotHeight) + margins.top + margins.bottom, margins)
}

type Scale = (value: number) => number

function linearScale (from: number, to: number, start: number, end: number): Scale {
  const span = to - from === 0 ? 1 : to - from
  return value => start + (value - from) / span * (end - start)
}

/** For concurrencies 1, 2, 5, 10, 20...: even steps on a linear axis would crowd the small ones. */
function logScale (from: number, to: number, start: number, end: number): Scale {
  const linear = linearScale(Math.log10(from), Math.log10(to), start, end)
  return value => linear(Math.log10(value))
}

interface Tick { at: number, label: string }

/** 1, 2 or 5 times a power of ten: steps a reader adds up without thinking. */
function niceStep (max: number, count: number): number {
  const raw = max / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const mantissa = raw / power
  return power * (mantissa >= 7.5 ? 10 : mantissa >= 3.5 ? 5 : mantissa >= 1.5 ? 2 : 1)
}

/** Just the decimals the step needs: 0.5 s steps print one, 100 ms steps none. */
const decimalsFor = (step: number): number => Math.max(0, -Math.floor(Math.log10(step)))

function linearTicks (max: number, count: number, scale: Scale): Tick[] {
  const step = niceStep(max > 0 ? max : 1, count)
  const ticks: Tick[] = []
  // The tolerance keeps a last tick that lands on max despite float error (0.1 * 3).
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push({ at: scale(i * step), label: (i * step).toFixed(decimalsFor(step)) })
  return ticks
}

/** Past two seconds, ticks in ms would print four digits each: seconds read better. */
function timeTicks (maxMs: number, scale: Scale): { ticks: Tick[], unit: string } {
  const divisor = maxMs >= 2000 ? 1000 : 1
  return { ticks: linearTicks(maxMs / divisor, 8, value => scale(value * divisor)), unit: divisor === 1 ? 'ms' : 's' }
}

/** An axis with its tick labels, light grid lines across the plot, and its title. Every label is escaped here. */
function axis (f: Frame, side: 'bottom' | 'left', ticks: readonly Tick[], title: string, grid = true): string {
  const parts: string[] = []
  for (const tick of ticks) {
    const at = px(tick.at)
    if (side === 'bottom') {
      if (grid) parts.push(`<line class="grid" x1="${at}" y1="${f.top}" x2="${at}" y2="${f.bottom}"/>`)
      parts.push(`<text x="${at}" y="${f.bottom + 16}" text-anchor="middle">${esc(tick.label)}</text>`)
    } else {
      if (grid) parts.push(`<line class="grid" x1="${f.left}" y1="${at}" x2="${f.right}" y2="${at}"/>`)
      parts.push(`<text x="${f.left - 6}" y="${at}" dy="0.35em" text-anchor="end">${esc(tick.label)}</text>`)
    }
  }
  if (side === 'bottom') {
    parts.push(`<line class="axis" x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}"/>`)
    parts.push(`<text class="title" x="${px((f.left + f.right) / 2)}" y="${f.bottom + 36}" text-anchor="middle">${esc(title)}</text>`)
  } else {
    parts.push(`<line class="axis" x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}"/>`)
    const middle = px((f.top + f.bottom) / 2)
    parts.push(`<text class="title" x="14" y="${middle}" text-anchor="middle" transform="rotate(-90 14 ${middle})">${esc(title)}</text>`)
  }
  return parts.join('\n')
}

interface LegendItem {
  label: string
  /** Draws the item's sample, its left edge at x, centred on y. */
  swatch: (x: number, y: number) => string
  /** 16 unless the sample says more (a bar and its error mark). */
  swatchWidth?: number
}

const boxSwatch = (fill: string) => (x: number, y: number): string =>
  `<rect x="${x}" y="${y - 6}" width="16" height="12" fill="${fill}"/>`

const lineSwatch = (stroke: string, dashed: boolean) => (x: number, y: number): string =>
  `<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${stroke}" stroke-width="2.5"${dashed ? ' stroke-dasharray="6 3"' : ''}/>`

/** One row above the plot. Text width is estimated, not measured: there is no layout engine here. */
function legend (f: Frame, items: readonly LegendItem[]): string {
  const parts: string[] = []
  let x = f.left
  for (const item of items) {
    const textX = x + (item.swatchWidth ?? 16) + 6
    parts.push(item.swatch(x, 13), `<text x="${textX}" y="13" dy="0.35em">${esc(item.label)}</text>`)
    x = textX + item.label.length * 6.2 + 24
  }
  return `<g class="legend">${parts.join('')}</g>`
}

function svg (f: Frame, label: string, attributes: string, parts: readonly string[]): string {
  return `<svg width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(label)}"${attributes}>\n${parts.join('\n')}\n</svg>`
}

// Paul Tol's colour-blind-safe palettes (personal.sron.nl/~pault): dark for the injected
// delay, light for the rest of the request, so outcome and wait read apart.
const OUTCOME_STYLE: Record<RequestFigure['outcome'], { wait: string, rest: string, label: string }> = {
  ok: { wait: '#004488', rest: '#99BBE6', label: 'ok' },
  'not-found': { wait: '#997700', rest: '#EECC66', label: 'not found' },
  error: { wait: '#994455', rest: '#EE99AA', label: 'error' }
}
const ERROR_MARK = '#AA0022'
const SWEEP_COLOURS: Record<SweepPoint['mode'], string> = { pooled: '#EE7733', async: '#0077BB' }
const LOOP_COLOUR = '#AA3377'
const IDEAL_COLOUR = '#555555'
const ELAPSED_BAR = OUTCOME_STYLE.ok.wait
const IDEAL_BAR = OUTCOME_STYLE.ok.rest

// ---------------------------------------------------------------- per-mode charts: timeline and event loop

/**
 * Both time charts of a mode share width and margins, so the loop's delay sits under the
 * requests it delayed, tick for tick.
 */
const TIME_WIDTH = 960
const TIME_MARGINS = { left: 64, right: 28 }

/** The mode's time axis: its elapsed time, stretched to whatever ran past it (a request, the last loop sample). */
function modeSpanMs (m: ModeFigures): number {
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
function timelineChart (m: ModeFigures): string {
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
function loopScaleMs (modes: readonly ModeFigures[]): number {
  let max = 0
  for (const m of modes) {
    max = Math.max(max, m.eventLoop.delayP99Ms)
    for (const sample of m.loopSamples) max = Math.max(max, sample.delayMaxMs)
  }
  // A quiet loop (about 1 ms of timer slack) should look quiet, not fill the chart.
  return Math.max(5, max * 1.1)
}

function loopChart (m: ModeFigures, maxDelayMs: number): string {
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

function loopText (m: ModeFigures): string {
  const loop = m.eventLoop
  const workers = m.workerUtilization === null || m.workerUtilization.length === 0
    ? ''
    : `; ${m.workerUtilization.length} workers busy ${ratio(Math.min(...m.workerUtilization))} to ${ratio(Math.max(...m.workerUtilization))}`
  return `Main thread's event loop: delay p50 ${millis(loop.delayP50Ms)}, p99 ${millis(loop.delayP99Ms)}, max ${millis(loop.delayMaxMs)}; ` +
    `busy ${ratio(loop.utilization)} of the run (utilization)${workers}.`
}

function modeNotes (m: ModeFigures, codes: number): string[] {
  const notes: string[] = []
  if (m.startupMs !== null) notes.push(`Pool start-up ${seconds(m.startupMs)}, not counted in elapsed.`)
  const reasons = Object.entries(m.errorReasons).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([reason, n]) => `${n} ${reason}`)
  if (reasons.length > 0) notes.push(`Errors: ${reasons.join(', ')}.`)
  if (!m.complete) notes.push(`INCOMPLETE: ${m.notRun} of ${codes} codes not run.`)
  return notes
}

function modeSection (m: ModeFigures, codes: number, maxDelayMs: number): string {
  const heading = `${m.mode}, ${m.concurrency} at a time: ${seconds(m.elapsedMs)} elapsed, ideal ${seconds(m.idealMs)}`
  const notes = modeNotes(m, codes).map(note => `<p class="note">${esc(note)}</p>`)
  return `<section class="mode">\n<h2>${esc(heading)}</h2>\n${notes.join('\n')}\n` +
    `<figure>${timelineChart(m)}<figcaption>Each bar is one request, from when it was sent to when it ended, in this mode's own time scale (full width ${esc(seconds(modeSpanMs(m)))}).</figcaption></figure>\n` +
    `<figure>${loopChart(m, maxDelayMs)}<figcaption>${esc(loopText(m))}</figcaption></figure>\n</section>`
}

// ---------------------------------------------------------------- across modes

function elapsedChart (modes: readonly ModeFigures[]): string {
  const band = 46
  const f = frameAround(TIME_WIDTH, modes.length * band, { top: 30, right: 230, bottom: 48, left: 120 })
  let max = 1
  for (const m of modes) max = Math.max(max, m.elapsedMs, m.idealMs)
  const x = linearScale(0, max, f.left, f.right)
  const bars = modes.map((m, i) => {
    const top = f.top + i * band + 6
    const bar = (value: number, y: number, fill: string, text: string): string =>
      `<rect x="${f.left}" y="${y}" width="${px(x(value) - f.left)}" height="16" fill="${fill}"><title>${esc(`${m.mode} ${text}`)}</title></rect>` +
      `<text x="${px(x(value) + 6)}" y="${y + 8}" dy="0.35em">${esc(text)}</text>`
    return bar(m.elapsedMs, top, ELAPSED_BAR, `elapsed ${seconds(m.elapsedMs)}`) +
      bar(m.idealMs, top + 18, IDEAL_BAR, `ideal ${seconds(m.idealMs)} (${m.bound} bound), effic ${ratio(m.efficiency)}`)
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

function htmlTable (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cells = (tag: string, row: readonly string[]): string => `<tr>${row.map(cell => `<${tag}>${esc(cell)}</${tag}>`).join('')}</tr>`
  return `<table>\n<thead>${cells('th', header)}</thead>\n<tbody>\n${rows.map(row => cells('td', row)).join('\n')}\n</tbody>\n</table>`
}

/** Column and cell side by side, so the two cannot drift apart. */
type Column<T> = readonly [string, (row: T) => string]

function columnsTable<T> (columns: ReadonlyArray<Column<T>>, rows: readonly T[]): string {
  return htmlTable(columns.map(([name]) => name), rows.map(row => columns.map(([, cell]) => cell(row))))
}

const FIGURE_COLUMNS: Array<Column<ModeFigures>> = [
  ['mode', m => m.mode],
  ['at once', m => String(m.concurrency)],
  ['elapsed', m => m.runsMs.length > 1 ? `${seconds(m.elapsedMs)} (${m.runsMs.length} runs)` : seconds(m.elapsedMs)],
  ['ideal', m => seconds(m.idealMs)],
  ['bound', m => m.bound],
  ['effic', m => ratio(m.efficiency)],
  ['speedup', m => m.speedup === null ? '-' : `${m.speedup.toFixed(1)}x`],
  ['ok', m => String(m.ok)],
  ['404', m => String(m.notFound)],
  ['errors', m => String(m.errors)],
  ['req/s', m => m.requestsPerSecond.toFixed(1)],
  ['p50', m => millis(m.latencyMs.p50)],
  ['p90', m => millis(m.latencyMs.p90)],
  ['p99', m => millis(m.latencyMs.p99)],
  ['max', m => millis(m.latencyMs.max)]
]

const LOOP_COLUMNS: Array<Column<ModeFigures>> = [
  ['mode', m => m.mode],
  ['loop delay p50', m => millis(m.eventLoop.delayP50Ms)],
  ['p99', m => millis(m.eventLoop.delayP99Ms)],
  ['max', m => millis(m.eventLoop.delayMaxMs)],
  ['loop busy', m => ratio(m.eventLoop.utilization)],
  ['threads', m => String(m.threads)],
  ['rss peak', m => `${m.memory.rssPeakMb.toFixed(0)} MB`],
  ['heap peak', m => `${m.memory.heapPeakMb.toFixed(0)} MB`]
]

function summarySection (modes: readonly ModeFigures[]): string {
  return '<section>\n<h2>Figures</h2>\n' +
    columnsTable(FIGURE_COLUMNS, modes) + '\n' +
    '<p class="note">ideal: the shortest elapsed time possible at that concurrency with the delays the server injected; effic = ideal / elapsed; ' +
    'bound: what sets the ideal, the injected delays (io) or the CPU work over the threads that can run it (cpu).</p>\n' +
    columnsTable(LOOP_COLUMNS, modes) + '\n' +
    `<h2>Elapsed against ideal</h2>\n<figure>${elapsedChart(modes)}</figure>\n</section>`
}

// ---------------------------------------------------------------- sweep

function polyline (points: readonly SweepPoint[], x: Scale, y: Scale, value: (p: SweepPoint) => number, colour: string, dashed: boolean): string {
  const coordinates = points.map(p => `${px(x(p.concurrency))},${px(y(value(p)))}`).join(' ')
  return `<polyline points="${coordinates}" fill="none" stroke="${colour}" stroke-width="2.5"${dashed ? ' stroke-dasharray="6 3"' : ''}/>`
}

const SWEEP_MODES = ['pooled', 'async'] as const

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
    : modes.map(mode => ({ mode, colour: SWEEP_COLOURS[mode], label: `${mode}, ideal (Little's law)` }))
}

/** The measured speedups of one mode, each point with its figures on hover. */
function measuredCurve (points: readonly SweepPoint[], colour: string, x: Scale, y: Scale): string {
  const dots = points.map(p => `<circle class="point" data-mode="${esc(p.mode)}" cx="${px(x(p.concurrency))}" cy="${px(y(p.speedup))}" r="4.5" fill="${colour}">` +
    `<title>${esc(`${p.mode} ×${p.concurrency}: speedup ${p.speedup.toFixed(2)}x, ideal ${p.idealSpeedup.toFixed(2)}x, elapsed ${seconds(p.elapsedMs)}`)}</title></circle>`)
  return [polyline(points, x, y, p => p.speedup, colour, false), ...dots].join('\n')
}

function sweepChart (sweep: Sweep): string {
  const f = frame(TIME_WIDTH, 380, { top: 30, right: 28, bottom: 48, left: 64 })
  const concurrencies = [...new Set([...sweep.concurrencies, ...sweep.points.map(p => p.concurrency)])].sort((a, b) => a - b)
  const low = concurrencies[0] ?? 1
  const high = concurrencies.at(-1) ?? 1
  // A little room either side, so the first and last points do not sit on the frame.
  const x = logScale(low / 1.3, high * 1.3, f.left, f.right)
  let top = 1
  for (const p of sweep.points) top = Math.max(top, p.speedup, p.idealSpeedup)
  const y = linearScale(0, top * 1.08, f.bottom, f.top)
  const modes = SWEEP_MODES.filter(mode => sweep.points.some(p => p.mode === mode))
  const ideals = sweepIdeals(sweep, modes)
  return svg(f, 'speedup against concurrency', ' class="sweep"', [
    legend(f, [
      ...modes.map(mode => ({ label: `${mode}, measured`, swatch: lineSwatch(SWEEP_COLOURS[mode], false) })),
      ...ideals.map(ideal => ({ label: ideal.label, swatch: lineSwatch(ideal.colour, true) }))
    ]),
    axis(f, 'bottom', concurrencies.map(c => ({ at: x(c), label: String(c) })), 'requests at once (log scale)'),
    axis(f, 'left', linearTicks(top * 1.08, 6, y), `speedup over sequential (${seconds(sweep.sequentialMs)})`),
    ...ideals.map(ideal => polyline(sweepSeries(sweep, ideal.mode), x, y, p => p.idealSpeedup, ideal.colour, true)),
    ...modes.map(mode => measuredCurve(sweepSeries(sweep, mode), SWEEP_COLOURS[mode], x, y))
  ])
}

const SWEEP_COLUMNS: Array<Column<SweepPoint>> = [
  ['mode', p => p.mode],
  ['at once', p => String(p.concurrency)],
  ['elapsed', p => seconds(p.elapsedMs)],
  ['ideal', p => seconds(p.idealMs)],
  ['speedup', p => `${p.speedup.toFixed(2)}x`],
  ['ideal speedup', p => `${p.idealSpeedup.toFixed(2)}x`],
  ['effic', p => ratio(p.efficiency)],
  ['errors', p => String(p.errors)]
]

function sweepSection (sweep: Sweep | null): string {
  if (sweep === null) return ''
  return '<section>\n<h2>Sweep: speedup against concurrency</h2>\n' +
    `<figure>${sweepChart(sweep)}<figcaption>The ideal is the best speedup the injected delays allow at that concurrency (Little's law): min(C, N) when every delay is equal, less when a few slow requests set the end.</figcaption></figure>\n` +
    columnsTable(SWEEP_COLUMNS, sweep.points) + '\n</section>'
}

// ---------------------------------------------------------------- header and page

function headerSection (report: HarnessReport): string {
  const { server, machine } = report
  const config = server.config === null
    ? 'not shown by the server'
    : Object.entries(server.config).map(([name, value]) => `<code>${esc(name)}=${esc(value)}</code>`).join(' ')
  const knobs = [report.cpuWorkMs > 0 ? `${millis(report.cpuWorkMs)} of CPU work after each download` : null, report.syncSave ? 'saved with writeFileSync' : null]
    .filter(knob => knob !== null)
  const rows: Array<[string, string]> = [
    ['Seed', esc(report.seed === null ? 'unknown' : String(report.seed))],
    ['Server', `<code>${esc(server.url)}</code>${server.embedded ? ', started by the harness' : ''}`],
    ['Injection', config],
    ...(server.note === null ? [] : [['Note', esc(server.note)] as [string, string]]),
    ...(knobs.length === 0 ? [] : [['Client', esc(knobs.join(', '))] as [string, string]]),
    ['Machine', esc(`Node ${machine.node}, ${machine.cpus} CPUs, ${machine.platform}`)],
    ['Codes', esc(`${report.codes.length}: ${report.codes.join(' ')}`)]
  ]
  const banner = report.incomplete ? '<p class="banner">INCOMPLETE RUN: the figures cover only what was measured before it was cut.</p>\n' : ''
  return `<header>\n<h1>Flag download harness</h1>\n${banner}<dl>\n${rows.map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`).join('\n')}\n</dl>\n` +
    `<p>Reproduce with:</p>\n<pre><code>${esc(report.command)}</code></pre>\n</header>`
}

const STYLE = `
body { font: 15px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif; color: #222; max-width: 980px; margin: 24px auto; padding: 0 12px; }
h1 { font-size: 24px; margin: 0 0 8px; } h2 { font-size: 18px; margin: 28px 0 6px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; } dt { font-weight: 600; } dd { margin: 0; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
pre { background: #f3f3f3; padding: 8px 10px; white-space: pre-wrap; word-break: break-all; }
.banner { background: #AA0022; color: #fff; font-weight: 700; padding: 8px 12px; }
.note { color: #444; font-size: 14px; margin: 4px 0; }
table { border-collapse: collapse; margin: 10px 0; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 3px 9px; text-align: right; border-bottom: 1px solid #ddd; } th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
figure { margin: 10px 0; } figcaption { font-size: 14px; color: #444; }
svg { display: block; max-width: 100%; height: auto; font-size: 12px; }
svg text { fill: #222; } svg .title { font-size: 13px; }
svg .grid { stroke: #e4e4e4; } svg .axis { stroke: #555; }
`

/** The same report gives the same bytes: nothing here reads a clock or a random number. */
export function htmlReport (report: HarnessReport): string {
  const maxDelayMs = loopScaleMs(report.modes)
  const body = [
    headerSection(report),
    summarySection(report.modes),
    ...report.modes.map(m => modeSection(m, report.codes.length, maxDelayMs)),
    sweepSection(report.sweep)
  ].filter(part => part !== '')
  return '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${esc(`Flag harness, seed ${report.seed ?? 'unknown'}`)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`
}
