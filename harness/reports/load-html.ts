// npm run load's --report: the terminal's report as one self-contained page (no script, no
// file loaded), and for a rate sweep its chart. A pure function of the report, byte for byte.

import type { LoadReport } from '../core/load/report.js'
import type { SweepReport } from '../core/load/sweep.js'
import { htmlCells, htmlPage } from './html.js'
import { loadReportParts, sweepReportParts, type ReportParts } from './load.js'
import { rateSweepChart } from './rate-sweep-chart.js'
import { escapeHtml as esc } from './svg.js'

const paragraphs = (lines: readonly string[]): string => lines.map(line => `<p class="note">${esc(line)}</p>`).join('\n')

function page (title: string, command: string, parts: ReportParts, figure: string): string {
  return htmlPage(title, [
    `<header>\n<h1>${esc(title)}</h1>\n${paragraphs(parts.above)}\n<p>Reproduce with:</p>\n<pre><code>${esc(command)}</code></pre>\n</header>`,
    `<section>\n${htmlCells(parts.header, parts.rows)}\n${figure}${paragraphs(parts.below)}\n</section>`
  ])
}

const seedOf = (report: LoadReport): string => `seed ${report.seed ?? 'unknown'}`

/** One run, closed or open loop: its figures, every column; a single rate draws no chart. */
export function loadHtmlReport (report: LoadReport): string {
  return page(`Flag load, ${seedOf(report)}`, report.command, loadReportParts(report, true), '')
}

/** A rate sweep: its figures, then the chart of the rate achieved and the p99 against the target. */
export function sweepHtmlReport (sweep: SweepReport): string {
  const first = sweep.steps[0]
  const parts = sweepReportParts(sweep)
  if (first === undefined || parts === null) return htmlPage('Flag load sweep', ['<p>Sweep: stopped before its first step</p>'])
  const caption = 'Each point is one step: the rate its arrivals were sent at against the rate asked for (both on a log scale: on the dashed diagonal, the server kept up), ' +
    'and below on the same x its p99 from each request\'s intended start. The knee is the first rate the server did not keep up with; ' +
    'the horizontal line is the closed loop run after the sweep on the same server.'
  const figure = `<figure>${rateSweepChart(sweep)}<figcaption>${esc(caption)}</figcaption></figure>\n`
  return page(`Flag load sweep, ${seedOf(first.report)}`, first.report.command, parts, figure)
}
