// measure(options, listeners): the core's one call, as a tool uses it, without a command line.

import t from 'tap'
import { measure, type Lane } from '../../../harness/core/measure.js'
import { MEASURE_DEFAULTS, type MeasureOptions } from '../../../harness/core/options.js'
import { TargetError } from '../../../harness/core/target.js'

function options (overrides: Partial<MeasureOptions> = {}): MeasureOptions {
  return {
    ...MEASURE_DEFAULTS,
    seed: 3,
    injection: { latency: { kind: 'fixed', ms: 20 } },
    codes: { kind: 'list', args: ['BR', 'CN', 'IN', 'US'] },
    maxReq: 4,
    modes: ['sequential', 'async'],
    repeat: 2,
    warmup: 1,
    signal: new AbortController().signal,
    reproduce: { script: 'harness', argv: ['--latency', '20ms'] },
    ...overrides
  }
}

t.test('one call runs the whole job; listeners see it in order; nothing is printed', async t => {
  const events: string[] = []
  const name = (lane: Lane): string => `${lane.mode}/${lane.concurrency}`
  const writes: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => { writes.push(String(chunk)); return true }) as typeof process.stderr.write
  let report
  try {
    report = await measure(options(), {
      start: ({ codes, lanes }) => events.push(`start ${codes.join(',')} ${lanes.map(name).join(' ')}`),
      opening: lane => events.push(`opening ${name(lane)}`),
      runStart: (lane, index, repeat) => events.push(`run ${name(lane)} ${index + 1}/${repeat}`),
      record: lane => events.push(`record ${name(lane)}`),
      runEnd: lane => events.push(`end ${name(lane)}`)
    })
  } finally {
    process.stderr.write = write
  }
  t.same(writes, [], 'the core writes nothing to stderr')
  // Two modes, one warm-up (not announced) and two measured runs each, four codes a run.
  const records = (lane: string): string[] => Array<string>(4).fill(`record ${lane}`)
  t.same(events, [
    'start BR,CN,IN,US sequential/1 async/4',
    'opening sequential/1', 'run sequential/1 1/2', ...records('sequential/1'), 'end sequential/1',
    'run sequential/1 2/2', ...records('sequential/1'), 'end sequential/1',
    'opening async/4', 'run async/4 1/2', ...records('async/4'), 'end async/4',
    'run async/4 2/2', ...records('async/4'), 'end async/4'
  ])
  t.match(report, { seed: 3, incomplete: false, codes: ['BR', 'CN', 'IN', 'US'], command: 'npm run harness -- --latency 20ms' })
  t.same(report.modes.map(m => [m.mode, m.runsMs.length, m.ok]), [['sequential', 2, 4], ['async', 2, 4]])
  // Four requests of 20 ms: one after another 80 ms, all at once 20 ms.
  t.same(report.modes.map(m => m.idealMs), [80, 20])
})

t.test('together: every lane is open before the clocks start', async t => {
  const events: string[] = []
  const report = await measure(options({ modes: ['sequential', 'pooled', 'async'], repeat: 1, warmup: 0, together: true }), {
    opening: lane => events.push(`opening ${lane.mode}`),
    go: () => events.push('go'),
    runStart: lane => events.push(`run ${lane.mode}`)
  })
  t.same(events.slice(0, 4), ['opening sequential', 'opening pooled', 'opening async', 'go'])
  t.same(events.slice(4).sort(), ['run async', 'run pooled', 'run sequential'])
  t.same(report.modes.map(m => m.mode), ['sequential', 'pooled', 'async'])
})

t.test('a server that cannot be reached rejects with a TargetError, before any event', async t => {
  let events = 0
  const error: unknown = await measure(options({ server: { kind: 'url', baseUrl: 'http://127.0.0.1:1/flags', label: null }, seed: null, injection: {} }), { start: () => { events++ } })
    .then(() => null, (rejected: unknown) => rejected)
  t.ok(error instanceof TargetError, 'a TargetError')
  t.match(error, { message: /^server http:\/\/127\.0\.0\.1:1\/flags: unreachable \(ECONNREFUSED\)/ })
  t.equal(events, 0)
})

t.test('an aborted signal: no mode runs, the report says incomplete', async t => {
  const interrupt = new AbortController()
  interrupt.abort()
  const report = await measure(options({ signal: interrupt.signal }))
  t.same(report.modes, [])
  t.equal(report.incomplete, true)
})
