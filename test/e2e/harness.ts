import { createConnection, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { parseReport } from '../fixtures/report.js'
import { runCompiled, spawnCompiled } from '../fixtures/run.js'

const harness = async (args: string[]): ReturnType<typeof runCompiled> => await runCompiled('harness/cli/main.js', args)

/** Resolves true when nothing listens on the port any more. */
async function refused (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise(resolve => {
    const socket = createConnection({ host: hostname, port: Number(port) })
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(true))
  })
}

t.test('--json: the documented fields, and the embedded server is gone after the run', async t => {
  const run = await harness(['--json', '--latency', '20ms', '--seed', '11', '-m', '4', '-l', '6'])
  t.equal(run.code, 0, 'exit 0')
  t.equal(run.stderr, '', 'nothing on stderr when piped')
  const report = parseReport(t, run.stdout)
  t.equal(Object.keys(report)[0], 'schemaVersion', 'schemaVersion is the first key')
  t.equal(report.schemaVersion, 2)
  t.same((report as unknown as { expectations: unknown }).expectations, [], 'no --expect, no expectations')
  t.match(report, { seed: 11, server: { embedded: true, config: { latency: '20ms' } }, incomplete: false, codes: ['BD', 'BR', 'CD', 'CN', 'DE', 'EG'] })
  t.match(report.command, /^npm run harness -- --json --latency 20ms --seed 11 -m 4 -l 6$/)
  t.same(report.modes.map(m => m.mode), ['sequential', 'pooled', 'async'])
  for (const m of report.modes) {
    for (const field of ['mode', 'concurrency', 'elapsedMs', 'runsMs', 'idealMs', 'speedup', 'efficiency', 'ok', 'notFound', 'errors', 'errorReasons', 'latencyMs', 'requests']) {
      t.ok(field in m, `${m.mode} has ${field}`)
    }
    t.equal(m.ok + m.notFound + m.errors, 6, `${m.mode}: the counts add up to the codes`)
    t.equal(m.requests.length, 6)
    t.match(m.requests[0], { cc: 'BD', outcome: 'ok', status: 200, injectedDelayMs: 20 })
    t.ok(m.requests.every(r => r.endMs >= r.startMs + 20), `${m.mode}: every request took at least its delay`)
    t.ok(m.elapsedMs >= (m.idealMs ?? Infinity), `${m.mode}: no faster than ideal`)
  }
  t.same(report.modes.map(m => m.concurrency), [1, 4, 4])
  t.equal(report.modes[0]?.idealMs, 120, 'sequential ideal: 6 × 20 ms')
  t.equal(report.modes[2]?.idealMs, 40, 'async ideal: 6 requests over 4 slots, 2 rounds of 20 ms')
  t.ok(await refused(report.server.url), 'the embedded server no longer listens')
})

t.test('the terminal report has the table and the book\'s closing lines', async t => {
  const run = await harness(['--latency', '0ms', '--mode', 'async', 'B', '-m', '30'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^Flag harness: 26 flags, from BA to BZ$/m)
  t.match(run.stdout, /^mode\s+conc\s+elapsed\s+ideal\s+effic\s+speedup\s+ok\s+404\s+err/m)
  t.match(run.stdout, /^async\s+26\s/m, '-m is capped by the number of codes')
  t.match(run.stdout, /^-{20}\n 17 flags downloaded\.\n {2}9 not found\.\nElapsed time: \d+\.\d\ds$/m, 'flags2_common.final_report, as the book prints it for B')
})

t.test('usage errors: one line, exit 2; nothing started', async t => {
  for (const args of [['-m', '0'], ['--mode', 'fast'], ['--latency', 'x'], ['BRA'], ['--nope'], ['--report', '/nonexistent/dir/r.html']]) {
    const run = await harness(args)
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`)
    t.match(run.stderr, /^flag-harness: \S/)
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line')
  }
  const help = await harness(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: npm run harness -- \[options\] \[CC \.\.\.\]/)
  t.match(help.stdout, /^Exit: 0 when the run completed .* 1 when .* 2 for\nbad options, 3 when an --expect threshold was missed .*\n130 when interrupted \(Ctrl-C\) and 143 when terminated \(SIGTERM\)/ms, 'the exit codes')
  const bad = await harness(['--expect', 'async.speedup>>15'])
  t.equal(bad.code, 2, 'a bad --expect: exit 2')
  t.match(bad.stderr, /^flag-harness: --expect: invalid value "async\.speedup>>15" \(not NAME OP VALUE\); accepted: NAME OP VALUE, OP one of < <= > >= == !=[^\n]*\n$/)
})

t.test('an unreachable server: one line, exit 1', async t => {
  const closed = createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise(resolve => closed.close(resolve))
  const run = await harness(['-s', `http://127.0.0.1:${port}/flags`])
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`^flag-harness: server http://127.0.0.1:${port}/flags: unreachable \\(ECONNREFUSED\\); start it with npm run server`))
  t.equal(run.stderr.trim().split('\n').length, 1)
})

