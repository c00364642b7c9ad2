// --expect, as a person runs it: the compiled harness and load tool with their own server, a
// threshold missed (exit 3, each miss on a line after the report) and met (exit 0), and the
// verdicts in the --json document.

import t from 'tap'
import type { LoadReport } from '../../harness/core/load/report.js'
import { parseReport } from '../fixtures/report.js'
import { runCompiled } from '../fixtures/run.js'

const harness = async (args: string[]): ReturnType<typeof runCompiled> => await runCompiled('harness/cli/main.js', args)
const load = async (args: string[]): ReturnType<typeof runCompiled> => await runCompiled('harness/load/main.js', args)

t.test('--expect: a miss exits 3, each miss on a line after the report; met, exit 0', async t => {
  // 4 flags at 20 ms over 4 slots: async's best speedup is 4 (80 ms / 20 ms), so 100 cannot be met.
  const missed = await harness(['--latency', '20ms', '-l', '4', '--expect', 'async.speedup>=100', '--expect', 'errors==0'])
  t.equal(missed.code, 3, 'exit 3: a threshold missed')
  const tail = missed.stdout.slice(missed.stdout.lastIndexOf('\nExpectations (--expect):\n'))
  t.match(tail, /^\nExpectations \(--expect\):\nMISSED {2}async\.speedup >= 100x: \d+(\.\d+)?x\nmet {5}errors == 0: 0\n$/, 'after the report: one line each')
  t.ok(missed.stdout.indexOf('Expectations (--expect):') > missed.stdout.indexOf('Elapsed time:'), 'after the book\'s closing lines')
  // At 100 ms: sequential 400 ms, async 100 ms; 1.5 is met unless async takes 167 ms more.
  const met = await harness(['--latency', '100ms', '-l', '4', '--expect', 'async.speedup>=1.5', '--expect', 'errors==0', '--expect', 'async.p50>=20ms'])
  t.equal(met.code, 0, 'every threshold met: exit 0')
  t.match(met.stdout, /\nExpectations \(--expect\):\nmet {5}async\.speedup >= 1\.5x: [\d.]+x\nmet {5}errors == 0: 0\nmet {5}async\.p50 >= 20ms: [\d.]+ms\n$/)

  const json = await harness(['--json', '--latency', '20ms', '-l', '4', '--mode', 'sequential,async', '--expect', 'async.speedup>=100', '--expect', 'sequential.elapsed>=80ms'])
  t.equal(json.code, 3)
  const report = parseReport(t, json.stdout) as ReturnType<typeof parseReport> & { expectations: Array<Record<string, unknown>> }
  const speedup = report.modes[1]?.speedup
  t.same(report.expectations, [
    { expression: 'async.speedup>=100', name: 'async.speedup', op: '>=', target: 100, unit: 'x', figure: speedup, met: false },
    { expression: 'sequential.elapsed>=80ms', name: 'sequential.elapsed', op: '>=', target: 80, unit: 'ms', figure: report.modes[0]?.elapsedMs, met: true }
  ], 'each with its figure, op, target and verdict')
  t.equal(json.stderr, `flag-harness: --expect async.speedup>=100: missed, async.speedup is ${speedup}x\n`, 'the miss on stderr, one line')
})

t.test('--expect in the load mode: a miss exits 3; met, exit 0; the verdicts in --json', async t => {
  // 10 connections, a fixed 20 ms: no answer before 20 ms, and never above C/L = 500 req/s.
  const met = await load(['-a', '200', '-c', '10', '--latency', '20ms', '--expect', 'p50>=20ms', '--expect', 'bound<=1', '--expect', 'requests==200'])
  t.equal(met.code, 0, 'every threshold met: exit 0')
  t.match(met.stdout, /\nExpectations \(--expect\):\nmet {5}p50 >= 20ms: [\d.]+ms\nmet {5}bound <= 1: [\d.]+\nmet {5}requests == 200: 200\n$/)
  const missed = await load(['-a', '200', '-c', '10', '--latency', '20ms', '--expect', 'rps>=500', '--expect', 'errors==0'])
  t.equal(missed.code, 3, 'over C/L cannot be: exit 3')
  t.match(missed.stdout, /\nExpectations \(--expect\):\nMISSED {2}rps >= 500 req\/s: [\d.]+ req\/s\nmet {5}errors == 0: 0\n$/)
  const json = await load(['-a', '200', '-c', '10', '--latency', '20ms', '--json', '--expect', 'max<20ms'])
  t.equal(json.code, 3)
  const report = JSON.parse(json.stdout) as LoadReport & { expectations: unknown[] }
  t.equal(Object.keys(report)[0], 'schemaVersion', 'schemaVersion first')
  t.equal(report.schemaVersion, 1)
  t.same(report.expectations, [{ expression: 'max<20ms', name: 'max', op: '<', target: 20, unit: 'ms', figure: report.latencyMs.max, met: false }])
  t.equal(json.stderr, `flag-load: --expect max<20ms: missed, max is ${Number(report.latencyMs.max.toFixed(3))}ms\n`)
  const bad = await load(['--expect', 'speedup>2'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /^flag-load: --expect: invalid value "speedup>2" \(no figure speedup\); accepted: NAME OP VALUE[^\n]*\n$/)
})
