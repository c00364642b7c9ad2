// modeFigures at the edges of the ideal and the latency figures, each against an answer worked
// out by hand: real servers on port 0, real downloads, the runs recorded as the modes record them.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { burnCpu, calibrateCpuWork } from '../../../harness/core/cpu-work.js'
import { downloadOne, type DownloadOptions } from '../../../harness/core/download.js'
import { modeFigures } from '../../../harness/core/figures.js'
import { undiciTransport } from '../../../harness/core/undici-transport.js'
import { measure } from '../../../harness/core/measure.js'
import { recorder } from '../../../harness/core/modes/mode.js'
import { MEASURE_DEFAULTS } from '../../../harness/core/options.js'
import { wallClockMs, type RequestRecord } from '../../../harness/core/record.js'
import { htmlReport } from '../../../harness/reports/html.js'
import { terminalReport } from '../../../harness/reports/terminal.js'
import { checkEfficiency } from '../../fixtures/report.js'
import { injectionOf, startSite } from '../../fixtures/site.js'

const PLAIN: DownloadOptions = { timeoutMs: 3100, headers: {}, saveDir: null, syncSave: false, cpuSlices: 0 }

async function client (t: Test): Promise<Agent> {
  const agent = new Agent()
  t.teardown(async () => await agent.destroy())
  return agent
}

t.test('a slow body that outlives the timeout: the ideal waits the timeout, not the whole body', async t => {
  const base = `${await startSite(t, { seed: 4, injection: injectionOf({ latency: '50ms' }) })}/flags`
  const agent = await client(t)
  const options: DownloadOptions = { ...PLAIN, timeoutMs: 300 }
  // 100 B/s: a flag of several hundred bytes takes seconds to send, far past the 300 ms timeout.
  const slow = { ...options, headers: { 'x-flags-slow-rate': '1', 'x-flags-slow-bps': '100' } }
  const run = recorder(() => {})
  run.add(await downloadOne(undiciTransport(agent, base), 'BR', slow))
  run.add(await downloadOne(undiciTransport(agent, base), 'CN', options))
  const figures = modeFigures('sequential', 1, ['BR', 'CN'], [run.finish()], options.timeoutMs, { workMs: 0, slots: { io: 1, cpu: 1 } })
  t.match(figures.requests, [{ cc: 'BR', outcome: 'error', reason: 'timeout', injectedDelayMs: 50 }, { cc: 'CN', outcome: 'ok' }])
  // BR: min(50 ms of delay + seconds of body, the 300 ms timeout) = 300; CN: its 50 ms. One after the other: 350.
  t.equal(figures.idealMs, 350, 'the timed-out slow body counts its 300 ms timeout')
  t.ok(figures.efficiency !== null && figures.efficiency <= 1, `efficiency ${figures.efficiency} ≤ 1 (elapsed ${figures.elapsedMs} ms)`)
})

t.test('CPU work with failures: only a download that succeeded does its work', async t => {
  const base = `${await startSite(t, { seed: 4, injection: injectionOf({ latency: '20ms' }) })}/flags`
  const agent = await client(t)
  const slicesPerMs = calibrateCpuWork()
  const options: DownloadOptions = { ...PLAIN, cpuSlices: Math.round(slicesPerMs * 30) }
  const failing = { ...options, headers: { 'x-flags-error-rate': '418:1' } }
  burnCpu(options.cpuSlices) // the JIT warmed on the work, as a mode's warm-up run would
  const codes = ['BR', 'CN', 'IN', 'US']
  const optionsOf = (cc: string): DownloadOptions => cc === 'BR' || cc === 'IN' ? failing : options
  const schedule = { workMs: 30, slots: { io: 4, cpu: 1 } }

  const sequential = recorder(() => {})
  for (const cc of codes) sequential.add(await downloadOne(undiciTransport(agent, base), cc, optionsOf(cc)))
  const one = modeFigures('sequential', 1, codes, [sequential.finish()], options.timeoutMs, { ...schedule, slots: { io: 1, cpu: 1 } })
  t.same([one.ok, one.errors], [2, 2], 'two 418s, two flags')
  // 418, ok, 418, ok: 20 + (20 + 30) + 20 + (20 + 30) = 140 ms; counting work for the 418s too would say 200.
  t.equal(one.idealMs, 140, 'sequential: each 418 waits its 20 ms and does no work')
  // The work is calibrated once and may run up to a third faster later (cpu-work.ts says why): the
  // elapsed time is held to the waits and half the work, 80 + 30 = 110 ms, not to the ideal.
  t.ok(one.elapsedMs >= 110, `sequential: the four waits and at least half the two flags' work (elapsed ${one.elapsedMs} ms, efficiency ${one.efficiency})`)

  const concurrent = recorder(() => {})
  await Promise.all(codes.map(async cc => concurrent.add(await downloadOne(undiciTransport(agent, base), cc, optionsOf(cc)))))
  const all = modeFigures('async', 4, codes, [concurrent.finish()], options.timeoutMs, schedule)
  // All four answer at 20 ms; the two flags' work runs one after the other on the one loop: 20 + 2 × 30 = 80.
  t.equal(all.idealMs, 80, 'async: the 418s end at 20 ms, the two flags\' work ends at 80 ms')
  t.equal(all.bound, 'cpu', '60 ms of work against 20 ms of waiting')
  // As above: 20 ms of waiting, then at least half of the 2 × 30 ms of work, 50 ms.
  t.ok(all.elapsedMs >= 50, `async: the wait and at least half the work (elapsed ${all.elapsedMs} ms, efficiency ${all.efficiency})`)
})

