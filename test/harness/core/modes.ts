import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { openAsync } from '../../../harness/core/modes/async.js'
import type { DownloadOptions } from '../../../harness/core/download.js'
import type { ModeContext, ModeSession } from '../../../harness/core/modes/mode.js'
import type { ModeName } from '../../../harness/core/modes/registry.js'
import { openPooled } from '../../../harness/core/modes/pooled.js'
import { openSequential } from '../../../harness/core/modes/sequential.js'
import type { RequestRecord } from '../../../harness/core/record.js'
import { fate } from '../../../server/fate.js'
import { defaultFlagsDir } from '../../../server/contract/project.js'
import { startGatedServer } from '../../fixtures/gated-server.js'
import { injectionOf, projectFlags, startSite } from '../../fixtures/site.js'

// Workers load the TypeScript sources under tap, which is slow to start: keep the pool small.
// Pooled's worker threads load the TypeScript sources under tap: seconds each on a busy machine.
t.setTimeout(120_000)

const OPENERS: Array<[ModeName, (context: ModeContext) => Promise<ModeSession>, number]> = [
  ['sequential', openSequential, 1],
  ['pooled', openPooled, 4],
  ['async', openAsync, 16]
]

async function runOnce (t: Test, open: (context: ModeContext) => Promise<ModeSession>, context: ModeContext): Promise<RequestRecord[]> {
  const session = await open(context)
  try {
    const seen: RequestRecord[] = []
    const run = await session.run(record => seen.push(record), null)
    t.same(run.records, seen, 'onRecord saw every record, in completion order')
    return run.records
  } finally {
    await session.close()
  }
}

const download = (saveDir: string | null = null): DownloadOptions => ({ timeoutMs: 5000, headers: {}, saveDir, syncSave: false, cpuSlices: 0 })

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

/** Fewer at once than there are codes (C < N): the limit, not the number of codes, holds requests back. */
const LIMITED: Array<[ModeName, (context: ModeContext) => Promise<ModeSession>, number]> = [
  ['sequential', openSequential, 1],
  ['pooled', openPooled, 3],
  ['async', openAsync, 4]
]
/**
 * A correct mode passes whatever this is: the gates alone bring C requests in. It is the time
 * a mode that lets one too many go gets to show it before the next release.
 */
const GRACE_MS = 20

t.test('concurrency: each mode holds exactly C requests in flight (C < N), handed out in order', async t => {
  const codes = (await projectFlags()).codes.slice(0, 10)
  for (const [mode, open, concurrency] of LIMITED) {
    // A server of its own per mode, which holds every request until the test releases it.
    const server = await startGatedServer(t)
    // No request may time out while held, however slow the machine.
    const session = await open({ baseUrl: `${server.url}/flags`, codes, concurrency, download: { ...download(), timeoutMs: 600_000 }, interrupt: new AbortController().signal })
    const inFlight: number[] = []
    let records: RequestRecord[]
    try {
      const running = session.run(() => {}, null)
      for (let done = 0; done < codes.length; done++) {
        await server.arrived(done + Math.min(concurrency, codes.length - done))
        await sleep(GRACE_MS)
        inFlight.push(server.inFlight())
        // The latest arrival, not the oldest: which request ends must not change which goes next.
        server.held.at(-1)?.release()
      }
      records = (await running).records
    } finally {
      await session.close()
    }
    t.equal(records.filter(r => r.outcome === 'ok').length, codes.length, `${mode}: every request answered and counted`)
    t.same(inFlight, codes.map((_, done) => Math.min(concurrency, codes.length - done)), `${mode}: C in flight before each release until fewer are left (saw ${inFlight.join(', ')})`)
    t.equal(server.maxInFlight(), concurrency, `${mode}: the most in flight at once is exactly C = ${concurrency} of N = ${codes.length}`)
    const arrived = server.arrivals.map(path => /^\/flags\/([a-z]+)\//.exec(path)?.[1]?.toUpperCase())
    t.same([...arrived.slice(0, concurrency)].sort(), codes.slice(0, concurrency).sort(), `${mode}: the first C codes go out first`)
    t.same(arrived.slice(concurrency), codes.slice(concurrency), `${mode}: then one per release, in the order of the codes`)
  }
})

t.test('an interrupt stops handing out requests', async t => {
  const base = `${await startSite(t, { injection: injectionOf({ latency: '20ms' }) })}/flags`
  const codes = (await projectFlags()).codes.slice(0, 40)
  for (const [mode, open, concurrency] of OPENERS) {
    const interrupt = new AbortController()
    const session = await open({ baseUrl: base, codes, concurrency, download: download(), interrupt: interrupt.signal })
    let count = 0
    const run = await session.run(() => { if (++count === 2) interrupt.abort() }, null)
    await session.close()
    t.ok(run.records.length < codes.length, `${mode}: stopped after ${run.records.length} of ${codes.length}`)
    t.ok(run.records.length >= 2, `${mode}: kept what completed`)
  }
})
