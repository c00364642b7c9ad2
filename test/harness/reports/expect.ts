import t from 'tap'
import type { ModeFigures } from '../../../harness/core/figures.js'
import { compare, expectationLine, HARNESS_FIGURES, harnessFigure, judge, LOAD_FIGURE_CATALOG, loadFigure, missed, missLine, parseExpectation, type Expectation } from '../../../harness/reports/expect.js'
import type { LoadReport } from '../../../harness/core/load/report.js'

const harness = (text: string): Expectation => parseExpectation(text, HARNESS_FIGURES)
const load = (text: string): Expectation => parseExpectation(text, LOAD_FIGURE_CATALOG)

t.test('parse: NAME OP VALUE, the target in the figure\'s own unit', async t => {
  t.same(harness('async.speedup>=15'), { expression: 'async.speedup>=15', name: 'async.speedup', op: '>=', target: 15, unit: 'x' })
  t.match(harness('async.speedup >= 15x'), { op: '>=', target: 15 }, 'spaces around OP, and 15x for a speedup')
  t.match(harness('errors==0'), { name: 'errors', op: '==', target: 0, unit: 'count' }, 'a total, without a mode')
  t.match(harness('Pooled.P99<250ms'), { name: 'pooled.p99', op: '<', target: 250, unit: 'ms' }, 'any case')
  // Durations in ms: 1.5s = 1,500 ms; a bare elapsed is seconds (2 → 2,000 ms), a bare p99 ms.
  t.match(harness('sequential.elapsed<=1.5s'), { target: 1500, unit: 'ms' })
  t.match(harness('sequential.elapsed<2'), { target: 2000 }, 'elapsed: bare seconds, as its column shows')
  t.match(harness('async.p99<250'), { target: 250 }, 'a latency: bare milliseconds, as its column shows')
  t.match(harness('async.max<1m'), { target: 60_000 })
  t.match(harness('async.efficiency>95%'), { op: '>', target: 0.95, unit: 'ratio' }, '95% is 0.95')
  t.match(harness('processes.busy!=.5'), { op: '!=', target: 0.5 })
  t.match(harness('async.404==9'), { name: 'async.404', target: 9 })
  t.match(harness('pooled.loop-max<50ms'), { name: 'pooled.loop-max', target: 50 })
  t.match(load('rps>=900'), { name: 'rps', target: 900, unit: 'req/s' })
  t.match(load('littles>=0.9'), { name: 'littles', target: 0.9 })
  t.match(load('bound>=98%'), { name: 'bound', target: 0.98 })
  t.match(load('elapsed<10'), { target: 10_000 })
})

t.test('parse: a bad expression is one line naming --expect and the grammar', async t => {
  const cases: Array<[string, string]> = [
    ['async.speedup', 'not NAME OP VALUE'],
    ['async.speedup=>15', 'not NAME OP VALUE'],
    ['async.speedup>=', 'not NAME OP VALUE'],
    ['async.speedup>=-1', 'not NAME OP VALUE'],
    ['async.speedup>=fast', 'not NAME OP VALUE'],
    ['async.speedup>=15 and errors==0', 'not NAME OP VALUE'],
    ['a.b.c>1', 'not NAME OP VALUE'],
    ['async.speed>=15', 'no figure async.speed'],
    ['threads.speedup>=15', 'no figure threads.speedup'],
    ['speedup>=15', 'no figure speedup'],
    ['async.p99<1h', 'not NAME OP VALUE'],
    ['errors==0ms', 'errors is a count: a bare number'],
    ['async.speedup>=95%', 'async.speedup is a ratio: 15 or 15x'],
    ['async.efficiency>0.9x', 'async.efficiency is a ratio: 0.95 or 95%'],
    ['async.p99<2x', 'async.p99 is a duration: 200ms, 1.5s, or a bare number of milliseconds']
  ]
  for (const [text, why] of cases) {
    t.throws(() => harness(text), { message: `--expect: invalid value ${JSON.stringify(text)} (${why}); accepted: NAME OP VALUE, OP one of < <= > >= == !=, VALUE a number (a duration with ms, s or m; a bare one in the unit the table shows); NAME: ${HARNESS_FIGURES.names}; e.g. --expect 'async.speedup>=15'` }, text)
  }
  t.throws(() => load('async.rps>1'), { message: /^--expect: invalid value "async\.rps>1" \(no figure async\.rps\); accepted: NAME OP VALUE.*; NAME: rps, requests, ok, non2xx, errors, timeouts, elapsed, mean, p50, p90, p99, max, littles, bound, achieved, lateness, dropped;/ })
  t.throws(() => load('speedup>1'), { message: /\(no figure speedup\)/ }, 'the load mode has no modes, no speedup')
})

