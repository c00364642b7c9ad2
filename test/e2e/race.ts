import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { allGone, gone, raceEvents, start, startApp } from '../fixtures/race.js'
import type { RaceEvent } from '../../harness/race/race.js'
import { spawnCompiled } from '../fixtures/run.js'
import { CHROMIUM_ARGS, chromiumPath, skipUnless } from '../fixtures/tools.js'

const CHROMIUM = chromiumPath()
// Generous: chromium's start and pooled's worker threads take seconds on a busy machine.
t.setTimeout(240000)

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
  const { pids, serverPid } = await lanesOf(base)
  t.equal(new Set([...pids, running.child.pid]).size, 4, 'three lanes, each in a process of its own, none the race\'s')
  running.child.kill('SIGINT')
  const run = await running.finished
  t.equal(run.code, 0, 'a clean exit')
  t.ok([...pids, serverPid].every(gone), 'the lanes\' processes and the embedded server are gone with it')
})

/** Once a race is under way: its lanes' pids and its server's. */
async function lanesOf (base: string): Promise<{ pids: number[], serverPid: number }> {
  const { events } = await raceEvents(base, event => event.type === 'go')
  const race = events.find(e => e.type === 'race') as Extract<RaceEvent, { type: 'race' }>
  const go = events.find(e => e.type === 'go') as Extract<RaceEvent, { type: 'go' }>
  return { pids: go.lanes.map(lane => lane.pid), serverPid: race.serverPid as number }
}

