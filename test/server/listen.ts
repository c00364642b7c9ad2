// Every listener has the same limits and the same answers to bad requests: Fastify's server on
// 127.0.0.1 and the ::1 twin that "localhost" adds (before, the twin was a plain Node server:
// other timeouts, no JSON bodies). The timeouts are made short here, so that a trickling client
// is cut within the test; every loop that trickles is bounded in count.

import { connect, type Socket } from 'node:net'
import t from 'tap'
import { buildServer } from '../../server/app.js'
import { NO_INJECTION } from '../../server/contract/injection.js'
import type { ServerTimeouts } from '../../server/http-options.js'
import { listenSite } from '../../server/listen.js'
import { projectFlags } from '../fixtures/site.js'

const SHORT: ServerTimeouts = { headersMs: 400, requestMs: 400, keepAliveMs: 2000, checkEveryMs: 50 }
/** A trickle sends at most this many bytes, one every TRICKLE_MS: far past the 400 ms bounds. */
const TRICKLE_BYTES = 60
const TRICKLE_MS = 100

const app = buildServer({ name: 'TEST', seed: 1, injection: NO_INJECTION, overrides: true, maxHung: 10, admin: { enabled: true, token: undefined } }, await projectFlags(), SHORT)
const listening = await listenSite(app, 'localhost', 0)
t.teardown(async () => {
  const closing = listening.close()
  listening.cut()
  await closing
})

async function reachable (host: string): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect(listening.port, host, () => { socket.destroy(); resolve(true) })
    socket.on('error', () => resolve(false))
  })
}

/** Connects, writes `head`, then trickles `trickle` a byte at a time until the server closes; resolves with all it answered. */
async function exchange (host: string, head: string, trickle = ''): Promise<string> {
  const socket: Socket = connect(listening.port, host)
  const chunks: Buffer[] = []
  socket.on('data', chunk => chunks.push(chunk))
  socket.on('error', () => {})
  const closed = new Promise(resolve => socket.once('close', resolve))
  await new Promise(resolve => socket.once('connect', resolve))
  socket.write(head)
  for (let i = 0; i < trickle.length && !socket.destroyed; i++) {
    await Promise.race([new Promise(resolve => setTimeout(resolve, TRICKLE_MS)), closed])
    if (!socket.destroyed) socket.write(trickle[i] ?? '')
  }
  // Whatever was not cut is ended by the client: the answer then shows what the server did.
  socket.end()
  await closed
  return Buffer.concat(chunks).toString('latin1')
}

function statusAndBody (text: string): { status: number, json: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
  const body = text.slice(text.indexOf('\r\n\r\n') + 4)
  let json: unknown = null
  try { json = JSON.parse(body) } catch {}
  return { status, json }
}

for (const host of ['127.0.0.1', '::1']) {
  // A machine without an IPv6 loopback has no twin to test: said, not hidden.
  const skip = await reachable(host) ? false : `${host} is not reachable on this machine`
  t.test(`on ${host}`, { skip }, async t => {
    t.test('a body trickled a byte at a time is cut: 408, with a JSON body', async t => {
      const body = '{"latency":"' + 'x'.repeat(TRICKLE_BYTES) + '"}'
      const head = `PUT /admin/config HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
      const { status, json } = statusAndBody(await exchange(host, head, body))
      t.equal(status, 408, 'Request Timeout, before the body was all sent')
      t.match(json, { statusCode: 408 })
    })

    t.test('headers trickled a byte at a time are cut: 408', async t => {
      const { status, json } = statusAndBody(await exchange(host, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'y'.repeat(TRICKLE_BYTES) + '\r\n\r\n'))
      t.equal(status, 408)
      t.match(json, { statusCode: 408 })
    })

    t.test('a malformed request is a 400 with a JSON body; headers past 16 KB a 431', async t => {
      t.match(statusAndBody(await exchange(host, 'NOT HTTP AT ALL\r\n\r\n')), { status: 400, json: { statusCode: 400 } })
      t.match(statusAndBody(await exchange(host, `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'z'.repeat(20_000)}\r\n\r\n`)), { status: 431, json: { statusCode: 431 } })
    })

    t.test('an idle keep-alive connection is closed by the server, as its Keep-Alive header says', async t => {
      // The client sends one request and waits: only the server's keep-alive timeout can end it.
      const socket = connect(listening.port, host)
      socket.on('error', () => {})
      let text = ''
      socket.on('data', chunk => { text += chunk.toString('latin1') })
      await new Promise(resolve => socket.once('connect', resolve))
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')
      await new Promise(resolve => socket.once('close', resolve))
      t.match(text, /\r\nKeep-Alive: timeout=2\r\n/, 'timeout=2: the 2 s of SHORT.keepAliveMs')
      t.match(text, /^HTTP\/1\.1 200 /)
    })
  })
}