// Ctrl-C and SIGTERM end a run alike, with what it measured; only the exit code differs. With
// an --expect that the cut run would miss: a cut run is not judged.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  t.test(`${signal}: the partial report, marked incomplete, exit ${code}, no server left`, async t => {
    // --cold: the first run is the measured one, so two codes in, the run is being measured.
    const running = spawnCompiled('harness/cli/main.js', ['--json', '-v', '--cold', '--latency', '300ms', '--mode', 'sequential', '-a', '--expect', 'errors==0'])
    // -v prints a line per completed code: once two are done, the run is well under way.
    await running.printed('stderr', /^sequential: \w\w OK\nsequential: \w\w OK\n/m)
    running.child.kill(signal)
    const run = await running.finished
    t.equal(run.code, code, `exit ${code}, not 3: the run was cut, not judged`)
    const report = parseReport(t, run.stdout)
    t.equal(report.incomplete, true, 'marked incomplete')
    t.same(report.stoppedIn, { mode: 'sequential', concurrency: 1, warmup: false, index: 0, of: 1, leftOut: false }, 'where: sequential\'s one measured run (--cold)')
    const [sequential] = report.modes
    t.ok(sequential !== undefined && sequential.ok >= 2 && sequential.ok < 194, `kept what it measured (${sequential?.ok} ok)`)
    t.equal(sequential?.complete, false)
    t.equal((sequential?.ok ?? 0) + (sequential?.errors ?? 0) + (sequential?.notRun ?? 0) + (sequential?.notFound ?? 0), 194, 'ok + not found + errors + not run = codes')
    t.ok(await refused(report.server.url), 'the embedded server is stopped')
  })
}

// Cut in its second measured run, a mode's figures are its first, whole run: the median of a
// whole run and a cut one would be neither. Known answer: 20 flags at a fixed 300 ms, one at a
// time: the whole run has 20 ok, no error, and an ideal of 20 × 300 ms = 6 s.
t.test('SIGINT in a later measured run: the whole runs before it stand for the mode, the cut one left out', async t => {
  const running = spawnCompiled('harness/cli/main.js', ['--json', '-v', '--cold', '--repeat', '2', '--latency', '300ms', '-l', '20', '--mode', 'sequential'])
  // The 20th flag's line ends run 1; two lines more and run 2 is under way.
  await running.printed('stderr', /^(?:sequential: \w\w OK\n){22}/m)
  running.child.kill('SIGINT')
  const run = await running.finished
  t.equal(run.code, 130)
  const report = parseReport(t, run.stdout)
  t.same(report.stoppedIn, { mode: 'sequential', concurrency: 1, warmup: false, index: 1, of: 2, leftOut: true }, 'stopped in run 2 of 2, left out')
  const [sequential] = report.modes
  t.equal(sequential?.runsMs.length, 1, 'one run in the figures')
  t.equal(sequential?.ok, 20, 'the whole run: 20 ok')
  t.equal(sequential?.errors, 0, 'and no error (none interrupted)')
  t.equal(sequential?.complete, true)
  t.equal(sequential?.idealMs, 6000, 'its ideal: 20 × 300 ms')
})

