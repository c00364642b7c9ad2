// How faults are applied, with answers worked out by hand: the slow body's plan, and each fault
// kind ending by --max-latency at the smallest rates and sizes that used to overshoot it.

import t from 'tap'
import { Pool, request } from 'undici'
import { parseServerTiming } from '../../server/contract/protocol.js'
import { slowBodyPlan } from '../../server/inject.js'
import { injectionOf, projectFlags, startSite } from '../fixtures/site.js'

t.test('slowBodyPlan: at the rate asked, unless the last byte would go out past the budget', async t => {
  // 2007 bytes at 10,000 B/s, 30 s of budget: 1,000 bytes a 100 ms tick, 3 ticks, 300 ms.
  t.same(slowBodyPlan(2007, 10_000, 30_000), { chunk: 1000, tickMs: 100, ms: 300 })
  // de.gif, 443 bytes at 1 B/s with the default 30 s: 300 ticks in the budget, so at least
  // ceil(443 / 300) = 2 bytes a tick, 222 ticks, 22.2 s. (Rounding 1.48 bytes a tick down to 1
  // made it 443 ticks, 44.3 s: 1.48 × the budget.) Past 4 ticks, the same 22.2 s in 4 ticks
  // of 5,550 ms, ceil(443 / 4) = 111 bytes each (issue 23: a write per 100 ms cost 12 × a delay's CPU).
  t.same(slowBodyPlan(443, 1, 30_000), { chunk: 111, tickMs: 5550, ms: 22_200 })
  // 1,000 bytes, 50 ms left: one tick of 50 ms carries them all.
  t.same(slowBodyPlan(1000, 1, 50), { chunk: 1000, tickMs: 50, ms: 50 })
  // 1,000 bytes, 250 ms left: 2 ticks of 100 ms fit, 500 bytes each, 200 ms.
  t.same(slowBodyPlan(1000, 1, 250), { chunk: 500, tickMs: 100, ms: 200 })
  // Nothing left: all at once.
  t.same(slowBodyPlan(1000, 1, 0), { chunk: 1000, tickMs: 0, ms: 0 })
  // 1.5 B/s is 0.15 bytes a tick: at least one byte a tick, 443 bytes in 44.3 s of a 1 h budget;
  // in 4 ticks of 11,075 ms, 111 bytes each.
  t.same(slowBodyPlan(443, 1.5, 3_600_000), { chunk: 111, tickMs: 11_075, ms: 44_300 })
  for (const [bytes, bps, budget] of [[443, 1, 30_000], [11_621, 1, 30_000], [2007, 7, 1234], [1, 1, 99], [65_536, 3, 101]] as const) {
    t.ok(slowBodyPlan(bytes, bps, budget).ms <= budget, `${bytes} bytes at ${bps} B/s end within ${budget} ms`)
  }
})

t.test('a slow body ends by --max-latency at 1 B/s, the delay included: Server-Timing says when', async t => {
  const flags = await projectFlags()
  const base = await startSite(t, { injection: injectionOf({ 'max-latency': '1s', latency: '300ms' }) })
  for (const cc of ['de', 'br']) {
    const res = await request(`${base}/flags/${cc}/${cc}.gif?slow-rate=1&slow-bps=1`)
    const body = Buffer.from(await res.body.arrayBuffer())
    t.ok(body.equals(flags.files.get(`${cc}/${cc}.gif`)?.body ?? Buffer.alloc(0)), `${cc}.gif arrives whole`)
    const timing = parseServerTiming(res.headers['server-timing'])
    // 300 ms of delay, then at most the 700 ms left for the body.
    t.equal(timing.delayMs, 300)
    t.ok((timing.delayMs ?? Infinity) + (timing.bodyMs ?? Infinity) <= 1000, `${cc}.gif: 300 ms + ${String(timing.bodyMs)} ms of body, within the 1 s cap`)
  }
})

t.test('an injected 401 or 407 carries its challenge, as RFC 9110 requires', async t => {
  const base = await startSite(t)
  const unauthorized = await request(`${base}/flags/br/br.gif?error-rate=401:1`)
  await unauthorized.body.dump()
  t.equal(unauthorized.statusCode, 401)
  t.equal(unauthorized.headers['www-authenticate'], 'Basic realm="flags"')
  const proxy = await request(`${base}/flags/br/br.gif?error-rate=407:1`)
  await proxy.body.dump()
  t.equal(proxy.statusCode, 407)
  t.equal(proxy.headers['proxy-authenticate'], 'Basic realm="flags"')
  const teapot = await request(`${base}/flags/br/br.gif?error-rate=1`)
  await teapot.body.dump()
  t.equal(teapot.headers['www-authenticate'], undefined, 'no challenge on other statuses')
})

t.test('HEAD with a truncate fault: the headers in full, there is no body to cut', async t => {
  const base = await startSite(t)
  const res = await request(`${base}/flags/br/br.gif?truncate-rate=1`, { method: 'HEAD' })
  await res.body.dump()
  t.equal(res.statusCode, 200)
  t.equal(Number(res.headers['content-length']), (await projectFlags()).files.get('br/br.gif')?.body.length, 'the Content-Length of the GET')
  t.match(res.headers['server-timing'], /fault;desc="truncate"/, 'the fault drawn is said')
})

t.test('a delayed answer is held at least its delay, measured by the client to the microsecond', async t => {
  // Node's timers count in whole milliseconds of the loop's time: a request that arrives at
  // 100.9 ms on that clock gets a 5 ms timer due at 105, 4.1 ms later, and a client that sent
  // it at 100.8 saw the answer after 4.2 ms. So the server counts the delay from
  // performance.now() and waits out what an early timer leaves. Known answer: no request is
  // answered sooner than its 5 ms after the client sent it.
  const base = await startSite(t, { injection: injectionOf({ latency: '5ms' }) })
  const pool = new Pool(base, { connections: 1 })
  t.teardown(async () => await pool.close())
  const took: number[] = []
  for (let i = 0; i < 40; i++) {
    const sent = performance.now()
    const res = await pool.request({ method: 'GET', path: '/flags/br/metadata.json' })
    took.push(performance.now() - sent)
    await res.body.dump()
  }
  const early = took.filter(ms => ms < 5)
  t.same(early, [], `40 answers, the quickest after ${Math.min(...took).toFixed(3)} ms`)
})
