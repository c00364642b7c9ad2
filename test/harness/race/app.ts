import t from 'tap'
import { request } from 'undici'
import type { RaceEvent } from '../../../harness/race/race.js'
import { allGone, gone, openApp, raceEvents, start, startApp } from '../../fixtures/race.js'

const FIVE = ['BR', 'CN', 'IN', 'NG', 'US']

// Generous: pooled's worker threads take seconds on a busy machine.
t.setTimeout(120000)

t.test('the event stream: one event per flag per mode, from a real run; one race at a time', async t => {
  t.setTimeout(60000)
  const base = await startApp(t, FIVE)
  const [first, second] = await Promise.all([start(base, { site: 'embedded', latency: '20ms' }), start(base, { site: 'embedded', latency: '20ms' })])
  t.same([first.status, second.status].sort(), [202, 409], 'one race starts, the other is refused')
  t.match((first.status === 409 ? first : second).body.error, /a race is already running/, 'with a message')
  t.match((first.status === 202 ? first : second).body, { site: /^the harness's own server \(latency 20ms\)$/ })

  const { contentType, events } = await raceEvents(base)
  t.match(contentType, /^text\/event-stream/)
  t.match(events[0], { type: 'race', codes: FIVE, cpuWorkMs: 0, serverPid: Number, modes: [{ mode: 'sequential', concurrency: 1 }, { mode: 'pooled', concurrency: 5 }, { mode: 'async', concurrency: 5 }] })
  t.match(events[1], { type: 'go' }, 'the clocks start once every mode is open')
  t.notMatch(JSON.stringify(events), /https?:\/\//, 'no URL in what the page is told: it fetches only from the race server')

  // Each lane in a process of its own: three pids, none of them this process (where the app runs).
  const go = events[1]?.type === 'go' ? events[1].lanes : []
  t.same(go.map(lane => lane.mode), ['sequential', 'pooled', 'async'])
  t.match(events[1], { warmed: true, turns: false }, 'with the harness\'s own server, every lane warmed up before the go; no CPU work, no turns')
  t.same(events.filter(e => e.type === 'turn'), [{ type: 'turn', modes: ['sequential', 'pooled', 'async'] }], 'every clock starts at once')
  t.ok(go.every(lane => (lane.coldMs ?? 0) > 0), `each lane's cold run timed apart (${go.map(lane => lane.coldMs).join(', ')} ms)`)
  t.same(go.map(lane => lane.startupMs === null), [true, false, true], 'the worker threads\' start-up apart, for pooled only')
  const pids = go.map(lane => lane.pid)
  t.equal(new Set([...pids, process.pid]).size, 4, `three lanes, three processes, none of them the race's (${pids.join(', ')}; race ${process.pid})`)
  for (const mode of ['sequential', 'pooled', 'async']) {
    const flags = events.filter(e => e.type === 'flag' && e.mode === mode)
    t.same(flags.map(e => e.type === 'flag' ? e.cc : '').sort(), FIVE, `${mode}: one event per flag`)
    t.ok(flags.every(e => e.type === 'flag' && e.outcome === 'ok' && e.atMs >= 20), `${mode}: each ok, each after its 20 ms`)
    const lane = events.findIndex(e => e.type === 'lane' && e.mode === mode)
    t.ok(lane > events.indexOf(flags.at(-1) as RaceEvent), `${mode}: its lane ends after its last flag`)
  }
  const result = events.at(-1)
  t.match(result, { type: 'result', modes: [{ mode: 'sequential', speedup: 1, ok: 5, pid: pids[0] }, { mode: 'pooled', ok: 5, pid: pids[1] }, { mode: 'async', ok: 5, pid: pids[2] }] })
  t.ok(result?.type === 'result' && result.modes.every(m => (m.idealMs ?? 0) >= (m.mode === 'sequential' ? 100 : 20)), 'each lane with its ideal: the waits alone, 5 × 20 ms for sequential')
  // 5 × 20 ms for sequential, 20 ms for the others (5 at once): an ideal speedup of 100 / 20 = 5.
  t.same(result?.type === 'result' ? result.modes.map(m => m.idealSpeedup) : [], [1, 5, 5], 'each lane\'s ideal speedup')
  // Pooled and async have the same ideal, and neither can finish before its 20 ms waits are over.
  t.same(result?.type === 'result' ? result.verdicts.find(v => v.modes.join() === 'pooled,async') : null, { modes: ['pooled', 'async'], ahead: 'spread' }, 'pooled and async: never ranked, the same ideal')
  const sequential = events.find(e => e.type === 'lane' && e.mode === 'sequential')
  t.ok(sequential?.type === 'lane' && sequential.elapsedMs >= 100, 'sequential took at least 5 × 20 ms')
  // The result is sent once all is cleaned up: nothing of the race is left when it comes.
  t.ok(pids.every(gone), 'the lanes\' processes have exited when the result comes')
  const serverPid = events[0]?.type === 'race' ? events[0].serverPid as number : 0
  t.ok(gone(serverPid), 'the race\'s embedded server is stopped once it ends')

  const late = await raceEvents(base)
  t.same(late.events, events, 'a page that connects later gets the latest race again')
  t.equal((await start(base, { site: 'embedded', latency: '0ms' })).status, 202, 'once a race is over, another may start')
})

t.test('the CPU work: every lane does it after each download, and the ideal counts it', async t => {
  const base = await startApp(t, FIVE)
  const started = await start(base, { site: 'embedded', latency: '0ms', cpuWork: '40ms', maxReq: '2' })
  t.equal(started.status, 202)
  t.match(started.body.site, /, 40ms of CPU work per flag$/)
  const { events } = await raceEvents(base)
  t.match(events[0], { type: 'race', cpuWorkMs: 40, modes: [{ mode: 'sequential', concurrency: 1 }, { mode: 'pooled', concurrency: 2 }, { mode: 'async', concurrency: 2 }] }, 'the concurrency asked for')
  t.match(events[1], { type: 'go', warmed: true, turns: true }, 'with CPU work, the lanes take turns')
  // Each lane's turn after the one before has ended: one lane at a time has the cores.
  const order = events.flatMap(e => e.type === 'turn' ? [`turn ${e.modes.join()}`] : e.type === 'lane' ? [`end ${e.mode}`] : [])
  t.same(order, ['turn sequential', 'end sequential', 'turn pooled', 'end pooled', 'turn async', 'end async'])
  const result = events.at(-1)
  t.ok(result?.type === 'result', 'the race ends with its result')
  for (const m of result?.type === 'result' ? result.modes : []) {
    t.equal(m.ok, 5, `${m.mode}: 5 flags`)
    // 5 × 40 ms of work on one thread for sequential and async; pooled spreads it over the cores.
    // The ideal counts it exactly; the elapsed time at least half of it: the work is calibrated
    // once, in the race's process, and run later, up to a third faster when the sibling
    // hyperthread was busy during the calibration (147.6 ms here for 5 × 40 ms, beside the suite).
    if (m.mode !== 'pooled') t.ok((m.idealMs ?? 0) >= 200 && m.elapsedMs >= 100, `${m.mode}: ideal ${m.idealMs} ms, elapsed ${m.elapsedMs} ms, for 5 × 40 ms of work`)
  }
})

t.test('what the app refuses, and the page: every URL relative to it', async t => {
  const base = await startApp(t)
  const bad = await start(base, { site: 'embedded', latency: 'fast' })
  t.equal(bad.status, 400)
  t.match(bad.body.error, /^--latency: invalid value "fast"; accepted: /, 'the harness\'s own message')
  for (const cpuWork of ['lots', '20', '11s', '-1ms']) {
    const refused = await start(base, { site: 'embedded', cpuWork })
    t.equal(refused.status, 400, `CPU work ${cpuWork}: 400`)
    t.match(refused.body.error, new RegExp(`^--cpu-work: invalid value "${cpuWork}"; accepted: a duration with a unit, e\\.g\\. 200ms, 1\\.5s, 2s, at most 10s$`), 'the harness\'s own message')
  }
  t.equal((await start(base, { site: 'REMOTE' })).status, 400, 'an unknown site')
  for (const maxReq of ['0', '1001', 'x', '2.5', '-1']) {
    const refused = await start(base, { site: 'embedded', maxReq })
    t.equal(refused.status, 400, `max-req ${maxReq}: 400`)
    t.match(refused.body.error, new RegExp(`^--max-req: invalid value "${maxReq.replace('.', '\\.')}"; accepted: a whole number from 1 to 1000$`), 'the harness\'s own message')
  }
  const page = await request(`${base}/race`)
  t.match(page.headers['content-type'], /^text\/html/)
  const html = await page.body.text()
  t.match(html, /^<!DOCTYPE html>/)
  t.notMatch(html, /<link rel="stylesheet"|https?:\/\//, 'inline style, nothing from another origin')
  t.match(html, /<script type="module" src="race\/page\.js"><\/script>/, 'its script, served beside it, by a relative URL')
  t.notMatch(html, /(?:src|href|action)="\//, 'no URL from the root')
  t.match(html, /<input name="latency" value="50ms\.\.150ms"/, 'the latency field: a range, so that completion order shows')
  t.match(html, /<input name="cpuWork" value="0ms"/, 'the CPU work field')
  t.match(html, /<input name="maxReq" value="20"/, 'the concurrency field, the harness\'s --max-req default')
  const script = await request(`${base}/race/page.js`)
  t.match(script.headers['content-type'], /^text\/javascript/)
  const code = await script.body.text()
  t.match(code, /new EventSource\('race\/events'\)/, 'the compiled browser script, its stream relative')
  t.match(code, /fetch\('race\/start'/, 'the start too')
  t.match(code, /`race\/flags\/\$\{cc\}\.gif`/, 'and the pictures, from the race server')
  t.notMatch(code, /https?:\/\/|'\/race|`\/race|baseUrl/, 'no absolute URL, no flag server address')
  t.match(code, /cpuWork: cpuWorkField\.value/, 'the CPU work goes with the start')
  t.match(code, /maxReq: maxReqField\.value/, 'and the concurrency')
  t.equal([...html.matchAll(/<li[ >]|data-cc=/g)].length, 0, 'no flag before a race')
  const root = await request(`${base}/`)
  await root.body.dump()
  t.match(root, { statusCode: 302, headers: { location: 'race' } }, 'the root sends to the page, relatively')

  const gif = await request(`${base}/race/flags/cn.gif`)
  t.match(gif, { statusCode: 200, headers: { 'content-type': 'image/gif' } })
  t.equal(Buffer.from(await gif.body.arrayBuffer()).subarray(0, 6).toString('latin1'), 'GIF89a', 'a flag\'s picture, served by the race server')
  for (const file of ['zz.gif', 'CN.gif', 'cn.png', '..%2Fcn.gif']) {
    const missing = await request(`${base}/race/flags/${file}`)
    await missing.body.dump()
    t.equal(missing.statusCode, 404, `${file}: 404`)
  }
})

t.test('the app closed in the middle of a race: its lanes and its server are gone', async t => {
  const { base, close } = await openApp(t, FIVE)
  // A long latency: the race is still running when the app closes.
  t.equal((await start(base, { site: 'embedded', latency: '30s' })).status, 202)
  const { events } = await raceEvents(base, event => event.type === 'go')
  const pids = [...(events.at(-1)?.type === 'go' ? (events.at(-1) as { lanes: Array<{ pid: number }> }).lanes.map(l => l.pid) : [])]
  const serverPid = events[0]?.type === 'race' ? events[0].serverPid as number : 0
  t.equal(pids.length, 3)
  t.ok(pids.every(pid => !gone(pid)), 'the lanes are running')
  await close()
  await allGone([...pids, serverPid])
  t.pass('every lane\'s process and the server have exited')
})
