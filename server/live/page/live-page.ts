// The live page's script, run by the browser (served as live/page.js from its compiled form). It
// draws what the server's feed sends over Server-Sent Events (live/events), a frame at most four
// times a second: each request a bar, the requests in flight under them, a run's summary. Every
// figure is also an attribute (data-peak, data-requests...) so that a test reads what a person
// sees. Every URL is relative to the page; the page's own query (?token=) goes to the stream.

import type { LiveArrival, LiveEnd, LiveFrame, WireFrame } from '../frame.js'
import { decodeFrame } from './decode-frame.js'

/** More connections than this in a run: one row per client address instead. */
const MAX_ROWS = 40
/** Bars drawn per run, at most: past it a browser spends its frames on the drawing. */
const MAX_BARS = 4000
const WIDTH = 1200
const LABEL = 150
const ROW = 14
const CHART = 90

interface Request { arrival: LiveArrival, end: LiveEnd | null }
/** A run's requests by their index in it. */
interface Run { number: number, requests: Map<number, Request>, lastMs: number, receivedAt: number }

function required<T extends Element> (found: T | null, what: string): T {
  if (found === null) throw new Error(`live page: no ${what}`)
  return found
}

const SVG = 'http://www.w3.org/2000/svg'
const bars = required(document.querySelector<SVGSVGElement>('#bars'), '#bars')
const chart = required(document.querySelector<SVGSVGElement>('#concurrency'), '#concurrency')
const summary = required(document.getElementById('summary'), '#summary')
const status = required(document.getElementById('status'), '#status')
const injection = required(document.getElementById('injection'), '#injection')
const runsTable = required(document.getElementById('runs'), '#runs')
const pause = required(document.querySelector<HTMLButtonElement>('#pause'), '#pause')
const colours = new Map([...document.querySelectorAll<HTMLElement>('#legend [data-fate]')].map(el => [el.dataset.fate ?? '', el.dataset.colour ?? '']))
const runs = new Map<number, Run>()
let current: Run | null = null
let paused = false
let dropped = 0

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

function element<K extends keyof SVGElementTagNameMap> (parent: Element, name: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const made = document.createElementNS(SVG, name)
  for (const [key, value] of Object.entries(attributes)) made.setAttribute(key, String(value))
  parent.append(made)
  return made
}

function runOf (number: number): Run {
  let run = runs.get(number)
  if (run === undefined) {
    run = { number, requests: new Map(), lastMs: 0, receivedAt: performance.now() }
    runs.set(number, run)
    // The details of the last run stay, the ones before it only in the table.
    for (const old of runs.keys()) if (old < number - 1) runs.delete(old)
    if (current === null || number > current.number) current = run
  }
  return run
}

function apply (frame: LiveFrame): void {
  injection.textContent = `${frame.site}: ${frame.injection}`
  for (const arrival of frame.arrivals) {
    const run = runOf(arrival.run)
    run.requests.set(arrival.index, { arrival, end: null })
    run.lastMs = Math.max(run.lastMs, arrival.atMs)
    run.receivedAt = performance.now()
  }
  // An end carries its arrival: a request that came and went between two frames is sent once.
  for (const end of frame.ends) {
    const run = runOf(end.run)
    run.requests.set(end.index, { arrival: end, end })
    run.lastMs = Math.max(run.lastMs, end.endMs)
    run.receivedAt = performance.now()
  }
  dropped += frame.dropped
  if (dropped > 0) {
    status.textContent = `${dropped} events not shown (the page or the server fell behind)`
    status.classList.add('warn')
  } else {
    status.textContent = 'Live.'
  }
}

interface Figures { requests: number, ended: number, inFlight: number, peak: number, elapsedMs: number, connections: number, errors: Map<string, number>, steps: Array<[number, number]> }

/** The run's figures: the greatest concurrency from its arrivals and ends in time order, an end first at a tie. */
function figuresOf (run: Run, nowMs: number): Figures {
  const changes: Array<[number, number]> = []
  const errors = new Map<string, number>()
  let ended = 0
  for (const { arrival, end } of run.requests.values()) {
    changes.push([arrival.atMs, 1])
    if (end === null) continue
    ended++
    changes.push([end.endMs, -1])
    if (end.fate !== 'ok') errors.set(end.fate, (errors.get(end.fate) ?? 0) + 1)
  }
  changes.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let level = 0
  let peak = 0
  const steps: Array<[number, number]> = [[0, 0]]
  for (const [at, change] of changes) {
    level += change
    peak = Math.max(peak, level)
    steps.push([at, level])
  }
  const inFlight = run.requests.size - ended
  const connections = new Set([...run.requests.values()].map(r => r.arrival.connection)).size
  return { requests: run.requests.size, ended, inFlight, peak, elapsedMs: inFlight > 0 ? nowMs : run.lastMs, connections, errors, steps }
}

function errorText (errors: Map<string, number>): string {
  return errors.size === 0 ? 'none' : [...errors].map(([fate, n]) => `${n} ${fate}`).join(', ')
}

