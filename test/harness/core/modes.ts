import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openAsync } from '../../../harness/core/modes/async.js'
import type { DownloadOptions } from '../../../harness/core/download.js'
import type { ModeContext, ModeName, ModeSession } from '../../../harness/core/modes/mode.js'
import { openPooled } from '../../../harness/core/modes/pooled.js'
import { openSequential } from '../../../harness/core/modes/sequential.js'
import type { RequestRecord } from '../../../harness/core/record.js'
import { fate } from '../../../server/fate.js'
import { defaultFlagsDir } from '../../../server/contract/project.js'
import { injectionOf, projectFlags, startSite } from '../../fixtures/site.js'

// Workers load the TypeScript sources under tap, which is slow to start: keep the pool small.
const OPENERS: Array<[ModeName, (context: ModeContext) => Promise<ModeSession>, number]> = [
  ['sequential', openSequential, 1],
  ['pooled', openPooled, 4],
  ['async', openAsync, 16]
]

async function runOnce (t: Test, open: (context: ModeContext) => Promise<ModeSession>, context: ModeContext): Promise<RequestRecord[]> {
  const session = await open(context)
  try {
    const seen: RequestRecord[] = []
    const run = await session.run(record => seen.push(record))
    t.same(run.records, seen, 'onRecord saw every record, in completion order')
    return run.records
  } finally {
    await session.close()
  }
}

const download = (saveDir: string | null = null): DownloadOptions => ({ timeoutMs: 5000, headers: {}, saveDir, syncSave: false, cpuWorkMs: 0 })

const SEED = 2718
const injection = injectionOf({ latency: '1ms..4ms', 'error-rate': '500:0.2,418:0.1', 'reset-rate': '0.1', 'truncate-rate': '0.05' })

t.test('every mode: outcomes are the ones the pure fate function predicts', async t => {
  const base = `${await startSite(t, { seed: SEED, injection })}/flags`
  const served = new Set((await projectFlags()).codes)
  const codes = [...(await projectFlags()).codes.slice(0, 60), 'QQ', 'XA', 'ZZ']

  const predicted = new Map(codes.map(cc => {
    const { fault } = fate(SEED, `/flags/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`, '', injection)
    if (fault.kind === 'http') return [cc, `error http-${fault.status}`]
    if (fault.kind === 'reset') return [cc, 'error reset']
    if (fault.kind === 'truncate') return [cc, 'error truncated']
    return [cc, served.has(cc) ? 'ok' : 'not-found']
  }))
  t.ok([...predicted.values()].filter(v => v.startsWith('error')).length > 10, 'the config draws enough faults to mean something')

  for (const [mode, open, concurrency] of OPENERS) {
    const records = await runOnce(t, open, { baseUrl: base, codes, concurrency, download: download(), interrupt: new AbortController().signal })
    t.equal(records.length, codes.length, `${mode}: every code accounted for`)
    const seen = new Map(records.map(r => [r.cc, r.outcome === 'error' ? `error ${r.reason}` : r.outcome]))
    t.same(Object.fromEntries(seen), Object.fromEntries(predicted), `${mode}: each outcome as predicted`)
  }
})

t.test('every mode downloads exactly the right bytes', async t => {
  const base = `${await startSite(t)}/flags`
  const codes = ['BR', 'CN', 'IN', 'JP', 'NG', 'US']
  for (const [mode, open, concurrency] of OPENERS) {
    const dir = t.testdir({})
    const records = await runOnce(t, open, { baseUrl: base, codes, concurrency, download: download(dir), interrupt: new AbortController().signal })
    t.ok(records.every(r => r.outcome === 'ok'), `${mode}: all ok`)
    for (const cc of codes) {
      const saved = await readFile(join(dir, `${cc}.gif`))
      t.ok(saved.equals(await readFile(join(defaultFlagsDir(), cc.toLowerCase(), `${cc.toLowerCase()}.gif`))), `${mode}: ${cc}.gif is byte-equal to the served file`)
    }
  }
})

t.test('concurrency: sequential holds one request at a time, the others up to C', async t => {
  const base = `${await startSite(t, { injection: injectionOf({ latency: '30ms' }) })}/flags`
  const codes = (await projectFlags()).codes.slice(0, 16)
  const maxOverlap = (records: RequestRecord[]): number => Math.max(...records.map(r => records.filter(o => o.startMs < r.endMs && o.endMs > r.startMs && o.startMs <= r.startMs).length))
  for (const [mode, open, concurrency] of OPENERS) {
    const records = await runOnce(t, open, { baseUrl: base, codes, concurrency, download: download(), interrupt: new AbortController().signal })
    t.ok(maxOverlap(records) <= concurrency, `${mode}: at most ${concurrency} in flight (saw ${maxOverlap(records)})`)
    if (concurrency > 1) t.ok(maxOverlap(records) > 1, `${mode}: requests overlap`)
  }
})

t.test('an interrupt stops handing out requests', async t => {
  const base = `${await startSite(t, { injection: injectionOf({ latency: '20ms' }) })}/flags`
  const codes = (await projectFlags()).codes.slice(0, 40)
  for (const [mode, open, concurrency] of OPENERS) {
    const interrupt = new AbortController()
    const session = await open({ baseUrl: base, codes, concurrency, download: download(), interrupt: interrupt.signal })
    let count = 0
    const run = await session.run(() => { if (++count === 2) interrupt.abort() })
    await session.close()
    t.ok(run.records.length < codes.length, `${mode}: stopped after ${run.records.length} of ${codes.length}`)
    t.ok(run.records.length >= 2, `${mode}: kept what completed`)
  }
})