t.test('npm run race killed outright (SIGKILL, no handler runs): its lanes and its server end as their channel closes', async t => {
  t.setTimeout(60000)
  const running = spawnCompiled('harness/race/main.js', ['--port', '0'])
  const printed = await running.printed('stdout', /\/race \(/)
  const base = (/http:\/\/127\.0\.0\.1:\d+/.exec(printed) as RegExpExecArray)[0]
  t.equal((await start(base, { site: 'embedded', latency: '30s' })).status, 202)
  const { pids, serverPid } = await lanesOf(base)
  t.ok([...pids, serverPid].every(pid => !gone(pid)), 'the lanes and the server are running')
  running.child.kill('SIGKILL')
  await running.finished
  await allGone([...pids, serverPid])
  t.pass('every lane\'s process and the race\'s server have exited')
})

t.test('npm run race --host 0.0.0.0: listens on every interface, prints a loopback URL', async t => {
  t.setTimeout(60000)
  const running = spawnCompiled('harness/race/main.js', ['--port', '0', '--host', '0.0.0.0'])
  const printed = await running.printed('stdout', /\/race \(/)
  t.match(printed, /^Race page: http:\/\/127\.0\.0\.1:\d+\/race \(listening on 0\.0\.0\.0\) \(Ctrl-C to stop\)$/m)
  const base = (/http:\/\/127\.0\.0\.1:\d+/.exec(printed) as RegExpExecArray)[0]
  const page = await fetch(`${base}/race`)
  t.equal(page.status, 200, 'the page answers')
  await page.text()
  running.child.kill('SIGTERM')
  t.equal((await running.finished).code, 0, 'SIGTERM: a clean exit')
})

t.test('in a real browser: three warmed lanes, side by side, ranked only beyond the spread', { skip: skipUnless(CHROMIUM !== null, 'chromium') }, async t => {
  t.setTimeout(120000)
  const base = await startApp(t)
  const browser = await chromium.launch({ executablePath: CHROMIUM ?? undefined, args: CHROMIUM_ARGS })
  t.teardown(async () => await browser.close())
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } })
  const problems: string[] = []
  page.on('console', message => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  await page.goto(`${base}/race`, { waitUntil: 'load' })

  t.equal(await page.inputValue('input[name="latency"]'), '50ms..150ms', 'a latency range by default')
  t.equal(await page.inputValue('input[name="maxReq"]'), '20', 'the harness\'s concurrency by default')
  // The race: 20 flags at a fixed 100 ms, no CPU work, so the lanes run together.
  await page.fill('input[name="latency"]', '100ms')
  await page.fill('input[name="cpuWork"]', '0ms')
  await page.click('button[type="submit"]')
  for (const mode of ['sequential', 'pooled', 'async']) {
    await page.waitForSelector(`.lane[data-mode="${mode}"][data-done]`, { timeout: 60000 })
  }
  // The result comes after the last lane: the speedups are written, then the body is marked.
  await page.waitForSelector('body[data-done]', { timeout: 60000 })
  // Every image loaded (or given up), so the screenshot shows the flags.
  await page.waitForFunction(() => [...document.images].every(image => image.complete), undefined, { timeout: 30000 })
  const images = await page.evaluate(() => [...document.images].map(image => ({ src: image.getAttribute('src'), loaded: image.naturalWidth > 0 })))
  t.equal(images.length, 60, 'a picture for every flag of every lane')
  t.ok(images.every(image => image.loaded && /^race\/flags\/[a-z]{2}\.gif$/.test(image.src ?? '')), 'each loaded, by a URL relative to the page (the race server\'s)')

  const clocks: Record<string, number> = {}
  for (const mode of ['sequential', 'pooled', 'async']) {
    const lane = page.locator(`.lane[data-mode="${mode}"]`)
    t.equal(await lane.locator('li.flag.ok').count(), 20, `${mode}: 20 flags`)
    clocks[mode] = Number(await lane.getAttribute('data-elapsed-ms'))
    t.match(await lane.locator('.clock').textContent(), /^\d+\.\d\d s$/, `${mode}: its clock reads in seconds`)
  }
  t.ok((clocks.async as number) < (clocks.sequential as number), `async (${clocks.async} ms) before sequential (${clocks.sequential} ms)`)
  t.ok((clocks.pooled as number) < (clocks.sequential as number), `pooled (${clocks.pooled} ms) before sequential`)
  t.ok((clocks.sequential as number) >= 2000, 'sequential took at least 20 × 100 ms')
  const summary = await page.locator('#summary').textContent() ?? ''
  t.match(summary, /^pooled \d+\.\d×, async \d+\.\d× faster than sequential/)
  t.match(await page.locator('.lane[data-mode="async"] .speedup').textContent(), /^\d+\.\d× sequential$/)
  // Sequential's ideal is 20 × 100 ms = 2000 ms; pooled's and async's, the 20 waits at once, 100 ms:
  // an ideal speedup of 20, shown beside the measured one.
  for (const mode of ['pooled', 'async']) t.equal(await page.locator(`.lane[data-mode="${mode}"] .ideal`).textContent(), 'ideal 20.0× (0.10 s)', `${mode}: its ideal speedup`)
  t.equal(await page.locator('.lane[data-mode="sequential"] .ideal').textContent(), 'ideal 2.00 s')
  // Warmed: each lane shows its cold costs apart, pooled its threads' start-up too.
  for (const mode of ['sequential', 'pooled', 'async']) t.match(await page.locator(`.lane[data-mode="${mode}"] .cold`).textContent(), /^Before the race, not in its time: .*warm-up run \d+\.\d\d s/, `${mode}: its cold costs apart`)
  t.match(await page.locator('.lane[data-mode="pooled"] .cold').textContent(), /worker threads started in \d+\.\d\d s/)
  // Warmed lanes overlap their waits: the ideal speedup is 20. The bar is a fifth of it, 4×: a
  // lane may take 5 × its ideal (0.5 s, 20 ms over the wait per flag, where the client's own cost
  // is under 1 ms) beside a CPU hog and still pass, as no lane that waited its flags one by one
  // could (it takes sequential's 2 s). On this 2-core machine, shared (load 11 to 30), warmed lanes read 6 to 17×.
  const speedups = Object.fromEntries(['pooled', 'async'].map(mode => [mode, (clocks.sequential as number) / (clocks[mode] as number)]))
  t.ok((speedups.pooled as number) >= 4 && (speedups.async as number) >= 4, `pooled ${speedups.pooled?.toFixed(1)}×, async ${speedups.async?.toFixed(1)}× sequential: each ≥ 4×`)
  // The same ideal for both: neither can finish before the other's 100 ms, so by the page's rule
  // they are never ranked, whatever the noise.
  t.match(summary, /Within the run-to-run spread, not ranked: (?:[a-z]+ and [a-z]+; )*pooled and async /, 'pooled and async within the spread')
  t.notMatch(summary, /(pooled|async) ahead of (pooled|async)/, 'pooled and async not ranked against each other')
  t.same(problems, [], 'no console error and no page error')

  const png = join(t.testdir({}), 'race.png')
  await page.screenshot({ path: png, fullPage: true })
  const bytes = await readFile(png)
  t.ok(bytes.length > 10000, `a screenshot with something in it (${bytes.length} bytes)`)
  t.same([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
  if (process.env.RACE_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.RACE_SCREENSHOT, fullPage: true })
})
