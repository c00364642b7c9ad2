// npm run load's rate sweep as a chart: the rate achieved against the rate asked for, the p99
// below it on the same x, the knee where the server stopped keeping up, and the closed loop's
// rate beside them. A pure function of the sweep, as every chart here.

import type { SweepReport, SweepStep } from '../core/load/sweep.js'
import { IDEAL_COLOUR } from './charts.js'
import { latency, rate } from './load.js'
import { axis, escapeHtml as esc, legend, linearScale, lineSwatch, logScale, px, svg, timeTicks, type Frame, type Scale, type Tick } from './svg.js'

// Paul Tol's high-contrast scheme (personal.sron.nl/~pault): three colours that stay apart in
// grey and for every common colour blindness.
const ACHIEVED_COLOUR = '#004488'
const P99_COLOUR = '#BB5566'
const CLOSED_COLOUR = '#DDAA33'
const KNEE_COLOUR = '#222222'

const WIDTH = 960
const LEFT = 64
const RIGHT = WIDTH - 56
/** Two panels on one x: the rates on top, taller, as they are the chart's point; the p99 under them. */
const RATE_PANEL: Frame = { width: WIDTH, height: 640, left: LEFT, right: RIGHT, top: 30, bottom: 330 }
const P99_PANEL: Frame = { ...RATE_PANEL, top: 392, bottom: 592 }

/**
 * The sweep doubles its rate from step to step: half a doubling (×√2) either side keeps the first
 * and last points off the frame by half the distance between two steps.
 */
const HALF_STEP = Math.SQRT2

interface Point { step: SweepStep, target: number, achieved: number, p99: number }

const pointOf = (step: SweepStep): Point =>
  ({ step, target: step.report.open?.targetRps ?? NaN, achieved: step.report.open?.achievedRps ?? NaN, p99: step.report.latencyMs.p99 })

const perSecond = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 })

function pointTitle ({ target, achieved, p99 }: Point): string {
  return `${rate(target)}: achieved ${rate(achieved)} (${(achieved / target).toFixed(3)} of the target), p99 ${latency(p99)}`
}

function curve (points: readonly Point[], x: Scale, y: Scale, value: (p: Point) => number, colour: string, kind: string): string {
  const at = points.map(p => ({ p, cx: px(x(p.target)), cy: px(y(value(p))) }))
  return [
    `<polyline points="${at.map(({ cx, cy }) => `${cx},${cy}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2.5"/>`,
    ...at.map(({ p, cx, cy }) => `<circle class="point ${kind}" cx="${cx}" cy="${cy}" r="4.5" fill="${colour}"><title>${esc(pointTitle(p))}</title></circle>`)
  ].join('\n')
}

/** The knee's dashed line down both panels and its label, on whichever side of it has room. */
function kneeMark (knee: Point, x: Scale): string {
  const at = x(knee.target)
  const line = (f: Frame): string => `<line x1="${px(at)}" y1="${f.top}" x2="${px(at)}" y2="${f.bottom}" stroke="${KNEE_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3"/>`
  const leftHalf = at < (LEFT + RIGHT) / 2
  const label = `knee: ${rate(knee.target)}, achieved ${rate(knee.achieved)}`
  return `<g class="knee">${line(RATE_PANEL)}${line(P99_PANEL)}` +
    `<text x="${px(leftHalf ? at + 6 : at - 6)}" y="${RATE_PANEL.top + 14}" text-anchor="${leftHalf ? 'start' : 'end'}">${esc(label)}</text></g>`
}

/** Labelled at its left end, where the points are low rates, well under it. */
function closedLine (sweep: SweepReport, y: Scale): string {
  const { closed } = sweep
  if (closed === null || !(closed.throughput > 0)) return ''
  const at = px(y(closed.throughput))
  const label = `closed loop, ${closed.connections.toLocaleString('en-US')} connections: ${rate(closed.throughput)}`
  return `<g class="closed"><line x1="${LEFT}" y1="${at}" x2="${RIGHT}" y2="${at}" stroke="${CLOSED_COLOUR}" stroke-width="2.5"/>` +
    `<text x="${LEFT + 6}" y="${at}" dy="-0.5em">${esc(label)}</text></g>`
}

