import { readFile } from 'node:fs/promises'
import t from 'tap'
import type { HarnessReport } from '../../../harness/core/result.js'
import { LEGENDS, LOOP_COLUMNS, MODE_COLUMNS } from '../../../harness/reports/columns.js'
import { htmlReport } from '../../../harness/reports/html.js'
import type { LoadReport } from '../../../harness/core/load/report.js'
import { loadTerminalReport } from '../../../harness/reports/load.js'
import { bookClosingLines, describeConfig, headerText, terminalReport } from '../../../harness/reports/terminal.js'
import { timelines } from '../../../harness/reports/timeline.js'
import { openReport } from '../../fixtures/load-reports.js'
import { unwrapped } from '../../fixtures/text.js'

async function fixture (name: string): Promise<HarnessReport> {
  return JSON.parse(await readFile(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')) as HarnessReport
}

const headerLine = (headers: readonly string[]): RegExp => new RegExp(`^${headers.map(h => h.replace(/[/]/g, '\\/')).join('\\s+')}$`, 'm')

t.test('the terminal and the page show the same columns, from one definition', async t => {
  const report = await fixture('report.json')
  const text = terminalReport(report)
  const wide = terminalReport(report, { wide: true })
  const html = htmlReport(report)
  for (const columns of [MODE_COLUMNS, LOOP_COLUMNS]) {
    const headers = columns.map(c => c.header)
    const narrow = columns.filter(c => !c.wide).map(c => c.header)
    t.ok(narrow.length < headers.length, `some columns only with --wide: ${headers.filter(h => !narrow.includes(h)).join(' ')}`)
    t.match(text, headerLine(narrow), `terminal: ${narrow.join(' ')}`)
    t.match(wide, headerLine(headers), `terminal --wide: ${headers.join(' ')}`)
    t.ok(html.includes(`<tr>${headers.map(h => `<th>${h}</th>`).join('')}</tr>`), `page, every column: ${headers.join(' ')}`)
    for (const m of report.modes) {
      const cells = columns.map(c => c.cell(m))
      t.ok(html.includes(`<tr>${cells.map(cell => `<td>${cell}</td>`).join('')}</tr>`), `page: the ${m.mode} row`)
    }
  }
  // Wrapped at words, each continued two spaces in: joined again, the legend as written.
  const joined = unwrapped(text)
  for (const legend of LEGENDS) t.ok(joined.includes(legend), `terminal legend: ${legend.slice(0, 20)}...`)
  t.match(joined, /^--wide adds the runs' range, req\/s, p90, p99, max, threads and main heap; --json has every figure$/m, 'the default view says where the rest is')
  t.notMatch(wide, /--wide adds/, 'not with --wide')
})

/** The lines of each table in a report: from a header line to the blank line after it. */
function tableLines (text: string, headers: readonly string[]): string[] {
  const lines = text.split('\n')
  return headers.flatMap(header => {
    const start = lines.findIndex(line => line.startsWith(`${header} `))
    const end = lines.findIndex((line, i) => i > start && line === '')
    return start < 0 ? [] : lines.slice(start, end)
  })
}

t.test('the default tables fit in 80 columns, even for a long run with repeats', async t => {
  const report = await fixture('report.json')
  const sweep = await fixture('report-sweep.json')
  // The book's DELAY site with -a: 194 flags of 0.5 to 5 s, sequential over 8 minutes, as
  // processes (the longest mode name), five runs each; a timeout's 3.1 s in the percentiles.
  const long = {
    ...report,
    modes: report.modes.map(m => ({
      ...m,
      mode: 'processes' as const,
      concurrency: 1000,
      elapsedMs: 533_512,
      runsMs: [530_000, 531_000, 533_512, 534_000, 599_999],
      idealMs: 533_000,
      speedup: 199.9,
      ok: 194,
      notFound: 194,
      errors: 194,
      requestsPerSecond: 1234.5,
      latencyMs: { p50: 2798, p90: 4500, p99: 3100, max: 4999 },
      memory: { ...m.memory, rssPeakMb: 123, workersRssMb: 12345 }
    }))
  }
  for (const [name, r] of [['report.json', report], ['report-sweep.json', sweep], ['a long run', long]] as const) {
    const lines = tableLines(terminalReport(r), ['mode', 'event loop', 'mode conc'])
    t.ok(lines.length >= 4, `${name}: the tables found (${lines.length} lines)`)
    t.same(lines.filter(line => line.length > 80), [], `${name}: no table line over 80 columns`)
  }
  const wide = tableLines(terminalReport(long, { wide: true }), ['mode'])
  t.ok(wide.some(line => line.length > 80), '--wide: the long run takes more than 80 (so the check above can fail)')
  t.match(terminalReport(long), /^elapsed is the median of 5 runs; --wide adds/m, 'repeats: elapsed said to be their median')
  t.match(terminalReport(long), /^processes +1000 +533\.51s +533\.00s/m, 'the default view: the median alone')
  t.match(terminalReport(long, { wide: true }), /^processes +1000 +533\.51s \(530\.00s-600\.00s\) +533\.00s/m, '--wide: the runs\' range beside the median')
})

t.test('the load report: 80 columns by default, p90 and max with --wide', async t => {
  const report = {
    schemaVersion: 1,
    command: 'npm run load',
    incomplete: false,
    connections: 10_000,
    durationMs: 600_000,
    amount: null,
    flags: 194,
    seed: 1,
    fixedLatencyMs: 200,
    fates: { drawn: 'per request', saltHeader: 'x-flags-salt', salt: '<connection>.<request>' },
    server: { url: 'http://127.0.0.1:1/flags', embedded: true, config: null, note: null, cpuPercent: 50 },
    loadCpuPercent: 99,
    node: 'v20',
    cores: 2,
    requests: 29_999_999,
    ok: 29_999_999,
    non2xx: 1_234_567,
    errors: 1_234_567,
    timeouts: 0,
    errorKinds: { ECONNRESET: 1_234_567 },
    cut: 100,
    elapsedMs: 600_123,
    bytesPerSecond: 0,
    latencyMs: { mean: 1234.5, stddev: 1, p50: 1234, p90: 2345, p99: 3456, max: 4567 },
    steady: { requests: 29_989_999, meanLatencyMs: 1234.5, rampUpMs: 1500, drainMs: 0 },
    throughput: 49_999,
    littlesLawRps: 50_000,
    ratio: 0.99,
    boundRps: 50_000,
    boundRatio: 0.99,
    loop: 'closed',
    open: null
  } satisfies LoadReport
  const narrow = tableLines(loadTerminalReport(report), ['requests'])
  t.equal(narrow.length, 2, 'a header and a row')
  t.match(narrow[0], /^requests +elapsed +req\/s +mean +p50 +p99 +non-2xx +errors$/)
  t.same(narrow.filter(line => line.length > 80), [], 'no line over 80 columns')
  const wide = tableLines(loadTerminalReport(report, { wide: true }), ['requests'])
  t.match(wide[0], /^requests +elapsed +req\/s +mean +p50 +p90 +p99 +max +non-2xx +errors$/)
  t.match(wide[1], /^29,999,999 +600\.12s +49,999 +1235ms +1234ms +2345ms +3456ms +4567ms +1,234,567 +1,234,567$/)
})

t.test('the open loop\'s warm-up line: its arrivals, or that there was none', async t => {
  // openReport(400, ...): a warm-up of 1 s to 400/s, 400 × 1 / 2 = 200 arrivals.
  const report = openReport(400, 400, 20)
  t.match(unwrapped(loadTerminalReport(report)), /^Warm-up before them, in no figure: 200 arrivals over 1s, the rate rising from 0 to the target/m)
  const cold = { ...report, open: { ...report.open, warmup: { ms: 0, arrivals: 0 } } } as LoadReport
  t.match(unwrapped(loadTerminalReport(cold)), /^No warm-up \(--warmup 0s\): the first arrivals met a cold JIT and no connection open$/m)
})

t.test('the book\'s closing lines, word for word (flags2_common.final_report)', async t => {
  const base = (await fixture('report.json')).modes[0] as HarnessReport['modes'][number]
  t.equal(bookClosingLines({ ...base, ok: 17, notFound: 9, errors: 0, elapsedMs: 1234 }), '--------------------\n 17 flags downloaded.\n  9 not found.\nElapsed time: 1.23s')
  t.equal(bookClosingLines({ ...base, ok: 1, notFound: 0, errors: 1, elapsedMs: 50 }), '--------------------\n  1 flag downloaded.\n  1 error.\nElapsed time: 0.05s')
})

t.test('the injection line says what differs from none, as the server prints it', async t => {
  t.equal(describeConfig({ latency: '500ms..5s', jitter: '0ms', 'error-rate': '418:0.25' }), 'latency 500ms..5s, error-rate 418:0.25')
  t.equal(describeConfig({ latency: '0ms', 'slow-bps': '2048' }), 'latency 0ms', 'the defaults are left out, the latency never')
  t.equal(describeConfig(null), null, 'a server that does not show it')
})

t.test('the loop\'s own figures, with the machine\'s noise floor beside them', async t => {
  const report = await fixture('report.json')
  const base = report.modes[0] as HarnessReport['modes'][number]
  // As met: p99 4.7 ms, busy 0.086 on a busy machine; the OS held the thread 0.31 of the run.
  const eventLoop = { delayP50Ms: 0, delayP99Ms: 4.7, delayMaxMs: 6.7, utilization: 0.086, machine: { heldShare: 0.31, own: { delayP50Ms: 0, delayP99Ms: 0.2, delayMaxMs: 0.4, utilization: 0.003 } } }
  const text = terminalReport({ ...report, modes: [{ ...base, eventLoop }] })
  const [header, row] = tableLines(text, ['event loop'])
  t.match(header, /^event loop +bound +p50 +p99 +max +busy +held +workers busy +rss peak$/)
  t.match(row, /^sequential +io +0\.0ms +0\.2ms +0\.4ms +0\.00 +0\.31 +- /, 'the loop\'s own delay and busy, and the OS\'s share beside them')
  t.match(terminalReport(report), /^sequential +io +1\.1ms +1\.5ms +4\.7ms +0\.03 +- /m, 'where the OS does not say: the figures as met, and -')
  t.match(htmlReport({ ...report, modes: [{ ...base, eventLoop }] }), /busy 0\.00 of the run \(utilization\); the OS kept it waiting for a core 0\.31 of the run, taken out of these \(as met, with it: p99 4\.7ms, busy 0\.09\)/)
})

t.test('every line of the default report fits 80 columns: the prose wrapped at words, the tables narrow', async t => {
  const report = await fixture('report.json')
  const text = terminalReport(report, { timeline: true })
  t.same(text.split('\n').filter(line => line.length > 80), [], 'no line over 80')
  // The legend of the ideal is one sentence of some 300 characters: wrapped, it continues two spaces in.
  t.match(text, /^ideal: the shortest elapsed time .*\n {2}\S/m, 'a legend wrapped, its continuation indented')
  t.ok(terminalReport(report, { width: 200 }).split('\n').some(line => line.length > 80), 'a wider terminal takes longer lines (so the check above can fail)')
  t.notOk(terminalReport(report, { headerShown: true }).includes('Flag harness:'), 'the header left out once printed at the start')
  t.match(headerText(report), /^Flag harness: .*\nSeed .*\nServer: /, 'the header on its own, as printed at the start')
})

t.test('a run cut before any mode finished: where it stopped, and no empty tables', async t => {
  const report = await fixture('report.json')
  const cut: HarnessReport = { ...report, incomplete: true, modes: [], stoppedIn: { mode: 'sequential', concurrency: 1, warmup: true, index: 0, of: 1, leftOut: false } }
  const text = terminalReport(cut)
  t.notMatch(text, /^mode +conc/m, 'no mode table')
  t.notMatch(text, /^event loop +bound/m, 'no loop table')
  t.notMatch(text, /^ideal:/m, 'no legends for tables not shown')
  t.match(unwrapped(text), /INCOMPLETE RUN\. Stopped in sequential, warm-up run 1 of 1 \(not measured\)\. No mode finished a measured run: nothing to show\./)
  const later: HarnessReport = { ...report, incomplete: true, stoppedIn: { mode: 'async', concurrency: 20, warmup: false, index: 1, of: 3, leftOut: false } }
  t.match(unwrapped(terminalReport(later)), /Stopped in async 20, run 2 of 3\. The figures cover only what was measured before it was cut\./, 'a measured run: its number of the runs asked')
  const leftOut: HarnessReport = { ...report, incomplete: true, stoppedIn: { mode: 'async', concurrency: 20, warmup: false, index: 2, of: 3, leftOut: true } }
  t.match(unwrapped(terminalReport(leftOut)), /Stopped in async 20, run 3 of 3, left out \(the figures are of the 2 before it\)\./, 'a cut run after whole ones: left out, and said')
})

t.test('--timeline: one time scale for every mode, so the speed-up shows in the bars', async t => {
  const report = await fixture('report.json')
  const [first] = report.modes
  if (first === undefined) throw new Error('the fixture has a mode')
  const request = (cc: string, startMs: number, endMs: number): HarnessReport['modes'][number]['requests'][number] =>
    ({ ...first.requests[0]!, cc, startMs, endMs, injectedDelayMs: endMs - startMs, outcome: 'ok' })
  // Sequential: two requests of 500 ms one after the other, 0 to 1,000 ms; async: both from 0 to
  // 100 ms. 60 columns for the longest run, 1,000 ms: 16.7 ms a column; async's bars end at
  // 100 / 1000 × 60 = column 6, sequential's second starts at column 30.
  const sequential = { ...first, mode: 'sequential' as const, requests: [request('BR', 0, 500), request('CN', 500, 1000)] }
  const async = { ...first, mode: 'async' as const, requests: [request('BR', 0, 100), request('CN', 0, 100)] }
  const text = timelines([sequential, async])
  t.match(text, /one column = 16\.7ms/)
  t.match(text, /^CN \| {30}-{30}\|$/m, 'sequential\'s second request: columns 30 to 60')
  t.match(text, /async \(0\.10s\):\nBR \|-{6} {54}\|\nCN \|-{6} {54}\|/, 'async: six columns of the same scale')
  t.match(text, /^Timeline: a row per request/m, 'the legend above the bars')
})
