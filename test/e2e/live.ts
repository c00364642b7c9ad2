// The live view in a real browser, the harness's three modes as its clients: each run's bars and
// greatest concurrency as the page shows them, and the same requests as the harness's --csv and
// the server's --record write them. LIVE_SCREENSHOTS=docs saves a screenshot of each run
// there (docs/SERVER.md, "The live view").

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium } from 'playwright-core'
import t from 'tap'
import { RUN_GAP_MS } from '../../server/live/feed.js'
import { spawnCompiled } from '../fixtures/run.js'
import { CHROMIUM_ARGS, chromiumPath, skipUnless } from '../fixtures/tools.js'

const CHROMIUM = chromiumPath()
t.setTimeout(300000)

/** A CSV file's rows as objects: the columns hold no commas here (paths, statuses, numbers). */
async function csvRows (file: string): Promise<Array<Record<string, string>>> {
  const [head, ...lines] = (await readFile(file, 'utf8')).trimEnd().split('\n')
  const columns = (head ?? '').split(',')
  return lines.map(line => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])))
}

t.test('/live in Chromium: the harness\'s sequential, pooled and async runs, as bars and as CSV', { skip: skipUnless(CHROMIUM !== null, 'chromium') }, async t => {
  const dir = t.testdir({})
  const record = join(dir, 'arrivals.csv')
  // 500ms a flag, the server's default here (pooled and async ask for more, below).
  const server = spawnCompiled('server/main.js', ['--port', '0', '--latency', '500ms', '--log', 'off', '--record', record])
  t.teardown(() => { server.child.kill('SIGKILL') })
  const port = (/http:\/\/localhost:(\d+)\/flags/.exec(await server.printed('stdout', /Ctrl-C/)) as RegExpExecArray)[1] as string
  const base = `http://127.0.0.1:${port}`

  const browser = await chromium.launch({ executablePath: CHROMIUM ?? undefined, args: CHROMIUM_ARGS })
  t.teardown(async () => await browser.close())
  const page = await browser.newPage({ viewport: { width: 1240, height: 900 } })
  const problems: string[] = []
  page.on('console', message => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  await page.goto(`${base}/live`, { waitUntil: 'load' })
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Live.' || document.getElementById('injection')?.textContent !== '')

  // Known answers: 20 flags at 500ms each. Sequential has one request in flight at a time, on
  // one connection; pooled's 20 threads and async's 20 requests in flight have all 20 at once.
  // Those two ask for 2s a flag (the harness's --latency, sent as a header): cold, twenty threads
  // each loading the client on two busy cores may start their first requests over 500 ms apart.
  const expected = { sequential: { peak: 1, delayMs: 500 }, pooled: { peak: 20, delayMs: 2000 }, async: { peak: 20, delayMs: 2000 } }
  let run = 0
  for (const [mode, { peak, delayMs }] of Object.entries(expected)) {
    run++
    const latency = delayMs === 500 ? [] : ['--latency', `${delayMs}ms`]
    const harness = await spawnCompiled('harness/cli/main.js', ['--server', `${base}/flags`, '--mode', mode, ...latency, '--cold', '--repeat', '1', '--csv', join(dir, `${mode}.csv`)]).finished
    t.equal(harness.code, 0, `${mode}: the harness ran`)
    await page.waitForSelector(`#summary[data-run="${run}"][data-requests="20"][data-in-flight="0"]`, { timeout: 60000 })
    const shown = await page.locator('#summary').evaluate(el => ({ ...(el as HTMLElement).dataset }))
    t.equal(shown.bars, '20', `${mode}: 20 bars`)
    t.equal(shown.peak, String(peak), `${mode}: greatest concurrency ${peak}`)
    t.equal(await page.locator(`#runs tr[data-run="${run}"] td`).nth(3).textContent(), String(peak), `${mode}: the runs table says ${peak} too`)
    t.equal(await page.locator('#bars rect.bar[data-fate="ok"]').count(), 20, `${mode}: every bar ok`)
    if (mode === 'sequential') t.equal(await page.locator('#bars text').count(), 1, 'sequential: one row, its one connection')
    t.match(await page.locator('#summary').textContent(), new RegExp(`^Run ${run}: 20 requests in \\d+\\.\\d\\d s, over; greatest concurrency ${peak}; errors: none$`))
    if (process.env.LIVE_SCREENSHOTS !== undefined) await page.screenshot({ path: join(process.env.LIVE_SCREENSHOTS, `live-${mode}.png`), fullPage: true })

    const rows = await csvRows(join(dir, `${mode}.csv`))
    t.equal(rows.length, 20, `${mode} --csv: a row per request`)
    t.ok(rows.every(row => row.mode === mode && row.run === '1' && row.status === '200' && row.fault === 'none' && row.delay_ms === String(delayMs)), `${mode} --csv: run 1, each 200 after the ${delayMs}ms injected`)
    t.ok(rows.every(row => Number(row.end_ms) - Number(row.start_ms) >= delayMs), `${mode} --csv: each took the ${delayMs}ms at least`)
    // A gap with nothing in flight: the next mode is a new run on the page.
    await sleep(RUN_GAP_MS + 300)
  }
  await page.close()
  t.same(problems, [], 'no console error and no page error')

  server.child.kill('SIGINT')
  t.equal((await server.finished).code, 0, 'the server closed cleanly, the page gone')
  const arrivals = await csvRows(record)
  t.same([1, 2, 3].map(n => arrivals.filter(row => row.run === String(n)).length), [20, 20, 20], '--record: the three runs, 20 requests each')
  const asked = Object.values(expected).map(({ delayMs }) => String(delayMs))
  t.ok(arrivals.every(row => row.site === 'CUSTOM' && row.status === '200' && row.delay_ms === asked[Number(row.run) - 1] && row.client === '127.0.0.1'), '--record: each 200 after the delay its run asked for, from the loopback')
  const sequential = await csvRows(join(dir, 'sequential.csv'))
  t.same(arrivals.filter(row => row.run === '1').map(row => row.path), sequential.map(row => row.path), 'the server saw sequential\'s requests in the order the harness sent them')
  t.equal(new Set(arrivals.filter(row => row.run === '1').map(row => row.connection)).size, 1, 'on one connection')
})