/** Where the run's clock is now: its last event, plus the time since it came while requests are in flight. */
function nowOf (run: Run): number {
  return run.lastMs + performance.now() - run.receivedAt
}

function drawBars (run: Run, figures: Figures, spanMs: number): void {
  bars.replaceChildren()
  const byAddress = figures.connections > MAX_ROWS
  const rows = new Map<string, number>()
  const rowOf = (arrival: LiveArrival): number => {
    const key = byAddress ? arrival.client : `${arrival.client} #${arrival.connection}`
    let row = rows.get(key)
    if (row === undefined) {
      row = rows.size
      rows.set(key, row)
      element(bars, 'text', { x: 4, y: row * ROW + 11 }).textContent = key
    }
    return row
  }
  const scale = (WIDTH - LABEL - 10) / Math.max(1, spanMs)
  let drawn = 0
  for (const { arrival, end } of run.requests.values()) {
    if (drawn++ >= MAX_BARS) break
    const endMs = end?.endMs ?? spanMs
    element(bars, 'rect', {
      class: 'bar',
      'data-fate': end?.fate ?? 'in flight',
      x: LABEL + arrival.atMs * scale,
      y: rowOf(arrival) * ROW + 2,
      width: Math.max(1, (endMs - arrival.atMs) * scale),
      height: ROW - 3,
      fill: colours.get(end?.fate ?? 'in flight') ?? '#000'
    }).append(Object.assign(document.createElementNS(SVG, 'title'), { textContent: `${arrival.path} ${end === null ? 'in flight' : `${end.status} ${end.fault}`}` }))
  }
  bars.setAttribute('height', String(Math.max(1, rows.size) * ROW + 4))
}

function drawConcurrency (figures: Figures, spanMs: number): void {
  chart.replaceChildren()
  const scale = (WIDTH - LABEL - 10) / Math.max(1, spanMs)
  const high = Math.max(1, figures.peak)
  const y = (level: number): number => 5 + CHART - level / high * CHART
  let path = `M ${LABEL} ${y(0)}`
  for (const [at, level] of figures.steps) path += ` H ${LABEL + at * scale} V ${y(level)}`
  path += ` H ${LABEL + spanMs * scale}`
  element(chart, 'path', { d: path, fill: 'none', stroke: '#0077BB', 'stroke-width': 2 })
  element(chart, 'text', { x: 4, y: y(high) + 4 }).textContent = `${figures.peak} in flight`
  element(chart, 'text', { x: 4, y: y(0) }).textContent = '0'
  element(chart, 'text', { x: WIDTH - 60, y: y(0) }).textContent = seconds(spanMs)
}

function tableRow (run: Run, figures: Figures): void {
  let row = runsTable.querySelector<HTMLTableRowElement>(`tr[data-run="${run.number}"]`)
  if (row === null) {
    row = document.createElement('tr')
    row.dataset.run = String(run.number)
    runsTable.prepend(row)
  }
  Object.assign(row.dataset, { requests: String(figures.requests), peak: String(figures.peak), inFlight: String(figures.inFlight) })
  const cells = [run.number, figures.requests, seconds(figures.elapsedMs), figures.peak, figures.connections, errorText(figures.errors)]
  row.replaceChildren(...cells.map(value => Object.assign(document.createElement('td'), { textContent: String(value) })))
}

function draw (): void {
  if (paused || current === null) return
  const run = current
  const figures = figuresOf(run, nowOf(run))
  const spanMs = Math.max(figures.elapsedMs, 1)
  drawBars(run, figures, spanMs)
  drawConcurrency(figures, spanMs)
  tableRow(run, figures)
  Object.assign(summary.dataset, {
    run: String(run.number),
    requests: String(figures.requests),
    inFlight: String(figures.inFlight),
    peak: String(figures.peak),
    bars: String(bars.querySelectorAll('rect.bar').length),
    elapsedMs: String(Math.round(figures.elapsedMs))
  })
  const flight = figures.inFlight > 0 ? `, ${figures.inFlight} in flight` : ', over'
  summary.textContent = `Run ${run.number}: ${figures.requests} requests in ${seconds(figures.elapsedMs)}${flight}; greatest concurrency ${figures.peak}; errors: ${errorText(figures.errors)}`
}

pause.addEventListener('click', () => {
  paused = !paused
  pause.textContent = paused ? 'Resume' : 'Pause'
  document.body.toggleAttribute('data-paused', paused)
  draw()
})

const events = new EventSource(`live/events${location.search}`)
events.addEventListener('message', message => {
  apply(decodeFrame(JSON.parse(String(message.data)) as WireFrame))
  draw()
})
events.addEventListener('error', () => {
  status.textContent = 'Disconnected: retrying…'
  status.classList.add('warn')
})
// Bars in flight grow between frames: a hang sends nothing for seconds.
setInterval(() => {
  if (current !== null && [...current.requests.values()].some(r => r.end === null)) draw()
}, 250)