t.test('every figure the usage error names parses, and nothing else', async t => {
  const figures = /FIGURE: ([^)]*)\)/.exec(HARNESS_FIGURES.names)?.[1]?.split(', ') ?? []
  t.equal(figures.length, 15)
  for (const figure of figures) t.ok(HARNESS_FIGURES.kindOf(`async.${figure}`), `async.${figure}`)
  for (const total of ['ok', '404', 'errors']) t.ok(HARNESS_FIGURES.kindOf(total), total)
  t.equal(HARNESS_FIGURES.kindOf('elapsed'), undefined, 'no total elapsed')
  for (const name of LOAD_FIGURE_CATALOG.names.split(', ')) t.ok(LOAD_FIGURE_CATALOG.kindOf(name), name)
})

t.test('compare: each OP', async t => {
  t.same(['<', '<=', '>', '>=', '==', '!='].map(op => compare(2, op as '<', 2)), [false, true, false, true, true, false], '2 against 2')
  t.same(['<', '<=', '>', '>=', '==', '!='].map(op => compare(1, op as '<', 2)), [true, true, false, false, false, true], '1 against 2')
})

/** A mode's row, with only what the figures below read; the rest as a real report has it. */
function mode (name: ModeFigures['mode'], figures: Partial<ModeFigures>): ModeFigures {
  return {
    mode: name,
    concurrency: 1,
    elapsedMs: 0,
    runsMs: [0],
    startupMs: null,
    coldMs: null,
    idealMs: 0,
    idealUnknown: null,
    bound: 'io',
    ioIdealMs: 0,
    cpuBoundMs: 0,
    speedup: null,
    efficiency: 1,
    ok: 0,
    notFound: 0,
    errors: 0,
    errorReasons: {},
    requestsPerSecond: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
    notRun: 0,
    complete: true,
    eventLoop: { delayP50Ms: 0, delayP99Ms: 0, delayMaxMs: 0, utilization: 0, machine: null },
    memory: { rssPeakMb: 0, heapPeakMb: 0, workersRssMb: null },
    threads: 1,
    workerUtilization: null,
    loopSamples: [],
    requests: [],
    ...figures
  }
}

t.test('the harness: each expectation against a hand-made report', async t => {
  // 20 flags at 100 ms: sequential 2,000 ms; async 105 ms, so 2,000 / 105 = 19.05x; pooled was
  // cut short (not complete) at 150 ms, with 2 errors.
  const report = {
    modes: [
      mode('sequential', { elapsedMs: 2000, idealMs: 2000, speedup: 1, ok: 18, notFound: 2, errors: 0, latencyMs: { p50: 100, p90: 101, p99: 102, max: 103 } }),
      mode('pooled', { elapsedMs: 150, speedup: 13.333, ok: 16, notFound: 2, errors: 2 }),
      mode('async', { elapsedMs: 105, idealMs: 100, speedup: 19.048, efficiency: 0.952, ok: 18, notFound: 2, latencyMs: { p50: 101, p90: 102, p99: 104, max: 180 }, eventLoop: { delayP50Ms: 0, delayP99Ms: 1.5, delayMaxMs: 3, utilization: 0.2, machine: null } })
    ]
  }
  t.equal(harnessFigure(report, 'errors'), 2, 'errors: 0 + 2 + 0 over the modes')
  t.equal(harnessFigure(report, 'ok'), 52, 'ok: 18 + 16 + 18')
  t.equal(harnessFigure(report, '404'), 6, '404: 2 in each of the three')
  t.equal(harnessFigure(report, 'processes.speedup'), null, 'a mode that did not run: no figure')
  const results = judge([
    harness('async.speedup>=15'), // 19.048 ≥ 15: met
    harness('async.speedup>=100'), // 19.048 < 100: missed
    harness('async.efficiency>=0.95'), // 0.952: met
    harness('async.elapsed<0.1'), // 105 ms is not under 100 ms: missed
    harness('sequential.elapsed<=2s'), // 2,000 ≤ 2,000: met
    harness('async.p99<250ms'), // 104 ms: met
    harness('async.max<=180'), // 180 ≤ 180 ms: met
    harness('async.loop-max<3ms'), // 3 is not under 3: missed
    harness('errors==0'), // pooled's 2: missed
    harness('pooled.errors!=0'), // 2: met
    harness('processes.ok>=1') // did not run: missed, not measured
  ], name => harnessFigure(report, name))
  t.same(results.map(r => r.met), [true, false, true, false, true, true, true, false, false, true, false])
  t.same(results.map(r => r.figure), [19.048, 19.048, 0.952, 105, 2000, 104, 180, 3, 2, 2, null])
  t.same(missed(results).map(r => r.expression), ['async.speedup>=100', 'async.elapsed<0.1', 'async.loop-max<3ms', 'errors==0', 'processes.ok>=1'])
  t.equal(expectationLine(results[0] as typeof results[0]), 'met     async.speedup >= 15x: 19.048x')
  t.equal(expectationLine(results[1] as typeof results[0]), 'MISSED  async.speedup >= 100x: 19.048x')
  t.equal(expectationLine(results[3] as typeof results[0]), 'MISSED  async.elapsed < 100ms: 105ms')
  t.equal(missLine(results[8] as typeof results[0]), '--expect errors==0: missed, errors is 2')
  t.equal(missLine(results[10] as typeof results[0]), '--expect processes.ok>=1: missed, processes.ok was not measured')
  t.same(Object.keys(results[0] ?? {}).sort(), ['expression', 'figure', 'met', 'name', 'op', 'target', 'unit'], 'what --json holds of each')
})