t.test('--sweep: one row per concurrency and mode, against Little\'s law', async t => {
  const run = await harness(['--json', '--sweep', '1,2,4', '--latency', '20ms', '-l', '4', '--seed', '3'])
  t.equal(run.code, 0)
  const report = parseReport(t, run.stdout)
  t.same(report.modes.map(m => m.mode), ['sequential'], 'sequential once, as the baseline')
  t.same(report.sweep?.points.map(p => `${p.mode} ${p.concurrency}`), ['pooled 1', 'async 1', 'pooled 2', 'async 2', 'pooled 4', 'async 4'])
  t.same(report.sweep?.points.map(p => p.idealSpeedup), [1, 1, 2, 2, 4, 4], 'equal delays: the ideal speedup is min(C, N)')
  t.ok(report.sweep?.points.every(p => p.speedup > 0 && p.elapsedMs >= (p.idealMs ?? Infinity)), 'no point beats its ideal')
})

t.test('--cpu-work and --sync-save: the event loop\'s figures show them', async t => {
  const dir = t.testdir({})
  const run = await harness(['--json', '--latency', '10ms', '-l', '6', '-m', '6', '--cpu-work', '30ms', '--save', dir, '--sync-save', '--mode', 'async,pooled'])
  t.equal(run.code, 0)
  const report = parseReport(t, run.stdout)
  t.match(report, { cpuWorkMs: 30, syncSave: true })
  const [async, pooled] = report.modes
  t.equal(async?.bound, 'cpu', 'one loop: 6 × 30 ms of CPU work binds, not the 10 ms delays')
  t.equal(async?.cpuBoundMs, 180)
  // Worked out by hand: one loop, all 6 in flight: L + N × c = 10 + 6 × 30 = 190 ms; pooled, 6
  // workers on this machine's cores k: L + ⌈6 / k⌉ × 30.
  t.equal(async?.idealMs, 190, 'async ideal: the responses at 10 ms, then 6 × 30 ms on one loop')
  t.equal(pooled?.idealMs, 10 + Math.ceil(6 / Math.min(6, report.machine.cpus)) * 30, 'pooled ideal: the work spread over the cores')
  // At least half of 6 × 30 ms (the work is calibrated once and may run up to a third faster
  // later, cpu-work.ts says why); with no work, the run would take some 20 ms.
  t.ok((async?.elapsedMs ?? 0) >= 90, `async did its 6 × 30 ms of work on one loop (${async?.elapsedMs} ms)`)
  t.ok((async?.eventLoop.delayMaxMs ?? 0) >= 25, `the async loop was blocked by the work (max delay ${async?.eventLoop.delayMaxMs} ms)`)
  t.equal(pooled?.threads, 7, 'pooled: the main thread and 6 workers')
  t.equal(pooled?.workerUtilization?.length, 6, 'one utilization per worker')
  t.ok(pooled?.workerUtilization?.every(u => u >= 0 && u <= 1), 'each in [0, 1]')
})

t.test('--timeline draws one bar per request, a staircase for sequential', async t => {
  const run = await harness(['--timeline', '--latency', '30ms', '-l', '4', '--mode', 'sequential,async'])
  t.equal(run.code, 0)
  const bars = (mode: string): string[] => (run.stdout.split(`\n${mode} (`)[1] ?? '').split('\n').slice(1, 5)
  const starts = (lines: string[]): number[] => lines.map(line => line.indexOf('-', 3))
  // Where a bar ends: its last drawn column, the frame's closing '|' left out.
  const end = (line: string | undefined): number => (line ?? '').replace(/\|$/, '').trimEnd().length
  t.same(bars('sequential').map(line => line.slice(0, 3)), ['BD ', 'BR ', 'CD ', 'CN '], 'a row per code')
  const sequential = starts(bars('sequential'))
  t.ok(sequential.every((start, i) => i === 0 || start > (sequential[i - 1] ?? 0)), 'sequential: each starts after the one before')
  const async = bars('async')
  const firstEnds = end(async[0])
  t.ok(starts(async).every(start => start < firstEnds), 'async: every request starts before the first one ends')
  // One scale for both: async's 4 requests at once end well before sequential's 4 in a row.
  t.ok(firstEnds < end(bars('sequential')[3]), 'one time scale: async\'s bars end before sequential\'s last one does')
})