/**
 * x: the target rate, y: the rate achieved, both on a log scale over the same span, so a server
 * that keeps up sits on the diagonal y = x (dashed) and the knee is where the curve leaves it.
 * Below, the p99 from the intended start on a linear scale: a queue shows as a hockey stick.
 * Empty for a sweep stopped before its first step.
 */
export function rateSweepChart (sweep: SweepReport): string {
  const points = sweep.steps.map(pointOf).filter(p => p.target > 0 && p.achieved > 0)
  const low = points[0]?.target
  const high = points.at(-1)?.target
  if (low === undefined || high === undefined) return ''
  const from = low / HALF_STEP
  const to = high * HALF_STEP
  const x = logScale(from, to, LEFT, RIGHT)
  // The rates' axis spans the targets' and whatever falls outside it: a collapse, a closed loop
  // faster than the last step.
  const rates = [...points.map(p => p.achieved), ...(sweep.closed !== null && sweep.closed.throughput > 0 ? [sweep.closed.throughput] : [])]
  const y = logScale(Math.min(from, ...rates.map(r => r / HALF_STEP)), Math.max(to, ...rates.map(r => r * HALF_STEP)), RATE_PANEL.bottom, RATE_PANEL.top)
  const ticks = (scale: Scale): Tick[] => points.map(p => ({ at: scale(p.target), label: perSecond(p.target) }))
  const timed = points.filter(p => Number.isFinite(p.p99))
  const p99Top = Math.max(1, ...timed.map(p => p.p99)) * 1.08
  const yP99 = linearScale(0, p99Top, P99_PANEL.bottom, P99_PANEL.top)
  const { ticks: p99Ticks, unit } = timeTicks(p99Top, yP99)
  const kneeStep = sweep.knee === null ? undefined : sweep.steps[sweep.knee]
  const knee = kneeStep === undefined ? undefined : pointOf(kneeStep)
  return svg(RATE_PANEL, 'rate achieved and p99 against the target rate', ' class="rate-sweep"', [
    legend(RATE_PANEL, [
      { label: 'achieved', swatch: lineSwatch(ACHIEVED_COLOUR, false) },
      { label: 'y = x: a server that keeps up', swatch: lineSwatch(IDEAL_COLOUR, true) },
      { label: 'p99 from the intended start (below)', swatch: lineSwatch(P99_COLOUR, false) },
      { label: 'closed loop', swatch: lineSwatch(CLOSED_COLOUR, false) }
    ]),
    axis(RATE_PANEL, 'bottom', ticks(x), 'target rate (requests/s, log scale)'),
    axis(RATE_PANEL, 'left', ticks(y), 'achieved (req/s, log)'),
    axis(P99_PANEL, 'bottom', ticks(x), 'target rate (requests/s, log scale)'),
    axis(P99_PANEL, 'left', p99Ticks, `p99 (${unit})`),
    `<line class="keeps-up" x1="${px(x(from))}" y1="${px(y(from))}" x2="${px(x(to))}" y2="${px(y(to))}" stroke="${IDEAL_COLOUR}" stroke-width="2" stroke-dasharray="6 3"/>`,
    closedLine(sweep, y),
    curve(points, x, y, p => p.achieved, ACHIEVED_COLOUR, 'achieved'),
    curve(timed, x, yP99, p => p.p99, P99_COLOUR, 'p99'),
    // With no knee every point is on the diagonal: the bottom right corner, below it, is empty.
    knee === undefined
      ? `<text class="knee" x="${RIGHT - 6}" y="${RATE_PANEL.bottom - 8}" text-anchor="end">${esc('no knee: the server kept up with every rate')}</text>`
      : kneeMark(knee, x)
  ])
}
