import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { buildRaceApp } from '../../harness/race/app.js'
import type { RaceEvent } from '../../harness/race/race.js'
import { spawnCompiled } from '../fixtures/run.js'

const CHROMIUM = '/usr/bin/chromium'
// As test/harness/html.ts: what STYLE.md found to run Debian's chromium headless here.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic']
const FIVE = ['BR', 'CN', 'IN', 'NG', 'US']

// Generous: chromium's start and pooled's worker threads take seconds on a busy machine.
t.setTimeout(240000)

async function startApp (t: Test, codes?: string[]): Promise<string> {
  const app = buildRaceApp(codes === undefined ? {} : { codes })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => await app.close())
  const address = app.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

async function start (base: string, body: Record<string, string>): Promise<{ status: number, body: { error?: string, baseUrl?: string } }> {
  const res = await request(`${base}/race/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.statusCode, body: await res.body.json() as { error?: string, baseUrl?: string } }
}

/** The event stream, read until the race's result (or its failure). */
async function raceEvents (base: string): Promise<{ contentType: unknown, events: RaceEvent[] }> {
  const res = await request(`${base}/race/events`)
  const events: RaceEvent[] = []
  let text = ''
  for await (const chunk of res.body) {
    text += (chunk as Buffer).toString()
    let end: number
    while ((end = text.indexOf('\n\n')) >= 0) {
      const data = /^data: (.*)$/m.exec(text.slice(0, end))?.[1]
      text = text.slice(end + 2)
      if (data === undefined) continue
      const event = JSON.parse(data) as RaceEvent
      events.push(event)
      if (event.type === 'result' || event.type === 'failed') {
        res.body.destroy()
        return { contentType: res.headers['content-type'], events }
      }
    }
  }
  return { contentType: res.headers['content-type'], events }
}

/** True when nothing listens at the URL's origin any more. */
async function refused (url: string): Promise<boolean> {
  return await request(new URL('/healthz', url)).then(
    async res => { await res.body.dump(); return false },
    (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED')
}

t.test('the event stream: one event per flag per mode, from a real run; one race at a time', async t => {
  t.setTimeout(60000)
  const base = await startApp(t, FIVE)
  const [first, second] = await Promise.all([start(base, { site: 'embedded', latency: '20ms' }), start(base, { site: 'embedded', latency: '20ms' })])
  t.same([first.status, second.status].sort(), [202, 409], 'one race starts, the other is refused')
  t.match((first.status === 409 ? first : second).body.error, /a race is already running/, 'with a message')
  const baseUrl = (first.status === 202 ? first : second).body.baseUrl as string

  const { contentType, events } = await raceEvents(base)
  t.match(contentType, /^text\/event-stream/)
  t.match(events[0], { type: 'race', codes: FIVE, baseUrl, modes: [{ mode: 'sequential', concurrency: 1 }, { mode: 'pooled', concurrency: 5 }, { mode: 'async', concurrency: 5 }] })
  t.match(events[1], { type: 'go' }, 'the clocks start once every mode is open')
  for (const mode of ['sequential', 'pooled', 'async']) {
    const flags = events.filter(e => e.type === 'flag' && e.mode === mode)
    t.same(flags.map(e => e.type === 'flag' ? e.cc : '').sort(), FIVE, `${mode}: one event per flag`)
    t.ok(flags.every(e => e.type === 'flag' && e.outcome === 'ok' && e.atMs >= 20), `${mode}: each ok, each after its 20 ms`)
    const lane = events.findIndex(e => e.type === 'lane' && e.mode === mode)
    t.ok(lane > events.indexOf(flags.at(-1) as RaceEvent), `${mode}: its lane ends after its last flag`)
  }
  const result = events.at(-1)
  t.match(result, { type: 'result', modes: [{ mode: 'sequential', speedup: 1, ok: 5 }, { mode: 'pooled', ok: 5 }, { mode: 'async', ok: 5 }] })
  const sequential = events.find(e => e.type === 'lane' && e.mode === 'sequential')
  t.ok(sequential?.type === 'lane' && sequential.elapsedMs >= 100, 'sequential took at least 5 × 20 ms')
  t.ok(await refused(baseUrl), 'the race\'s embedded server is stopped once it ends')

  const late = await raceEvents(base)
  t.same(late.events, events, 'a page that connects later gets the latest race again')
  t.equal((await start(base, { site: 'embedded', latency: '0ms' })).status, 202, 'once a race is over, another may start')
})

t.test('what the app refuses, and the page', async t => {
  const base = await startApp(t)
  const bad = await start(base, { site: 'embedded', latency: 'fast' })
  t.equal(bad.status, 400)
  t.match(bad.body.error, /^--latency: invalid value "fast"; accepted: /, 'the harness\'s own message')
  t.equal((await start(base, { site: 'REMOTE' })).status, 400, 'an unknown site')
  const page = await request(`${base}/race`)
  t.match(page.headers['content-type'], /^text\/html/)
  const html = await page.body.text()
  t.match(html, /^<!DOCTYPE html>/)
  t.notMatch(html, /<script src|<link rel="stylesheet"|https?:\/\//, 'inline style and script, nothing from elsewhere')
  t.equal([...html.matchAll(/<li[ >]|data-cc=/g)].length, 0, 'no flag before a race')
  const root = await request(`${base}/`)
  await root.body.dump()
  t.match(root, { statusCode: 302, headers: { location: '/race' } })
})

t.test('npm run race: prints its URL; Ctrl-C stops the race and its server', async t => {
  t.setTimeout(60000)
  const bad = spawnCompiled('harness/race/main.js', ['--port', '70000'])
  const failed = await bad.finished
  t.equal(failed.code, 2)
  t.match(failed.stderr, /^flag-race: --port: invalid value "70000"/)
  const unknown = await spawnCompiled('harness/race/main.js', ['--nope']).finished
  t.match(unknown, { code: 2, stderr: /^flag-race: --nope: unknown option/ })
  const help = await spawnCompiled('harness/race/main.js', ['--help']).finished
  t.match(help, { code: 0, stdout: /^Usage: npm run race -- \[--port N\]/ })

  const running = spawnCompiled('harness/race/main.js', ['--port', '0'])
  const printed = await running.printed('stdout', /\/race \(/)
  const url = /http:\/\/127\.0\.0\.1:\d+\/race/.exec(printed)?.[0] as string
  t.ok(url, `the URL is printed: ${printed.trim()}`)
  const base = url.replace(/\/race$/, '')
  const started = await start(base, { site: 'embedded', latency: '2s' })
  t.equal(started.status, 202)
  running.child.kill('SIGINT')
  const run = await running.finished
  t.equal(run.code, 0, 'a clean exit')
  t.ok(await refused(started.body.baseUrl as string), 'the embedded server is gone')
})

t.test('in a real browser: three lanes, side by side', async t => {
  t.setTimeout(120000)
  if (!existsSync(CHROMIUM)) {
    t.fail(`Debian's chromium is missing at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (CI installs it)`)
    return
  }
  const base = await startApp(t)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  t.teardown(async () => await browser.close())
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } })
  const problems: string[] = []
  page.on('console', message => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  await page.goto(`${base}/race`, { waitUntil: 'load' })

  await page.fill('input[name="latency"]', '50ms')
  await page.click('button[type="submit"]')
  for (const mode of ['sequential', 'pooled', 'async']) {
    await page.waitForSelector(`.lane[data-mode="${mode}"][data-done]`, { timeout: 60000 })
  }
  // The result comes after the last lane: the speedups are written, then the body is marked.
  await page.waitForSelector('body[data-done]', { timeout: 60000 })
  // Every image loaded (or given up), so the screenshot shows the flags.
  await page.waitForFunction(() => [...document.images].every(image => image.complete), undefined, { timeout: 30000 })

  const clocks: Record<string, number> = {}
  for (const mode of ['sequential', 'pooled', 'async']) {
    const lane = page.locator(`.lane[data-mode="${mode}"]`)
    t.equal(await lane.locator('li.flag.ok').count(), 20, `${mode}: 20 flags`)
    clocks[mode] = Number(await lane.getAttribute('data-elapsed-ms'))
    t.match(await lane.locator('.clock').textContent(), /^\d+\.\d\d s$/, `${mode}: its clock reads in seconds`)
  }
  t.ok((clocks.async as number) < (clocks.sequential as number), `async (${clocks.async} ms) before sequential (${clocks.sequential} ms)`)
  t.ok((clocks.pooled as number) < (clocks.sequential as number), `pooled (${clocks.pooled} ms) before sequential`)
  t.ok((clocks.sequential as number) >= 1000, 'sequential took at least 20 × 50 ms')
  t.match(await page.locator('#summary').textContent(), /^pooled \d+\.\d×, async \d+\.\d× faster than sequential/)
  t.match(await page.locator('.lane[data-mode="async"] .speedup').textContent(), /^\d+\.\d× sequential$/)
  t.same(problems, [], 'no console error and no page error')

  const png = join(t.testdir({}), 'race.png')
  await page.screenshot({ path: png, fullPage: true })
  const bytes = await readFile(png)
  t.ok(bytes.length > 10000, `a screenshot with something in it (${bytes.length} bytes)`)
  t.same([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
  if (process.env.RACE_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.RACE_SCREENSHOT, fullPage: true })
})
