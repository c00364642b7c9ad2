import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { closedLoop } from '../../../../harness/core/load/closed-loop.js'
import { flagPaths } from '../../../../harness/core/load/flag-requests.js'
import { LoadTally } from '../../../../harness/core/load/load-tally.js'
import { openLoop, type OpenPlan } from '../../../../harness/core/load/open-loop.js'
import { SALT_HEADER } from '../../../../server/contract/protocol.js'

const PATHS = flagPaths(['AA', 'BB', 'CC'])

/** A real server on port 0 that answers each request with `answer`. */
async function serve (t: Test, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(answer)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function plan (origin: string, over: Partial<OpenPlan>): OpenPlan {
  return { origin, paths: PATHS, headers: {}, ratePerS: 100, arrivals: 'uniform', seed: 1, maxConnections: 100, warmupMs: 0, durationMs: null, amount: null, timeoutMs: 10_000, signal: new AbortController().signal, ...over }
}

/** A tally that also counts the requests that took `slowMs` or more. */
function slowCounting (slowMs: number): { tally: LoadTally, slow: () => number } {
  const tally = new LoadTally()
  let slow = 0
  const ended = tally.ended.bind(tally)
  tally.ended = (k, start, end, outcome) => { if (end - start >= slowMs) slow++; ended(k, start, end, outcome) }
  return { tally, slow: () => slow }
}

t.test('every arrival is accounted for: salted in order, sent, or past the connection cap waited, then dropped', async t => {
  // 100 arrivals a second for --amount 50, the i-th due at 10i ms, the last at 490 ms. The
  // server takes 100 ms at least and there may be 5 connections, so a connection sends at most
  // one request per 100 ms. With a timeout of 300 ms an arrival is sent by 10i + 300 ms or
  // never: every send happens by 790 ms, at most 8 per connection (at 0, 100, ..., 700 ms or
  // later), 40 in all: at least 10 of the 50 are dropped, each after waiting for a connection.
  // 50 = sent + dropped, and every one sent ends (no signal, so nothing is cut).
  const salts: string[] = []
  const origin = await serve(t, (req, res) => {
    salts.push(String(req.headers[SALT_HEADER]))
    setTimeout(() => res.end('GIF89a'), 100)
  })
  const tally = new LoadTally()
  const open = await openLoop(plan(origin, { amount: 50, maxConnections: 5, timeoutMs: 300 }), tally)
  const figures = tally.figures(open.connectionsOpened, 100)
  t.match(open, { scheduled: 50, connectionsOpened: 5, targetRps: 100 })
  t.equal(open.sent + open.dropped, 50, `sent ${open.sent} + dropped ${open.dropped} = scheduled`)
  t.ok(open.dropped >= 10, `${open.dropped} dropped: at least 10`)
  t.equal(figures.requests, open.sent, 'every request sent ended')
  t.equal(figures.cut, 0, 'none cut')
  t.ok(open.waitedForConnection >= open.dropped, `${open.waitedForConnection} waited for a connection, the dropped ones among them`)
  t.equal(salts.length, open.sent, 'the server saw each request sent')
  t.ok(salts.every((salt, i) => i === 0 ? salt === '0' : Number(salt) > Number(salts[i - 1])), 'the i-th arrival carries the salt i, sent in order (the dropped ones missing)')
  t.ok(figures.latencyMs.max >= open.sendLatencyMs.max, 'from the intended start, a latency is no shorter than from the send')
})

t.test('the warm-up: its arrivals sent and answered, salted apart, kept out of every figure', async t => {
  // 100/s after a warm-up of 500 ms: the rate rises evenly to 100/s, so there are λT/2 =
  // 100/s × 0.5 s / 2 = 25 warm-up arrivals ("w0" to "w24"), the k-th due at √(2 × 500 × k /
  // 0.1) = 100√k ms (0, 100, 141, ..., 490 ms), then --amount 20, the i-th due at 500 + 10i ms.
  // The server answers at once: every one is sent and ends, in the order it was due.
  const salts: string[] = []
  const origin = await serve(t, (req, res) => {
    salts.push(String(req.headers[SALT_HEADER]))
    res.end('GIF89a')
  })
  const tally = new LoadTally()
  const open = await openLoop(plan(origin, { amount: 20, warmupMs: 500 }), tally)
  t.same(open.warmup, { ms: 500, arrivals: 25 })
  t.match(open, { scheduled: 20, sent: 20, dropped: 0 })
  t.equal(tally.figures(open.connectionsOpened, null).requests, 20, 'the figures: the 20 measured, not the 25 before them')
  t.same(salts, [...Array.from({ length: 25 }, (_, k) => `w${k}`), ...Array.from({ length: 20 }, (_, i) => String(i))], 'the warm-up\'s salted apart, so the measured ones draw the fates they would draw without it')
})

t.test('a stall: the open loop\'s p99 from the intended start shows it; the closed loop\'s hides it (coordinated omission)', async t => {
  // A server that answers in 10 ms, but holds every answer from 1 s after the first request
  // it gets (T) to 1 s later, as a server whose event loop is blocked for a second.
  //
  // Open loop, 100 arrivals/s for 3 s (300): the ~100 intended in [T + 1 s, T + 2 s) wait for
  // T + 2 s, so the one intended at T + 1 s + x takes at least 1 s − x: latencies spread from
  // about 1 s down to 10 ms, about 500 ms on average, and a third of the run. The 4th largest
  // (p99, nearest rank 297 of 300) is at least 1 s − 30 ms, the 30th (p90) at least 1 s − 300
  // ms: p99 ≥ 900 ms and p90 ≥ 650 ms leave a margin. 50 of them (x < 500 ms) take 500 ms or
  // more. A busy machine only makes each latency longer.
  //
  // Closed loop, 1 connection, 300 requests: at most 100 requests/s at 10 ms each, about the same
  // rate, and at least 3 s, so it is running when the stall begins. Its one connection has one
  // request in flight then, which waits it out; then the next goes at once. One slow request in
  // 300, so its p99 (nearest rank 297, the 4th largest) is a fast one: the stall is only in its max.
  const SLOW_MS = 500
  const stallingServer = async (): Promise<string> => {
    let first: number | null = null
    return await serve(t, (_req, res) => {
      const now = performance.now()
      first ??= now
      const release = now >= first + 1000 && now < first + 2000 ? first + 2000 : now
      setTimeout(() => res.end('GIF89a'), release - now + 10)
    })
  }
  const openRun = slowCounting(SLOW_MS)
  const open = await openLoop(plan(await stallingServer(), { ratePerS: 100, durationMs: 3000 }), openRun.tally)
  const openFigures = openRun.tally.figures(open.connectionsOpened, null)
  const closedRun = slowCounting(SLOW_MS)
  await closedLoop({ origin: await stallingServer(), paths: PATHS, headers: {}, connections: 1, durationMs: null, amount: 300, timeoutMs: 10_000, signal: new AbortController().signal }, closedRun.tally)
  const closed = closedRun.tally.figures(1, null)
  t.comment(`open: p50 ${openFigures.latencyMs.p50.toFixed(1)} p99 ${openFigures.latencyMs.p99.toFixed(1)} max ${openFigures.latencyMs.max.toFixed(1)} ms, ${openRun.slow()} of ${openFigures.requests} ≥ ${SLOW_MS} ms`)
  t.comment(`closed: p50 ${closed.latencyMs.p50.toFixed(1)} p99 ${closed.latencyMs.p99.toFixed(1)} max ${closed.latencyMs.max.toFixed(1)} ms, ${closedRun.slow()} of ${closed.requests} ≥ ${SLOW_MS} ms`)
  t.match(open, { scheduled: 300, dropped: 0 })
  t.equal(openFigures.requests, 300, 'the open loop sent all 300 arrivals, the stall or not')
  t.ok(openFigures.latencyMs.p99 >= 900, `open loop p99 ${openFigures.latencyMs.p99} ms: the stall shows`)
  t.ok(openFigures.latencyMs.p90 >= 650, `open loop p90 ${openFigures.latencyMs.p90} ms`)
  t.ok(openRun.slow() >= 50, `${openRun.slow()} requests of the open loop took ${SLOW_MS} ms or more`)
  t.ok(closed.latencyMs.max >= SLOW_MS, `the closed loop met the stall: its max ${closed.latencyMs.max} ms`)
  t.equal(closedRun.slow(), 1, 'one slow request for its one connection')
  t.equal(closed.requests, 300, 'the closed loop sent its 300')
  t.ok(closed.latencyMs.p99 < SLOW_MS, `closed loop p99 ${closed.latencyMs.p99} ms: the stall is hidden`)
})

t.test('Poisson arrivals: the same seed, the same schedule, and the rate on average', async t => {
  // 1,000 Poisson arrivals at 10,000/s are due over 1000 gaps of mean 0.1 ms: about 100 ms,
  // with σ = √1000 × 0.1 ms ≈ 3.2 ms. The server records the order of the salts: all are sent
  // in order, whatever the gaps.
  const salts: string[] = []
  const origin = await serve(t, (req, res) => { salts.push(String(req.headers[SALT_HEADER])); res.end() })
  const tally = new LoadTally()
  const open = await openLoop(plan(origin, { ratePerS: 10_000, arrivals: 'poisson', seed: 7, amount: 1000 }), tally)
  t.match(open, { scheduled: 1000, sent: 1000, dropped: 0, arrivals: 'poisson', seed: 7 })
  t.equal(tally.figures(open.connectionsOpened, null).requests, 1000)
  t.equal(new Set(salts).size, 1000, 'each arrival its own salt')
})
