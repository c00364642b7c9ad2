// Hostile clients against the connections themselves (issue 23): a client that stops reading,
// and more connections than the site allows. The site is listened by listenSite, as main.ts
// does, on 127.0.0.1 port 0. Each case failed before: the stalled reader held its connection for
// good, invisible in flight; the 1,001st connection was served like the others.

import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { Client } from 'undici'
import { buildServer } from '../../server/app.js'
import type { ServerTimeouts } from '../../server/http-options.js'
import { listenSite } from '../../server/listen.js'
import type { SiteConfig } from '../../server/site.js'
import { injectionOf, projectFlags } from '../fixtures/site.js'

const QUICK: ServerTimeouts = { headersMs: 10_000, requestMs: 10_000, keepAliveMs: 72_000, checkEveryMs: 50 }

async function listenedSite (t: Test, site: Partial<SiteConfig>): Promise<{ origin: string, metrics: () => Promise<string> }> {
  const config: SiteConfig = { name: 'TEST', seed: 1, injection: injectionOf({}), overrides: true, maxHung: 10, admin: { enabled: true, token: undefined }, ...site }
  const listening = await listenSite(buildServer(config, await projectFlags(), QUICK), '127.0.0.1', 0)
  const origin = `http://127.0.0.1:${listening.port}`
  // One kept-alive connection for /metrics, opened before any case fills the site.
  const reader = new Client(origin, { pipelining: 1, keepAliveTimeout: 600_000 })
  t.teardown(async () => {
    await reader.destroy()
    const closing = listening.close()
    listening.cut()
    await closing
  })
  const metrics = async (): Promise<string> => await (await reader.request({ path: '/metrics', method: 'GET' })).body.text()
  await metrics()
  return { origin, metrics }
}

function series (text: string, name: string): number {
  const line = text.split('\n').find(line => line.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.slice(name.length + 1))
}

/** Polls /metrics until `ok` holds of it; the test's timeout is the bound. */
async function until (metrics: () => Promise<string>, ok: (text: string) => boolean): Promise<string> {
  for (;;) {
    const text = await metrics()
    if (ok(text)) return text
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

async function opened (port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await new Promise(resolve => socket.once('connect', resolve))
  return socket
}

const STALLED = 'flags_connections_dropped_total{reason="no-progress"}'

t.test('a client that asks until an answer sticks and never reads: counted in flight, then reset after --max-latency without progress', { timeout: 30_000 }, async t => {
  // --max-latency 1s: an answer that moves no byte for 1 s is stalled.
  const { origin, metrics } = await listenedSite(t, { injection: injectionOf({ 'max-latency': '1s' }) })
  const socket = await opened(Number(new URL(origin).port))
  // Never read: the client's receive buffer (128 KB here, as it never grows without reads), then
  // the server's send buffer, then Node's fill with 4,264-byte answers.
  socket.pause()
  // Asked one at a time until an answer sticks, then no more: the kernel's buffers (up to 4 MB
  // sent, 128 KB received, as tcp_wmem and tcp_rmem allow here) take about a thousand answers
  // first. Asking on past that would meet the cap of 8 open requests a connection, which closes
  // it for another reason before 1 s without progress has passed.
  const asked = { enough: false }
  const asking = (async () => {
    for (let i = 0; i < 5000 && !socket.destroyed && !asked.enough; i++) {
      socket.write('GET /flags/bz/bz.gif HTTP/1.1\r\nHost: localhost\r\n\r\n')
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  })()
  // While it is stuck, its unwritten answer is in flight, beside the /metrics request.
  const stuck = await until(metrics, text => series(text, 'flags_requests_in_flight') >= 2 || series(text, STALLED) > 0)
  asked.enough = true
  t.ok(series(stuck, 'flags_requests_in_flight') >= 2 || series(stuck, STALLED) > 0, `the unread answer counted in flight (${series(stuck, 'flags_requests_in_flight')})`)
  const after = await until(metrics, text => series(text, STALLED) === 1 && series(text, 'flags_connections_open') === 1)
  t.equal(series(after, STALLED), 1, 'the stalled connection reset, and counted')
  t.equal(series(after, 'flags_requests_in_flight'), 1, 'nothing left in flight but this /metrics request')
  await asking
  // Reading again, the client meets the reset (a paused socket leaves it unread).
  if (!socket.destroyed) await new Promise(resolve => { socket.once('close', resolve); socket.resume() })
  t.ok(socket.destroyed, 'the client sees its connection closed')
})

t.test('--max-connections 1000: the 1,001st connection is answered 503 with the reason, and served once one closes', { timeout: 60_000 }, async t => {
  const { origin, metrics } = await listenedSite(t, { maxConnections: 1000 })
  const port = Number(new URL(origin).port)
  // The /metrics connection is the first of the 1,000.
  const held: Socket[] = []
  for (let i = 0; i < 999; i++) held.push(await opened(port))
  t.teardown(() => { for (const socket of held) socket.destroy() })
  await until(metrics, text => series(text, 'flags_connections_open') === 1000)

  const refused = await opened(port)
  const answer = new Promise<string>(resolve => {
    let text = ''
    refused.on('data', chunk => { text += chunk.toString('latin1') })
    refused.once('close', () => resolve(text))
  })
  refused.write('GET /flags/br/br.gif HTTP/1.1\r\nHost: localhost\r\n\r\n')
  const text = await answer
  t.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/, '503, as HTTP')
  t.match(text, /\r\nRetry-After: 1\r\n/i, 'with Retry-After')
  t.match(text, /\r\nConnection: close\r\n/i, 'and the connection closed')
  t.same(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)), { error: 'too many connections: 1000 open at most (--max-connections)', status: 503 }, 'the body names the cap and the option')
  t.equal(series(await metrics(), 'flags_connections_dropped_total{reason="max-connections"}'), 1, 'counted')

  held.pop()?.destroy()
  await until(metrics, text => series(text, 'flags_connections_open') === 999)
  const served = await opened(port)
  const ok = new Promise<string>(resolve => served.once('data', chunk => resolve(chunk.toString('latin1'))))
  served.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')
  t.match(await ok, /^HTTP\/1\.1 200 /, 'a connection under the cap again is served')
  served.destroy()
})
