// An abort storm: 100,000 requests, each cut by the client while the server holds it in an
// injected delay. Afterwards the server must hold nothing for them: no timer, no socket, no
// request in flight, and the heap back to within a measured bound (docs/RELIABILITY.md).

import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { Client } from 'undici'
import { injectionOf, startSite } from '../fixtures/site.js'

const TOTAL = 100_000
/** Sockets open at once: each window is held by the server, then cut all together. */
const WINDOW = 500
/** Measured 0.1-0.9 MB over the storm (docs/RELIABILITY.md): 3 MB is 30 bytes per aborted request. */
const HEAP_BOUND_BYTES = 3 * 1024 * 1024
const ROUTE = '/flags/:cc/:file'

function gcFunction (): () => void {
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing !== undefined) return existing
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

async function heapAfterGc (gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise(resolve => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

function resources (): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

interface Scrape { inFlight: number, none: number }

async function scrape (client: Client): Promise<Scrape> {
  const res = await client.request({ path: '/metrics', method: 'GET' })
  const text = await res.body.text()
  const inFlight = Number(/^flags_requests_in_flight (\d+)$/m.exec(text)?.[1])
  const none = Number(new RegExp(`^flags_requests_total\\{route="${ROUTE.replace(/[/:]/g, c => `\\${c}`)}",status="none"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
  return { inFlight, none }
}

async function until (what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

function open (port: number, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host)
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.removeListener('error', reject)
      socket.write('GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\n\r\n', () => resolve(socket))
    })
  })
}

t.test(`${TOTAL.toLocaleString('en')} requests aborted mid-delay leave no timer, socket or request behind`, async t => {
  const gc = gcFunction()
  // A delay far longer than the test: a request still held when the storm ends is a leak.
  const base = await startSite(t, { injection: injectionOf({ latency: '30s' }) })
  const { hostname, port } = new URL(base)
  // Counted before any connection: the listening server and what the test runner holds.
  const resourcesBefore = resources()

  // One keep-alive connection for every scrape, closed before the handles are counted.
  const metrics = new Client(base)
  const before = await scrape(metrics)
  // The scrape itself is in flight while /metrics renders.
  t.equal(before.inFlight, 1, 'nothing but the scrape in flight before the storm')
  const heapBefore = await heapAfterGc(gc)
  const started = Date.now()
  let heldTimers = 0

  for (let sent = 0; sent < TOTAL; sent += WINDOW) {
    const size = Math.min(WINDOW, TOTAL - sent)
    const sockets = await Promise.all(Array.from({ length: size }, async () => await open(Number(port), hostname)))
    // Cut only once the server holds every request of the window in its delay.
    await until('the server holds the window', 10_000, async () => (await scrape(metrics)).inFlight === before.inFlight + size)
    heldTimers = Math.max(heldTimers, resources().Timeout ?? 0)
    // A reset, not a FIN: 100,000 closes by the client would leave as many ports in TIME_WAIT,
    // more than the ephemeral range, starving every other test on the machine for a minute.
    for (const socket of sockets) socket.resetAndDestroy()
  }

  // Every abort is over for the server by itself, long before the 30 s delay would end.
  await until('no request is in flight', 10_000, async () => (await scrape(metrics)).inFlight === before.inFlight)
  const after = await scrape(metrics)
  await metrics.close()
  const stormMs = Date.now() - started
  t.equal(after.none - before.none, TOTAL, 'every aborted request is counted as unanswered (status "none")')

  // Closed sockets leave the active list on their close callback: give those a moment.
  await until('the handles are back to their baseline', 5_000, async () => (resources().TCPSocketWrap ?? 0) <= (resourcesBefore.TCPSocketWrap ?? 0))
  const resourcesAfter = resources()
  const heapAfter = await heapAfterGc(gc)
  const growth = heapAfter - heapBefore
  t.comment(`storm: ${stormMs} ms; resources before ${JSON.stringify(resourcesBefore)}, after ${JSON.stringify(resourcesAfter)}; heap ${heapBefore} → ${heapAfter} B (${(growth / 1024 / 1024).toFixed(2)} MB)`)

  // The count sees the delay timers: one per held request while a window was held.
  t.ok(heldTimers >= WINDOW, `a held window showed its delay timers (${heldTimers} ≥ ${WINDOW})`)
  t.equal(resourcesAfter.Timeout ?? 0, resourcesBefore.Timeout ?? 0, 'active timers back to their baseline')
  t.equal(resourcesAfter.TCPSocketWrap ?? 0, resourcesBefore.TCPSocketWrap ?? 0, 'TCP handles back to their baseline')
  t.ok(growth < HEAP_BOUND_BYTES, `heap growth after GC under ${HEAP_BOUND_BYTES / 1024 / 1024} MB (${(growth / 1024 / 1024).toFixed(2)} MB)`)
})
