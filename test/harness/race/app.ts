import t from 'tap'
import { request } from 'undici'
import type { RaceEvent } from '../../../harness/race/race.js'
import { raceEvents, refused, start, startApp } from '../../fixtures/race.js'

const FIVE = ['BR', 'CN', 'IN', 'NG', 'US']

// Generous: pooled's worker threads take seconds on a busy machine.
t.setTimeout(120000)

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
  t.notMatch(html, /<link rel="stylesheet"|https?:\/\//, 'inline style, nothing from another origin')
  t.match(html, /<script type="module" src="\/race\/page\.js"><\/script>/, 'its script, served beside it')
  const script = await request(`${base}/race/page.js`)
  t.match(script.headers['content-type'], /^text\/javascript/)
  t.match(await script.body.text(), /new EventSource\('\/race\/events'\)/, 'the compiled browser script')
  t.equal([...html.matchAll(/<li[ >]|data-cc=/g)].length, 0, 'no flag before a race')
  const root = await request(`${base}/`)
  await root.body.dump()
  t.match(root, { statusCode: 302, headers: { location: '/race' } })
})
