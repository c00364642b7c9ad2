// Hostile but careful clients: HTTP/1.1 pipelining over raw sockets. A response queued behind an
// earlier pipelined one has no socket yet, and Node never emits 'close' on it when the client
// leaves: accounting tied to the response leaked (issue 14). Each case here failed before the
// server tied its accounting to the connection.
//
// Nothing waits on a timer to see a leak: each case polls /metrics until the figure it expects
// appears, and a leak shows as tap's timeout (kept short here, so a failure is quick).

import { execFile } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import t from 'tap'
import { request } from 'undici'
import { injectionOf, projectFlags, startSite } from '../fixtures/site.js'

// Each case's own bound: a leak fails it in 20 s, not at the file's timeout.
const BOUND = { timeout: 20_000 }

function flagRequest (query: string): string {
  return `GET /flags/br/br.gif${query} HTTP/1.1\r\nHost: x\r\n\r\n`
}

async function open (base: string): Promise<Socket> {
  const url = new URL(base)
  const socket = connect(Number(url.port), url.hostname)
  socket.on('error', () => {})
  await new Promise(resolve => socket.once('connect', resolve))
  return socket
}

/** The value of one series of /metrics (0 when absent). */
async function metric (base: string, series: string): Promise<number> {
  const text = await (await request(`${base}/metrics`)).body.text()
  const line = text.split('\n').find(line => line.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

/** Polls /metrics until `series` satisfies `ok`; no deadline of its own (the test's timeout is the bound). */
async function until (base: string, series: string, ok: (value: number) => boolean): Promise<number> {
  for (;;) {
    const value = await metric(base, series)
    if (ok(value)) return value
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const IN_FLIGHT = 'flags_requests_in_flight'
const HANGS = 'flags_faults_injected_total{kind="hang"}'
const REFUSED = 'flags_faults_injected_total{kind="hang-refused"}'

/** Everything the socket receives until it closes, and whether it closed with an error (a reset). */
async function drain (socket: Socket): Promise<{ text: string, error: string | null }> {
  const chunks: Buffer[] = []
  socket.on('data', chunk => chunks.push(chunk))
  return await new Promise(resolve => {
    let error: string | null = null
    socket.on('error', e => { error = (e as NodeJS.ErrnoException).code ?? e.message })
    socket.once('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), error }))
  })
}

t.test('pipelined hangs behind a delayed answer release their slots and the in-flight gauge when the client leaves', BOUND, async t => {
  const base = await startSite(t, { maxHung: 2, injection: injectionOf({ 'max-latency': '2s' }) })
  const socket = await open(base)
  // One delayed answer first, so that the five hangs behind it are queued responses, no socket
  // of their own. maxHung 2: two hang, three are refused (503, queued too).
  socket.write(flagRequest('?latency=1s') + flagRequest('?hang-rate=1').repeat(5))
  await until(base, HANGS, value => value === 2)
  t.equal(await until(base, REFUSED, value => value === 3), 3, 'two hung, three refused: --max-hung 2')
  socket.destroy()
  // Only the /metrics request that reads it is left in flight.
  t.equal(await until(base, IN_FLIGHT, value => value === 1), 1, 'the gauge is back to nothing but this request')
  // The slots are free again: a new hang on a new connection hangs, it is not refused.
  const next = await open(base)
  next.write(flagRequest('?hang-rate=1'))
  t.equal(await until(base, HANGS, value => value > 2), 3, 'a later hang gets a slot')
  t.equal(await metric(base, REFUSED), 3, 'and is not refused')
  next.destroy()
  await until(base, IN_FLIGHT, value => value === 1)
})

/**
 * A raw-socket client in a process of its own: it writes `payload`, then prints what it received
 * and how the connection ended. (A client in the server's own process reads the data and the
 * reset in one go, and Node may report the end of the stream instead of the reset.)
 */
async function clientProcess (base: string, payload: string): Promise<{ text: string, error: string | null }> {
  const url = new URL(base)
  const script = `
    const chunks = []
    let error = null
    const s = require('node:net').connect(${Number(url.port)}, '${url.hostname}', () => s.write(${JSON.stringify(payload)}))
    s.on('data', chunk => chunks.push(chunk))
    s.on('error', e => { error = e.code ?? e.message })
    s.on('close', () => process.stdout.write(JSON.stringify({ text: Buffer.concat(chunks).toString('latin1'), error })))`
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script])
  return JSON.parse(stdout) as { text: string, error: string | null }
}

t.test('a reset fault on a queued pipelined request resets the connection, after the answers before it', BOUND, async t => {
  const base = await startSite(t)
  const { text, error } = await clientProcess(base, flagRequest('?latency=300ms') + flagRequest('?reset-rate=1'))
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/, 'the first request is answered')
  t.equal(text.split('HTTP/1.1 ').length - 1, 1, 'the second is not')
  t.ok(text.endsWith((await projectFlags()).files.get('br/br.gif')?.body.toString('latin1') ?? 'no such flag'), 'the first answer whole, before the reset')
  // The reset reaches the client after the answer's bytes. A client that has read them all
  // first reads ECONNRESET; one that still had some to read when the RST came gets them, then
  // an end of stream (Linux marks the socket done before it reports the error). Either way the
  // connection is over, with no answer to the second request.
  t.ok(error === 'ECONNRESET' || error === null, `then the connection is reset (${error ?? 'seen as an end of stream'})`)
  t.equal(await until(base, IN_FLIGHT, value => value === 1), 1, 'nothing left in flight')
  t.equal(await metric(base, 'flags_faults_injected_total{kind="reset"}'), 1, 'one reset injected')
})

t.test('at most 8 requests open per connection: the 9th closes it, and nothing it held is left', BOUND, async t => {
  // The DELAY site's latencies, no override needed: a client could queue thousands of timers.
  const base = await startSite(t, { overrides: false, injection: injectionOf({ latency: '8s' }) })
  const timersBefore = process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length
  const socket = await open(base)
  const received = drain(socket)
  socket.write(flagRequest('').repeat(3000))
  const { text } = await received
  t.equal(text, '', 'closed without an answer: the requests before the 9th are cut too')
  t.equal(await until(base, IN_FLIGHT, value => value === 1), 1, 'nothing left in flight')
  t.equal(await metric(base, 'flags_requests_total{route="/flags/:cc/:file",status="none"}'), 8, 'the eight taken by the flag route counted as cut ("none")')
  // Node goes on parsing the chunk it has read: those requests, the ninth on, are cut as they
  // arrive, before any route (label "unrouted"), and never reach the flag route's timers.
  const unrouted = await metric(base, 'flags_requests_total{route="unrouted",status="none"}')
  t.ok(unrouted >= 1 && unrouted <= 3000 - 8, `the ninth and those parsed after it, cut unrouted (${unrouted})`)
  const timersAfter = process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length
  t.ok(timersAfter <= timersBefore, `no 8 s timer left behind (${timersBefore} timers before, ${timersAfter} after)`)
})

t.test('eight pipelined requests are answered, in order', BOUND, async t => {
  const base = await startSite(t)
  const socket = await open(base)
  const received = drain(socket)
  const codes = ['br', 'cn', 'in', 'us', 'id', 'pk', 'ng', 'bd']
  socket.write(codes.map((cc, i) => `GET /flags/${cc}/metadata.json?latency=${(8 - i) * 10}ms HTTP/1.1\r\nHost: x\r\n${i === 7 ? 'Connection: close\r\n' : ''}\r\n`).join(''))
  const { text } = await received
  const answered = [...text.matchAll(/"iso_cc": ?"(\w+)"/g)].map(match => match[1]?.toLowerCase())
  t.same(answered, codes, 'all eight, in the order asked, although the first waits longest')
})