t.test('the load mode: each expectation against a hand-made report', async t => {
  // 10 connections, 20 ms fixed: C/L = 500 req/s; 450 measured, so bound = 0.9. Mean 21 ms:
  // C/W = 476.19 req/s, so littles = 450 / 476.19 = 0.945.
  const report = {
    requests: 4500,
    ok: 4490,
    non2xx: 10,
    errors: 0,
    timeouts: 0,
    elapsedMs: 10_000,
    throughput: 450,
    latencyMs: { mean: 21, stddev: 1, p50: 20.5, p90: 22, p99: 30, max: 45 },
    littlesLawRps: 476.19,
    ratio: 0.945,
    boundRps: 500,
    boundRatio: 0.9
  } as unknown as LoadReport
  const results = judge([
    load('rps>=400'), // 450: met
    load('rps>500'), // 450: missed
    load('non2xx==0'), // 10: missed
    load('p99<=30ms'), // 30: met
    load('elapsed<10s'), // 10,000 ms is not under 10 s: missed
    load('littles>=0.9'), // 0.945: met
    load('bound>=95%') // 0.9: missed
  ], name => loadFigure(report, name))
  t.same(results.map(r => r.met), [true, false, false, true, false, true, false])
  const unbounded = { ...report, boundRps: null, boundRatio: null } as LoadReport
  t.same(judge([load('bound>=0.5')], name => loadFigure(unbounded, name)), [{ ...load('bound>=0.5'), figure: null, met: false }], 'no fixed latency, no bound: not measured, missed')
})

t.test('each name reads its own field of the report', async t => {
  // Every field a distinct number, so a name wired to the wrong field shows.
  const row = mode('async', {
    speedup: 1,
    efficiency: 2,
    elapsedMs: 3,
    idealMs: 4,
    latencyMs: { p50: 5, p90: 6, p99: 7, max: 8 },
    requestsPerSecond: 9,
    ok: 10,
    notFound: 11,
    errors: 12,
    eventLoop: { delayP50Ms: 0, delayP99Ms: 13, delayMaxMs: 14, utilization: 15, machine: null }
  })
  const names = ['speedup', 'efficiency', 'elapsed', 'ideal', 'p50', 'p90', 'p99', 'max', 'rps', 'ok', '404', 'errors', 'loop-p99', 'loop-max', 'busy']
  t.same(names.map(name => harnessFigure({ modes: [row] }, `async.${name}`)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
  const report = {
    throughput: 1,
    requests: 2,
    ok: 3,
    non2xx: 4,
    errors: 5,
    timeouts: 6,
    elapsedMs: 7,
    latencyMs: { mean: 8, stddev: 0, p50: 9, p90: 10, p99: 11, max: 12 },
    ratio: 13,
    boundRatio: 14,
    open: null
  } as unknown as LoadReport
  t.same(LOAD_FIGURE_CATALOG.names.split(', ').map(name => loadFigure(report, name)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, null, null, null], 'a closed loop: no open-loop figures')
  // An open loop: rps is its achieved rate (30/s), achieved that over its target (30 / 20 = 1.5).
  const open = { ...report, open: { achievedRps: 30, targetRps: 20, lateness: { p99: 16 }, dropped: 17 } } as unknown as LoadReport
  t.same(['rps', 'achieved', 'lateness', 'dropped'].map(name => loadFigure(open, name)), [30, 1.5, 16, 17], 'an open loop')
  t.equal(loadFigure(report, 'nope'), null)
  t.equal(harnessFigure({ modes: [row] }, 'nope'), null)
})