/** A server that is not ours: it answers every GET with a small GIF after 5 ms, and says nothing of it. */
async function startForeignServer (t: Test): Promise<string> {
  const server = createServer((req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'image/gif' }).end(Buffer.alloc(500, 1)), 5)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/flags`
}

t.test('a server without Server-Timing: no ideal, and the reports say why', async t => {
  const baseUrl = await startForeignServer(t)
  const report = await measure({
    ...MEASURE_DEFAULTS,
    server: { kind: 'url', baseUrl, label: null },
    seed: null,
    injection: {},
    codes: { kind: 'list', args: ['BR', 'CN', 'IN', 'US'] },
    maxReq: 4,
    modes: ['sequential', 'async'],
    cpuWorkMs: 20,
    repeat: 1,
    warmup: 1,
    signal: new AbortController().signal,
    reproduce: { script: 'harness', argv: [] }
  })
  // Each request's measured time holds its 5 ms and its 20 ms of work: taken as the wait, with
  // the work added again, sequential's "ideal" would be 4 × (25 + 20) = 180 ms against some 100.
  for (const m of report.modes) {
    t.match(m, { ok: 4, idealMs: null, efficiency: null, ioIdealMs: null, bound: null, cpuBoundMs: 80 }, `${m.mode}: no ideal`)
    t.match(m.idealUnknown, /no Server-Timing/, `${m.mode}: the reason`)
  }
  checkEfficiency(t, report)
  const json = JSON.parse(JSON.stringify(report)) as typeof report
  t.same(json.modes.map(m => [m.idealMs, m.efficiency]), [[null, null], [null, null]], 'the JSON holds null, not a number')

  const text = terminalReport(report)
  const rows = text.split('\n').filter(line => /^(sequential|async) +\d+ /.test(line))
  t.equal(rows.length, 2, 'one row a mode')
  // mode, conc, elapsed, ideal, effic: the ideal and the efficiency are '-'.
  for (const row of rows) t.same(row.split(/ +/).slice(3, 5), ['-', '-'], `no figure where none is known: ${row}`)
  t.match(text, /sequential: no ideal: the server sent no Server-Timing/, 'the terminal says why')
  t.match(text, /- where the server does not say/, 'the legend says what - means')
  const html = htmlReport(report)
  t.match(html, /sequential, 1 at a time: [\d.]+s elapsed, ideal -/, 'the page heads the mode with no ideal')
  t.match(html, /No ideal: the server sent no Server-Timing/, 'and says why')
})

t.test('latency: exact percentiles and max, from the records', async t => {
  // Five requests of 200.601, 1, 2, 3 and 4 ms, made by hand: an HDR histogram of three
  // significant digits would read the first as 200.703.
  const started = wallClockMs()
  const record = (cc: string, ms: number): RequestRecord => ({ cc, outcome: 'ok', status: 200, reason: null, startMs: started, endMs: started + ms, injectedDelayMs: 0, injectedBodyMs: null, fault: null, bytes: 1 })
  const run = recorder(() => {})
  const durations: Array<[string, number]> = [['AA', 200.601], ['BB', 1], ['CC', 2], ['DD', 3], ['EE', 4]]
  for (const [cc, ms] of durations) run.add(record(cc, ms))
  const figures = modeFigures('async', 5, durations.map(([cc]) => cc), [run.finish()], 3100, { workMs: 0, slots: { io: 5, cpu: 1 } })
  // Sorted 1, 2, 3, 4, 200.601; nearest rank: p50 is the 3rd (⌈2.5⌉), p90 and p99 the 5th (⌈4.5⌉, ⌈4.95⌉).
  t.same(figures.latencyMs, { p50: 3, p90: 200.601, p99: 200.601, max: 200.601 })
})
