import t from 'tap'
import { DEFAULT_LOAD_TIMEOUT_MS } from '../../../../harness/core/load/load.js'
import { findKnee, sweep } from '../../../../harness/core/load/sweep.js'
import { FLAGS_PATH } from '../../../../server/contract/protocol.js'
import { injectionOf, startSite } from '../../../fixtures/site.js'

t.test('findKnee: the first step below 0.95 of its target, or past 10 × the first p99', async t => {
  const step = (targetRps: number, achievedRps: number, p99Ms: number): { targetRps: number, achievedRps: number, p99Ms: number } => ({ targetRps, achievedRps, p99Ms })
  t.equal(findKnee([]), null, 'no steps, no knee')
  t.equal(findKnee([step(100, 100, 10), step(200, 199, 12)]), null, 'kept up throughout')
  // 0.95 × 400 = 380: 379 falls short.
  t.equal(findKnee([step(100, 100, 10), step(200, 200, 12), step(400, 379, 12)]), 2, 'the rate falls short')
  // 10 × 10 ms = 100 ms: 101 ms is past it, at a rate still achieved.
  t.equal(findKnee([step(100, 100, 10), step(200, 200, 101), step(400, 300, 900)]), 1, 'the p99 grows tenfold first')
})

t.test('a server of known capacity: the knee is the step above C / L, the closed loop beside it', async t => {
  // Every answer takes 100 ms at least (a fixed latency) and the generator may open 5
  // connections: at most C / L = 5 / 0.1 s = 50 requests a second. At 10/s and 20/s a request
  // is due every 100 or 50 ms and holds a connection 100 ms, so 1 or 2 are busy of 5: each is
  // sent on time, and the rate achieved is the target (even if answers took up to 250 ms). At
  // 100/s for 2 s, 200 arrivals: 5 connections send at most 5 per 100 ms, so the 200th goes
  // at least (200 − 5) / 5 × 100 ms = 3.9 s after the first: achieved at most 199 / 3.9 s ≈ 51/s,
  // well under 0.95 × 100. The knee is the third step, the first above 50/s. (Steps of 2 s: a
  // last send of 10/s 100 ms late on a busy machine still achieves 0.95 of it.) The closed loop
  // after it has the 5 connections the open loop opened there, and its bound C / L is 50/s.
  const base = await startSite(t, { injection: injectionOf({ latency: '100ms' }) })
  const report = await sweep({
    server: { kind: 'url', baseUrl: `${base}${FLAGS_PATH}`, label: null },
    seed: 1,
    injection: {},
    rates: [10, 20, 100],
    arrivals: 'uniform',
    maxConnections: 5,
    warmupMs: 0,
    durationMs: 2000,
    amount: null,
    timeoutMs: DEFAULT_LOAD_TIMEOUT_MS,
    signal: new AbortController().signal,
    reproduce: { script: 'load', argv: [] }
  })
  if (report === null) throw new Error('not stopped: a report')
  const figures = report.steps.map(({ report }) => `${report.open?.targetRps}/s → ${report.open?.achievedRps.toFixed(1)}/s p99 ${report.latencyMs.p99.toFixed(0)} ms`)
  t.comment(figures.join('; '))
  t.equal(report.steps.length, 3, 'a step per rate')
  t.equal(report.knee, 2, 'the knee: 100/s, the step above C / L = 50/s')
  t.ok((report.steps[2]?.report.open?.achievedRps ?? Infinity) <= 51.1, 'achieved at most 199 / 3.9 s there')
  for (const step of report.steps) {
    t.ok(step.serverLoopDelayMs !== null && step.serverLoopDelayMs >= 0, `the server's loop delay read: ${step.serverLoopDelayMs} ms`)
    t.equal(step.report.open?.dropped, 0, 'none dropped: each waited less than the timeout')
  }
  t.match(report.closed, { loop: 'closed', connections: 5, fixedLatencyMs: 100, boundRps: 50 }, 'the closed loop: 5 connections, bound 50/s')
  t.ok((report.closed?.throughput ?? Infinity) <= 50.5, `the closed loop at or under its bound: ${report.closed?.throughput} req/s`)
})
