import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { Agent } from 'undici'
import { downloadOne, type DownloadOptions, type FlagTransport } from '../../../harness/core/download.js'
import { modeFigures } from '../../../harness/core/figures.js'
import { undiciTransport } from '../../../harness/core/undici-transport.js'
import { defaultFlagsDir } from '../../../server/contract/project.js'
import { flagUrl } from '../../../server/contract/protocol.js'
import { injectionOf, startSite } from '../../fixtures/site.js'

const PLAIN: DownloadOptions = { timeoutMs: 3100, headers: {}, saveDir: null, syncSave: false, cpuSlices: 0 }
const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => Object.assign({}, PLAIN, extra)

t.test('outcomes and reasons, each from a real server', async t => {
  const base = `${await startSite(t, { seed: 4, injection: injectionOf({ latency: '5ms', 'max-latency': '10s' }) })}/flags`
  const client = new Agent()
  t.teardown(async () => await client.destroy())
  const flags = undiciTransport(client, base)

  const ok = await downloadOne(flags, 'BR', options())
  t.match(ok, { cc: 'BR', outcome: 'ok', status: 200, reason: null, injectedDelayMs: 5, fault: 'none' })
  t.equal(ok.bytes, (await readFile(join(defaultFlagsDir(), 'br', 'br.gif'))).length, 'every byte of the flag')
  t.ok(ok.endMs - ok.startMs >= 5, 'the record spans the injected delay')

  t.match(await downloadOne(flags, 'ZZ', options()), { outcome: 'not-found', status: 404, reason: null }, '404 is not found, not an error')
  t.match(await downloadOne(flags, 'BR', options({ headers: { 'x-flags-error-rate': '503:1' } })), { outcome: 'error', status: 503, reason: 'http-503', fault: 'http-503' })
  t.match(await downloadOne(flags, 'BR', options({ headers: { 'x-flags-reset-rate': '1' } })), { outcome: 'error', status: null, reason: 'reset' })
  t.match(await downloadOne(flags, 'BR', options({ headers: { 'x-flags-truncate-rate': '1' } })), { outcome: 'error', status: 200, reason: 'truncated', fault: 'truncate' })
  t.match(await downloadOne(flags, 'BR', options({ timeoutMs: 200, headers: { 'x-flags-hang-rate': '1' } })), { outcome: 'error', status: null, reason: 'timeout' }, 'a hang ends in the client\'s timeout')
  t.match(await downloadOne(flags, 'BR', options({ timeoutMs: 200, headers: { 'x-flags-slow-rate': '1', 'x-flags-slow-bps': '100' } })), { outcome: 'error', status: 200, reason: 'timeout' }, 'a body too slow for the timeout is a timeout')
  t.match(await downloadOne(flags, 'BR', options({ headers: { 'x-flags-slow-rate': '1', 'x-flags-slow-bps': '100000' } })), { outcome: 'ok', fault: 'slow' }, 'a slow body within the timeout is fine')

  const interrupt = new AbortController()
  const pending = downloadOne(flags, 'BR', options({ headers: { 'x-flags-latency': '5s' } }), interrupt.signal)
  interrupt.abort()
  t.match(await pending, { outcome: 'error', reason: 'interrupted' }, 'Ctrl-C is its own reason')
})

t.test('a refused connection', async t => {
  const closed = createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise(resolve => closed.close(resolve))
  const client = new Agent()
  t.teardown(async () => await client.destroy())
  t.match(await downloadOne(undiciTransport(client, `http://127.0.0.1:${port}/flags`), 'BR', options()), { outcome: 'error', status: null, reason: 'refused', injectedDelayMs: null })
})

t.test('--save writes XX.gif, byte for byte', async t => {
  const base = `${await startSite(t)}/flags`
  const dir = t.testdir({})
  const client = new Agent()
  t.teardown(async () => await client.destroy())
  const flags = undiciTransport(client, base)
  t.match(await downloadOne(flags, 'CN', options({ saveDir: dir })), { outcome: 'ok' })
  t.same(await readFile(join(dir, 'CN.gif')), await readFile(join(defaultFlagsDir(), 'cn', 'cn.gif')))
  t.match(await downloadOne(flags, 'CN', options({ saveDir: join(dir, 'missing', 'deeper') })), { outcome: 'error', status: 200, reason: 'save-ENOENT' }, 'a failed save is an error with its reason, not a truncation')
})

t.test('a slow body: the server says how long the body takes, and the ideal waits for it', async t => {
  const base = `${await startSite(t, { seed: 4, injection: injectionOf({ latency: '50ms', 'slow-rate': '1', 'slow-bps': '10000' }) })}/flags`
  const client = new Agent()
  t.teardown(async () => await client.destroy())
  const bytes = (await readFile(join(defaultFlagsDir(), 'br', 'br.gif'))).length
  // 10,000 B/s in ticks of 100 ms is 1,000 bytes a tick, the last one after ⌈bytes / 1000⌉ ticks.
  const bodyMs = Math.ceil(bytes / 1000) * 100
  const record = await downloadOne(undiciTransport(client, base), 'BR', options())
  t.match(record, { outcome: 'ok', fault: 'slow', injectedDelayMs: 50, injectedBodyMs: bodyMs, bytes }, `${bytes} bytes: ${bodyMs} ms of body after the delay`)
  t.ok(record.endMs - record.startMs >= 50 + bodyMs - 1, `the download took the delay and the body (${(record.endMs - record.startMs).toFixed(1)} ms)`)
  const run = { records: [record], startMs: record.startMs, endMs: record.endMs, startupMs: null, eventLoop: { delayP50Ms: 0, delayP99Ms: 0, delayMaxMs: 0, utilization: 0, machine: null }, memory: { rssPeakMb: 0, heapPeakMb: 0 }, loopSamples: [], workerUtilization: null, workersRssMb: null }
  const figures = modeFigures('sequential', 1, ['BR'], [run], 3100, { workMs: 0, slots: { io: 1, cpu: 1 } })
  t.equal(figures.idealMs, 50 + bodyMs, 'the ideal is the delay and the body, not the delay alone')
})

t.test('a client of another kind brings only its transport: the deadline, the reasons and the record are shared', async t => {
  const base = `${await startSite(t, { seed: 4, injection: injectionOf({ latency: '5ms', 'max-latency': '10s' }) })}/flags`
  // The Fetch API, whose errors are its own (a TypeError with a cause): nothing of undici's.
  const fetched: FlagTransport = {
    get: async (cc, headers, signal) => {
      const res = await fetch(flagUrl(base, cc), { headers, signal })
      return { statusCode: res.status, headers: { 'server-timing': res.headers.get('server-timing') ?? undefined }, body: { arrayBuffer: async () => await res.arrayBuffer() } }
    },
    failureOf: () => null
  }
  const bytes = (await readFile(join(defaultFlagsDir(), 'br', 'br.gif'))).length
  t.match(await downloadOne(fetched, 'BR', options()), { cc: 'BR', outcome: 'ok', status: 200, reason: null, injectedDelayMs: 5, fault: 'none', bytes }, 'the record, Server-Timing read')
  t.match(await downloadOne(fetched, 'ZZ', options()), { outcome: 'not-found', status: 404, reason: null })
  t.match(await downloadOne(fetched, 'BR', options({ timeoutMs: 200, headers: { 'x-flags-hang-rate': '1' } })), { outcome: 'error', status: null, reason: 'timeout' }, 'the shared deadline')
  t.match(await downloadOne(fetched, 'BR', options({ headers: { 'x-flags-truncate-rate': '1' } })), { outcome: 'error', status: 200, reason: 'truncated' }, 'the shared reasons')
})
