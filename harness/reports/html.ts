// The report as one HTML page: the terminal's figures (the same columns, notes and legends),
// plus what a table cannot show, drawn in charts.ts. The page has to open anywhere, offline and
// years later, so it holds no script and loads no file. It is a pure function of the report,
// byte for byte, so two pages diff cleanly and a test can pin one down.

import type { ModeFigures } from '../core/figures.js'
import type { HarnessReport } from '../core/result.js'
import type { Sweep } from '../core/sweep.js'
import { elapsedChart, loopChart, loopScaleMs, modeSpanMs, sweepChart, timelineChart } from './charts.js'
import { cells, clientKnobs, incompleteRun, LEGENDS, loopOwn, runsLine, LOOP_COLUMNS, MODE_COLUMNS, modeNotes, SWEEP_COLUMNS, sweepTitle, type Column } from './columns.js'
import { known, millis, ratio, seconds } from './format.js'
import { escapeHtml as esc } from './svg.js'

/** A table of text cells, as the terminal's table() takes them. */
export function htmlCells (header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  const row = (tag: string, values: readonly string[]): string => `<tr>${values.map(value => `<${tag}>${esc(value)}</${tag}>`).join('')}</tr>`
  return `<table>\n<thead>${row('th', header)}</thead>\n<tbody>\n${body.map(values => row('td', values)).join('\n')}\n</tbody>\n</table>`
}

function htmlTable<T> (columns: ReadonlyArray<Column<T>>, rows: readonly T[]): string {
  const { header, rows: body } = cells(columns, rows)
  return htmlCells(header, body)
}

/** The reports' notes, as sentences: the terminal lists them, a page reads them. */
const notes = (lines: readonly string[]): string => lines.map(line => `<p class="note">${esc(`${line.charAt(0).toUpperCase()}${line.slice(1)}.`)}</p>`).join('\n')

function loopText (m: ModeFigures): string {
  const loop = loopOwn(m)
  const { machine } = m.eventLoop
  const floor = machine === null
    ? ''
    : `; the OS kept it waiting for a core ${ratio(machine.heldShare)} of the run, taken out of these (as met, with it: p99 ${millis(m.eventLoop.delayP99Ms)}, busy ${ratio(m.eventLoop.utilization)})`
  const workers = m.workerUtilization === null || m.workerUtilization.length === 0
    ? ''
    : `; ${m.workerUtilization.length} workers busy ${ratio(Math.min(...m.workerUtilization))} to ${ratio(Math.max(...m.workerUtilization))}`
  return `Main thread's event loop: delay p50 ${millis(loop.delayP50Ms)}, p99 ${millis(loop.delayP99Ms)}, max ${millis(loop.delayMaxMs)}; ` +
    `busy ${ratio(loop.utilization)} of the run (utilization)${floor}${workers}.`
}

function modeSection (m: ModeFigures, codes: number, maxDelayMs: number): string {
  const heading = `${m.mode}, ${m.concurrency} at a time: ${seconds(m.elapsedMs)} elapsed, ideal ${known(m.idealMs, seconds)}`
  return `<section class="mode">\n<h2>${esc(heading)}</h2>\n${notes(modeNotes(m, codes))}\n` +
    `<figure>${timelineChart(m)}<figcaption>Each bar is one request, from when it was sent to when it ended, in this mode's own time scale (full width ${esc(seconds(modeSpanMs(m)))}).</figcaption></figure>\n` +
    `<figure>${loopChart(m, maxDelayMs)}<figcaption>${esc(loopText(m))}</figcaption></figure>\n</section>`
}

function summarySection (modes: readonly ModeFigures[]): string {
  return '<section>\n<h2>Figures</h2>\n' +
    htmlTable(MODE_COLUMNS, modes) + '\n' + htmlTable(LOOP_COLUMNS, modes) + '\n' + notes(LEGENDS) + '\n' +
    `<h2>Elapsed against ideal</h2>\n<figure>${elapsedChart(modes)}</figure>\n</section>`
}

function sweepSection (sweep: Sweep | null): string {
  if (sweep === null) return ''
  return `<section>\n<h2>${esc(sweepTitle(sweep.sequentialMs))}</h2>\n` +
    `<figure>${sweepChart(sweep)}<figcaption>The ideal is the best speedup the injected delays allow at that concurrency (Little's law): min(C, N) when every delay is equal, less when a few slow requests set the end.</figcaption></figure>\n` +
    htmlTable(SWEEP_COLUMNS, sweep.points) + '\n</section>'
}

function headerSection (report: HarnessReport): string {
  const { server, machine } = report
  const config = server.config === null
    ? 'not shown by the server'
    : Object.entries(server.config).map(([name, value]) => `<code>${esc(name)}=${esc(value)}</code>`).join(' ')
  const knobs = clientKnobs(report)
  const rows: Array<[string, string]> = [
    ['Seed', esc(report.seed === null ? 'unknown' : String(report.seed))],
    ['Server', `<code>${esc(server.url)}</code>${server.embedded ? ', started by the harness' : ''}`],
    ['Injection', config],
    ...(server.note === null ? [] : [['Note', esc(server.note)] as [string, string]]),
    ...(knobs.length === 0 ? [] : [['Client', esc(knobs.join(', '))] as [string, string]]),
    ['Runs', esc(runsLine(report).replace(/^Runs: /, ''))],
    ['Machine', esc(`Node ${machine.node}, ${machine.cpus} CPUs, ${machine.platform}`)],
    ['Codes', esc(`${report.codes.length}: ${report.codes.join(' ')}`)]
  ]
  const banner = report.incomplete ? `<p class="banner">${esc(incompleteRun(report))}</p>\n` : ''
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

/** A page of the given sections (HTML already), styled here for every report; `title` is text. */
export function htmlPage (title: string, sections: readonly string[]): string {
  const body = sections.filter(part => part !== '')
  return '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${esc(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`
}

/** The same report gives the same bytes: nothing here reads a clock or a random number. */
export function htmlReport (report: HarnessReport): string {
  const maxDelayMs = loopScaleMs(report.modes)
  return htmlPage(`Flag harness, seed ${report.seed ?? 'unknown'}`, [
    headerSection(report),
    summarySection(report.modes),
    ...report.modes.map(m => modeSection(m, report.codes.length, maxDelayMs)),
    sweepSection(report.sweep)
  ])
}
