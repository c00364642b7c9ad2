import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import t from 'tap'
import type { RequestFigure } from '../../../harness/core/figures.js'
import { htmlReport } from '../../../harness/reports/html.js'
import { escapeHtml } from '../../../harness/reports/svg.js'
import type { HarnessReport } from '../../../harness/core/result.js'
import { CHROMIUM_ARGS, chromiumPath, skipUnless } from '../../fixtures/tools.js'

// CHROMIUM_ARGS keep the browser from calling home, so a page that fetched anything would show
// in the request log alone.
const CHROMIUM = chromiumPath()

async function fixture (name: string): Promise<HarnessReport> {
  return JSON.parse(await readFile(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')) as HarnessReport
}

/** The <svg> elements of one kind, each as its text, keyed by the attribute that names it. */
function charts (html: string, attribute: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of html.matchAll(/<svg [^>]*>[\s\S]*?<\/svg>/g)) {
    const name = new RegExp(`${attribute}="([^"]*)"`).exec(match[0].slice(0, match[0].indexOf('>')))?.[1]
    if (name !== undefined) found.set(name, match[0])
  }
  return found
}

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length

t.test('deterministic and self-contained', async t => {
  const report = await fixture('report.json')
  const html = htmlReport(report)
  t.equal(htmlReport(report), html, 'the same report gives the same bytes')
  t.equal(htmlReport(structuredClone(report)), html, 'a copy of the report too: nothing depends on identity')
  t.ok(html.includes(escapeHtml(report.server.url)), 'the server URL is shown')
  t.notMatch(html.replaceAll(escapeHtml(report.server.url), ''), /https?:\/\//, 'no other URL: nothing to fetch')
  t.notMatch(html, /<script|<link|@import|url\(|<img|<iframe/i, 'no script, stylesheet, font or image to load')
  t.match(html, /^<!DOCTYPE html>\n<html lang="en">/, 'a whole page')
  t.ok(html.includes(escapeHtml(report.command)), 'the command that reproduces the run')
  t.notOk(html.includes('class="sweep"'), 'no sweep chart without a sweep')
  t.notOk(html.includes('INCOMPLETE'), 'no banner for a complete run')
})

t.test('every string from the report is escaped', async t => {
  const report = await fixture('report.json')
  const attack = '<script>alert(1)</script>'
  const first = report.modes[0] as HarnessReport['modes'][number]
  const hostile: RequestFigure = { ...first.requests[0] as RequestFigure, cc: '"><b>x</b>', outcome: 'error', reason: attack }
  const html = htmlReport({
    ...report,
    command: `npm run harness -- ${attack}`,
    server: { ...report.server, url: `http://x/${attack}`, config: { [attack]: attack }, note: attack },
    machine: { ...report.machine, platform: attack },
    modes: [{ ...first, requests: [hostile], errorReasons: { [attack]: 1 } }]
  })
  t.ok(html.includes('npm run harness -- &lt;script&gt;alert(1)&lt;/script&gt;'), 'the command, escaped')
  t.notOk(html.includes('<script'), 'no script element anywhere')
  t.notOk(html.includes('<b>x</b>'), 'a code cannot open an element')
  t.ok(html.includes('data-cc="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"'), 'nor leave its attribute')
  t.equal(escapeHtml('a&b\'"'), 'a&amp;b&#39;&quot;')
})

t.test('what the page shows', async t => {
  const report = await fixture('report-sweep.json')
  const html = htmlReport(report)
  const timelines = charts(html, 'data-mode')
  t.same([...timelines.keys()], report.modes.map(m => m.mode), 'one timeline per mode, in the report\'s order')
  for (const m of report.modes) {
    const svg = timelines.get(m.mode) ?? ''
    t.equal(count(svg, /class="bar /g), m.requests.length, `${m.mode}: one bar per request`)
    t.equal(count(svg, /class="mark"/g), m.errors + 1, `${m.mode}: one mark per error, plus the legend's`)
    for (const r of m.requests) t.ok(svg.includes(`data-cc="${r.cc}"`), `${m.mode}: ${r.cc} has its bar`)
  }
  t.equal(charts(html, 'data-loop').size, report.modes.length, 'one event-loop chart per mode')
  const sweep = report.sweep as NonNullable<HarnessReport['sweep']>
  t.equal(count(html, /<circle class="point"/g), sweep.points.length, 'a point per sweep measurement')
  t.equal(count(html, /<polyline /g), 3, 'pooled, async, and the ideal they share')
  t.match(html, /time since the mode started \(s\); full width 3\.16s/, 'sequential in seconds, its scale printed')
  t.match(html, /time since the mode started \(ms\); full width 0\.52s/, 'pooled in ms')
  t.match(html, /Errors: 3 http-418, 1 reset\./, 'error reasons, the most frequent first')
  t.match(html, /Pool start-up 0\.49s/)
  t.match(html, /8 workers busy 0\.02 to 0\.06/)
  t.match(html, /<dt>Seed<\/dt><dd>42<\/dd>/)
})

t.test('the rarer cases: a --sweep run (sequential is its only mode), cut short, 404s, a long code list, ideals that differ', async t => {
  const report = await fixture('report-sweep.json')
  const sequential = report.modes[0] as HarnessReport['modes'][number]
  const sweep = report.sweep as NonNullable<HarnessReport['sweep']>
  const many: RequestFigure[] = Array.from({ length: 676 }, (_, i) => ({
    cc: `C${i}`, outcome: i % 3 === 0 ? 'not-found' : 'ok', status: i % 3 === 0 ? 404 : 200, reason: null, startMs: i, endMs: i + 0.2, injectedDelayMs: i % 2 === 0 ? null : 0.1
  }))
  const html = htmlReport({
    ...report,
    seed: null,
    incomplete: true,
    cpuWorkMs: 20,
    syncSave: true,
    server: { ...report.server, embedded: false, config: null, note: 'latency chosen for the demo' },
    modes: [{ ...sequential, requests: many, loopSamples: [], complete: false, notRun: 3, runsMs: [900, 1000, 1100], workerUtilization: [] }],
    sweep: { ...sweep, points: sweep.points.map(p => p.mode === 'async' ? { ...p, idealSpeedup: (p.idealSpeedup ?? 0) + 1 } : p) }
  })
  t.match(html, /<p class="banner">INCOMPLETE RUN/, 'the banner')
  t.match(html, /INCOMPLETE: 3 of 20 codes not run/, 'and the mode says how much is missing')
  t.match(html, /<dt>Seed<\/dt><dd>unknown<\/dd>/)
  t.match(html, /Injection<\/dt><dd>not shown by the server/)
  t.match(html, /latency chosen for the demo/)
  t.match(html, /20\.0ms of CPU work after each download, saved with writeFileSync/)
  t.match(html, /3\.16s \(0\.90s-1\.10s\)/, 'the median run, and the range over the runs')
  t.same([...charts(html, 'data-mode').keys()], ['sequential'], 'a timeline for the one mode')
  const svg = charts(html, 'data-mode').get('sequential') ?? ''
  t.equal(count(svg, /class="bar /g), 676, 'every request, squeezed')
  t.equal(count(svg, /class="bar not-found"/g), 226, 'not found in its own style')
  t.notOk(svg.includes('>C5<'), 'too many rows to name: the axis counts them instead')
  t.match(svg, />600</, 'up to 600')
  t.equal(count(html, /<polyline /g), 4, 'an ideal curve for each mode when they differ')
  t.match(html, /async, ideal \(Little&#39;s law\)/)
})

t.test('in a real browser', { skip: skipUnless(CHROMIUM !== null, 'chromium') }, async t => {
  t.setTimeout(60000)
  const report = await fixture('report-sweep.json')
  const dir = t.testdir({})
  const file = join(dir, 'report.html')
  await writeFile(file, htmlReport(report))

  const browser = await chromium.launch({ executablePath: CHROMIUM ?? undefined, args: CHROMIUM_ARGS })
  t.teardown(async () => await browser.close())
  const page = await browser.newPage({ viewport: { width: 1040, height: 900 } })
  const problems: string[] = []
  const requested: string[] = []
  page.on('console', message => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  page.on('request', request => requested.push(request.url()))
  const url = pathToFileURL(file).href
  await page.goto(url, { waitUntil: 'load' })

  t.same(problems, [], 'no console error and no page error')
  t.same(requested, [url], 'the page loads nothing but itself')
  t.equal(await page.locator('svg[data-mode]').count(), report.modes.length, 'one timeline per mode')
  for (const m of report.modes) {
    t.equal(await page.locator(`svg[data-mode="${m.mode}"] .bar`).count(), m.requests.length, `${m.mode}: one bar per request`)
  }
  t.equal(await page.locator('svg.sweep').count(), 1, 'the sweep chart')
  t.ok(await page.locator('svg.sweep').isVisible(), 'and it is laid out')

  const png = join(dir, 'report.png')
  await page.screenshot({ path: png, fullPage: true })
  const bytes = await readFile(png)
  t.ok(bytes.length > 10000, `a screenshot with something in it (${bytes.length} bytes)`)
  t.same([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
})