t.test('--report writes the HTML report next to the terminal one', async t => {
  const file = `${t.testdir({})}/report.html`
  const run = await harness(['--report', file, '--latency', '5ms', '-l', '3', '--mode', 'async'])
  t.equal(run.code, 0)
  t.match(run.stderr, `flag-harness: the HTML report is in ${file}\n`, 'it says where it wrote')
  const { readFile } = await import('node:fs/promises')
  const html = await readFile(file, 'utf8')
  t.match(html, /^<!DOCTYPE html>/i)
  t.equal(html.match(/<svg[^>]* data-mode="async"/g)?.length, 1, 'a timeline for the mode')
  t.equal(html.match(/class="bar\b/g)?.length, 3, 'a bar per request')
})

t.test('the server dies mid-run: every code accounted for, the report marked incomplete, exit 1', async t => {
  const running = spawnCompiled('harness/cli/main.js', ['--json', '-v', '--cold', '--latency', '100ms', '--mode', 'sequential,async', '-a'])
  await running.printed('stderr', /^sequential: \w\w OK\nsequential: \w\w OK\n/m)
  // The harness's one child is its embedded server.
  const { execFileSync } = await import('node:child_process')
  const server = Number(execFileSync('pgrep', ['-P', String(running.child.pid)]).toString().trim().split('\n')[0])
  process.kill(server, 'SIGKILL')
  const run = await running.finished
  t.equal(run.code, 1, 'exit 1: the server died')
  t.match(run.stderr, /^flag-harness: the server was killed by SIGKILL during the run; the report covers what was measured$/m)
  const report = parseReport(t, run.stdout)
  t.match(report, { incomplete: true, serverLost: 'the server was killed by SIGKILL' })
  for (const m of report.modes) {
    t.equal(m.ok + m.notFound + m.errors, 194, `${m.mode}: ok + not found + errors = codes`)
    t.ok(m.requests.every(r => r.outcome !== 'error' || (r.reason !== null && r.reason !== 'unknown')), `${m.mode}: each error has its reason`)
  }
  t.ok((report.modes[1]?.errorReasons.refused ?? 0) === 194, 'async, after the death: every request refused')
})

t.test('a server that answers garbage: counted as bad responses', async t => {
  // /healthz answers as HTTP does, so the harness starts; the flags come back as noise.
  const garbage = createServer(socket => {
    socket.once('data', (head: Buffer) => {
      if (head.toString().startsWith('GET /healthz')) socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}')
      else socket.end('this is not HTTP at all\r\n\r\n')
    })
  })
  await new Promise<void>(resolve => garbage.listen(0, '127.0.0.1', resolve))
  t.teardown(() => garbage.close())
  const { port } = garbage.address() as AddressInfo
  const run = await harness(['--json', '-s', `http://127.0.0.1:${port}/flags`, '-l', '5', '--mode', 'sequential,async'])
  t.equal(run.code, 0, 'the run completes: failed requests are counted, not fatal')
  const report = parseReport(t, run.stdout)
  for (const m of report.modes) t.same(m.errorReasons, { 'bad-response': 5 }, `${m.mode}: 5 bad responses`)
})

t.test('--mode processes: a pool of worker processes, its start-up and memory apart', async t => {
  const run = await harness(['--json', '--latency', '20ms', '--seed', '5', '-l', '4', '-m', '4', '--mode', 'sequential,processes'])
  t.equal(run.code, 0)
  const report = parseReport(t, run.stdout)
  const processes = report.modes.find(m => m.mode === 'processes')
  t.match(processes, { concurrency: 4, ok: 4, threads: 5 }, 'four processes beside the main thread')
  t.ok((processes?.startupMs ?? 0) > 0, `its start-up is timed apart (${processes?.startupMs} ms)`)
  t.ok((processes?.memory.workersRssMb ?? 0) > 0, `the processes' memory, summed (${processes?.memory.workersRssMb} MB)`)
  t.equal(processes?.workerUtilization?.length, 4, 'one utilization per process')
  // Worked out by hand: four requests of 20 ms over four processes: one round, 20 ms.
  t.equal(processes?.idealMs, 20)
})

t.test('--sweep with --mode: the modes chosen, at each concurrency', async t => {
  const run = await harness(['--json', '--sweep', '1,2', '--mode', 'processes', '--latency', '10ms', '-l', '2', '--seed', '3'])
  t.equal(run.code, 0)
  const report = parseReport(t, run.stdout)
  t.same(report.sweep?.points.map(p => `${p.mode} ${p.concurrency}`), ['processes 1', 'processes 2'])
})
