// The stall fault on a real server: half the body, a pause of --stall-for, then the rest (a
// congested link). Times are lower bounds only: the pause is measured from before the request
// is sent, so no clock on a busy machine can make it look shorter than the server held it.

import t from 'tap'
import { Agent, request } from 'undici'
import { downloadOne } from '../../harness/core/download.js'
import { undiciTransport } from '../../harness/core/undici-transport.js'
import { parseServerTiming } from '../../server/contract/protocol.js'
import { injectionOf, projectFlags, startSite } from '../fixtures/site.js'

const GIF = '/flags/br/br.gif'

async function timed (url: string, init: Parameters<typeof request>[1] = {}): Promise<{ status: number, headers: Record<string, unknown>, body: Buffer, chunks: number, elapsedMs: number }> {
  const started = performance.now()
  const res = await request(url, init)
  const parts: Buffer[] = []
  for await (const chunk of res.body) parts.push(chunk as Buffer)
  return { status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), chunks: parts.length, elapsedMs: performance.now() - started }
}

async function metrics (base: string): Promise<string> {
  return await (await request(`${base}/metrics`)).body.text()
}

t.test('a stall: the body arrives whole after the pause; Server-Timing says it; /metrics counts it', async t => {
  const base = await startSite(t)
  const full = (await projectFlags()).files.get('br/br.gif')?.body ?? Buffer.alloc(0)

  const byQuery = await timed(`${base}${GIF}?stall-rate=1&stall-for=200ms`)
  t.equal(byQuery.status, 200)
  t.ok(byQuery.body.equals(full), 'the whole body, intact')
  t.ok(byQuery.chunks > 1, `in ${byQuery.chunks} chunks: the first half, then the rest`)
  t.ok(byQuery.elapsedMs >= 200, `held at least the 200 ms pause (${byQuery.elapsedMs.toFixed(1)} ms)`)
  // No delay asked, so the pause is the body's time: what a client's ideal adds (ideal.ts reads bodyMs).
  t.equal(byQuery.headers['server-timing'], 'delay;dur=0, fault;desc="stall", body;dur=200')

  const byHeaders = await timed(`${base}${GIF}`, { headers: { 'x-flags-stall-rate': '1', 'x-flags-stall-for': '100ms' } })
  t.ok(byHeaders.body.equals(full), 'x-flags-* headers ask for it too')
  t.ok(byHeaders.elapsedMs >= 100, `held at least 100 ms (${byHeaders.elapsedMs.toFixed(1)} ms)`)
  t.same(parseServerTiming(byHeaders.headers['server-timing'] as string), { delayMs: 0, fault: 'stall', bodyMs: 100 })

  t.match(await metrics(base), /^flags_faults_injected_total\{kind="stall"\} 2$/m, 'two stalls counted')
})

t.test('a stall ends by --max-latency after arrival, the delay included', async t => {
  // 300 ms cap, 100 ms of delay: 200 ms are left of the 10 s pause asked.
  const base = await startSite(t, { injection: injectionOf({ 'max-latency': '300ms', latency: '100ms' }) })
  const full = (await projectFlags()).files.get('br/br.gif')?.body ?? Buffer.alloc(0)
  const res = await timed(`${base}${GIF}?stall-rate=1&stall-for=10s`)
  t.ok(res.body.equals(full), 'the whole body')
  t.equal(res.headers['server-timing'], 'delay;dur=100, fault;desc="stall", body;dur=200', 'the pause cut to what the cap leaves')
  t.ok(res.elapsedMs >= 300, `the delay and the pause, at least 300 ms (${res.elapsedMs.toFixed(1)} ms)`)
})

t.test('HEAD and 304: no body to pause in, the headers go out at once and say so', async t => {
  const base = await startSite(t)
  const { etag, body } = (await projectFlags()).files.get('br/br.gif') ?? { etag: '', body: Buffer.alloc(0) }
  const head = await timed(`${base}${GIF}?stall-rate=1&stall-for=1m`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(Number(head.headers['content-length']), body.length, 'the Content-Length of the GET')
  t.equal(head.headers['server-timing'], 'delay;dur=0, fault;desc="stall", body;dur=0')
  const cached = await timed(`${base}${GIF}?stall-rate=1&stall-for=1m`, { headers: { 'if-none-match': etag } })
  t.equal(cached.status, 304)
  t.equal(cached.body.length, 0, 'no body')
  t.equal(cached.headers['server-timing'], 'delay;dur=0, fault;desc="stall", body;dur=0')
})

t.test('bad values answer 400 in one line naming the override and what it takes', async t => {
  const base = await startSite(t)
  for (const [query, name] of [['stall-for=5', 'query parameter stall-for'], ['stall-rate=2', 'query parameter stall-rate'], ['stall-for=2d', 'query parameter stall-for']] as const) {
    const res = await request(`${base}${GIF}?${query}`)
    const { error } = await res.body.json() as { error: string }
    t.equal(res.statusCode, 400, query)
    t.match(error, new RegExp(`^${name}: invalid value .*; accepted: [^\\n]*$`), `${query}: ${error}`)
  }
  const header = await request(`${base}${GIF}`, { headers: { 'x-flags-stall-for': 'soon' } })
  t.match(((await header.body.json()) as { error: string }).error, /^header x-flags-stall-for: invalid value "soon"; accepted: a duration/)
})

t.test("the harness's record carries the stall, read from Server-Timing", async t => {
  const base = `${await startSite(t, { injection: injectionOf({ 'stall-rate': '1', 'stall-for': '50ms' }) })}/flags`
  const client = new Agent()
  t.teardown(async () => await client.destroy())
  const record = await downloadOne(undiciTransport(client, base), 'BR', { timeoutMs: 3100, headers: {}, saveDir: null, syncSave: false, cpuSlices: 0 })
  t.match(record, { outcome: 'ok', status: 200, fault: 'stall', injectedDelayMs: 0, injectedBodyMs: 50 })
  t.ok(record.endMs - record.startMs >= 50, 'the record spans the pause')
})
