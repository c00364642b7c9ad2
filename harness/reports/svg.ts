// Drawing charts as inline SVG text, by hand: frames, scales, ticks, axes, legends. No library,
// no clock, no random number: the same figures give the same bytes. Every label is escaped here.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }

/** For every string from the report: a reason, a URL or a command is whatever a server or a shell said. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ENTITIES[c] ?? c)
}

const esc = escapeHtml

/** A tenth of a pixel is finer than the eye, and keeps the digits the same on every run. */
export const px = (value: number): string => value.toFixed(1)

/** A chart's box; left..right and top..bottom bound the plot, the margins hold axes and legend. */
export interface Frame { width: number, height: number, left: number, right: number, top: number, bottom: number }

export interface Margins { top: number, right: number, bottom: number, left: number }

export function frame (width: number, height: number, margins: Margins): Frame {
  return { width, height, left: margins.left, right: width - margins.right, top: margins.top, bottom: height - margins.bottom }
}

/** For a chart whose height follows its content (a row per request, a band per mode). */
export function frameAround (width: number, plotHeight: number, margins: Margins): Frame {
  return frame(width, Math.ceil(plotHeight) + margins.top + margins.bottom, margins)
}

export type Scale = (value: number) => number

export function linearScale (from: number, to: number, start: number, end: number): Scale {
  const span = to - from === 0 ? 1 : to - from
  return value => start + (value - from) / span * (end - start)
}

/** For concurrencies 1, 2, 5, 10, 20...: even steps on a linear axis would crowd the small ones. */
export function logScale (from: number, to: number, start: number, end: number): Scale {
  const linear = linearScale(Math.log10(from), Math.log10(to), start, end)
  return value => linear(Math.log10(value))
}

export interface Tick { at: number, label: string }

/** 1, 2 or 5 times a power of ten: steps a reader adds up without thinking. */
function niceStep (max: number, count: number): number {
  const raw = max / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const mantissa = raw / power
  return power * (mantissa >= 7.5 ? 10 : mantissa >= 3.5 ? 5 : mantissa >= 1.5 ? 2 : 1)
}

/** Just the decimals the step needs: 0.5 s steps print one, 100 ms steps none. */
const decimalsFor = (step: number): number => Math.max(0, -Math.floor(Math.log10(step)))

export function linearTicks (max: number, count: number, scale: Scale): Tick[] {
  const step = niceStep(max > 0 ? max : 1, count)
  const ticks: Tick[] = []
  // The tolerance keeps a last tick that lands on max despite float error (0.1 * 3).
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push({ at: scale(i * step), label: (i * step).toFixed(decimalsFor(step)) })
  return ticks
}

/** Past two seconds, ticks in ms would print four digits each: seconds read better. */
export function timeTicks (maxMs: number, scale: Scale): { ticks: Tick[], unit: string } {
  const divisor = maxMs >= 2000 ? 1000 : 1
  return { ticks: linearTicks(maxMs / divisor, 8, value => scale(value * divisor)), unit: divisor === 1 ? 'ms' : 's' }
}

/** An axis with its tick labels, light grid lines across the plot, and its title. Every label is escaped here. */
export function axis (f: Frame, side: 'bottom' | 'left', ticks: readonly Tick[], title: string, grid = true): string {
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

export interface LegendItem {
  label: string
  /** Draws the item's sample, its left edge at x, centred on y. */
  swatch: (x: number, y: number) => string
  /** 16 unless the sample says more (a bar and its error mark). */
  swatchWidth?: number
}

export const boxSwatch = (fill: string) => (x: number, y: number): string =>
  `<rect x="${x}" y="${y - 6}" width="16" height="12" fill="${fill}"/>`

export const lineSwatch = (stroke: string, dashed: boolean) => (x: number, y: number): string =>
  `<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${stroke}" stroke-width="2.5"${dashed ? ' stroke-dasharray="6 3"' : ''}/>`

/** One row above the plot. Text width is estimated, not measured: there is no layout engine here. */
export function legend (f: Frame, items: readonly LegendItem[]): string {
  const parts: string[] = []
  let x = f.left
  for (const item of items) {
    const textX = x + (item.swatchWidth ?? 16) + 6
    parts.push(item.swatch(x, 13), `<text x="${textX}" y="13" dy="0.35em">${esc(item.label)}</text>`)
    x = textX + item.label.length * 6.2 + 24
  }
  return `<g class="legend">${parts.join('')}</g>`
}

export function svg (f: Frame, label: string, attributes: string, parts: readonly string[]): string {
  return `<svg width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(label)}"${attributes}>\n${parts.join('\n')}\n</svg>`
}
