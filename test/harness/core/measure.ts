// measure(options, listeners): the core's one call, as a tool uses it, without a command line.

import t from 'tap'
import { measure, type ModeAt } from '../../../harness/core/measure.js'
import { MEASURE_DEFAULTS, type MeasureOptions } from '../../../harness/core/options.js'
import { TargetError } from '../../../harness/core/target.js'
import { checkEfficiency } from '../../fixtures/report.js'

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
  const name = (at: ModeAt): string => `${at.mode}/${at.concurrency}`
  const writes: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => { writes.push(String(chunk)); return true }) as typeof process.stderr.write
  let report
  try {
    report = await measure(options(), {
      start: ({ codes, modes }) => events.push(`start ${codes.join(',')} ${modes.map(name).join(' ')}`),
      opening: at => events.push(`opening ${name(at)}`),
      runStart: (at, run) => events.push(`${run.warmup ? 'warm-up' : 'run'} ${name(at)} ${run.index + 1}/${run.of}`),
      record: at => events.push(`record ${name(at)}`),
      runEnd: at => events.push(`end ${name(at)}`)
    })
  } finally {
    process.stderr.write = write
  }
  t.same(writes, [], 'the core writes nothing to stderr')
  // Two modes, one warm-up and two measured runs each, four codes a run.
  const records = (at: string): string[] => Array<string>(4).fill(`record ${at}`)
  const runs = (at: string): string[] => [`warm-up ${at} 1/1`, ...records(at), `end ${at}`,
    `run ${at} 1/2`, ...records(at), `end ${at}`, `run ${at} 2/2`, ...records(at), `end ${at}`]
  t.same(events, ['start BR,CN,IN,US sequential/1 async/4', 'opening sequential/1', ...runs('sequential/1'), 'opening async/4', ...runs('async/4')])
  t.match(report, { seed: 3, incomplete: false, codes: ['BR', 'CN', 'IN', 'US'], command: 'npm run harness -- --latency 20ms' })
  t.same(report.modes.map(m => [m.mode, m.runsMs.length, m.ok]), [['sequential', 2, 4], ['async', 2, 4]])
  // Four requests of 20 ms: one after another 80 ms, all at once 20 ms.
  t.same(report.modes.map(m => m.idealMs), [80, 20])
  checkEfficiency(t, report)
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

t.test('the cold run is timed apart; --cold measures it instead', async t => {
  const warm = await measure(options({ modes: ['async'], repeat: 1 }))
  t.ok((warm.modes[0]?.coldMs ?? 0) >= 20, `a warm-up run, timed: ${warm.modes[0]?.coldMs} ms, at least the 20 ms delay`)
  t.equal(warm.warmup, 1)
  const cold = await measure(options({ modes: ['async'], repeat: 1, warmup: 0 }))
  t.equal(cold.modes[0]?.coldMs, null, 'no warm-up: the measured run is the cold one')
})

t.test('fates: the same for every run and mode, or new each run (--fresh-fates) but the same for run k of every mode', async t => {
  const delays = async (freshFates: boolean): Promise<Map<string, string>> => {
    const seen = new Map<string, string>()
    await measure(options({ injection: { latency: { kind: 'uniform', minMs: 1, maxMs: 60 } }, freshFates }), {
      record: (at, record, run) => {
        const key = `${run.warmup ? 'warm' : 'run'} ${run.index}`
        seen.set(`${at.mode} ${key}`, `${seen.get(`${at.mode} ${key}`) ?? ''} ${record.cc}=${record.injectedDelayMs}`.split(' ').sort().join(' '))
      }
    })
    return seen
  }
  const same = await delays(false)
  t.equal(new Set(same.values()).size, 1, 'every run of every mode met the same delays')
  const fresh = await delays(true)
  t.equal(fresh.get('sequential run 0'), fresh.get('async run 0'), 'run 1: the same for both modes')
  t.equal(fresh.get('sequential run 1'), fresh.get('async run 1'), 'run 2: the same for both modes')
  t.not(fresh.get('sequential run 0'), fresh.get('sequential run 1'), 'but run 2 drew new ones')
  t.not(fresh.get('sequential run 0'), same.get('sequential run 0'), 'and run 1 other than the unsalted ones')
})
