import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import t, { type Test } from 'tap'
import { closedLoop, type DrivePlan } from '../../../../harness/core/load/closed-loop.js'
import { flagPaths, requestSalt } from '../../../../harness/core/load/flag-requests.js'
import { LoadTally } from '../../../../harness/core/load/load-tally.js'
import { SALT_HEADER } from '../../../../server/contract/protocol.js'

/** 194 made-up codes, AA to HL: as many as the flag set. */
const CODES = Array.from({ length: 194 }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + i % 26)}`)

/** A real server on port 0 that answers each request with `answer`. */
async function serve (t: Test, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(answer)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function plan (origin: string, over: Partial<DrivePlan>): DrivePlan {
  return { origin, paths: flagPaths(CODES), headers: {}, connections: 1, durationMs: null, amount: null, timeoutMs: 10_000, signal: new AbortController().signal, ...over }
}

t.test('Little\'s law, known answer: a fixed 500 ms, 4 connections, 32 requests', async t => {
  // --amount 32 over 4 connections: 8 each, run back to back, 500 ms apiece (about 4 s). The
  // first of each opened its connection (ramp-up), so the steady state holds the other
  // 7 × 4 = 28; each connection's own span ends at its last answer (no drain). In it each
  // connection is busy but for the few µs between an answer and its next send: λ = C / W, so
  // λW / C = 4 / 0.5 s × 0.5 s / 4 = 1, and the report's ratio is 1 within 2% (a gap of 10 ms a
  // request, a hog's doing, would be 2%). No request can take less than 500 ms.
  const origin = await serve(t, (_req, res) => { setTimeout(() => res.end('GIF89a'), 500) })
  const tally = new LoadTally()
  await closedLoop(plan(origin, { connections: 4, amount: 32 }), tally)
  const figures = tally.figures(4, 500)
  t.match(figures, { requests: 32, ok: 32, errors: 0, cut: 0, steady: { requests: 28 } })
  t.ok(Math.abs(figures.ratio - 1) <= 0.02, `λW / C = ${figures.ratio} is 1 within 2%`)
  t.ok(figures.latencyMs.p50 >= 500 && (figures.steady?.meanLatencyMs ?? 0) >= 500, 'no answer before its 500 ms')
  t.ok(figures.boundRatio !== null && figures.boundRatio <= 1, `never above C / L: ${figures.boundRatio}`)
})

t.test('below a millisecond the figures still mean something: latencies to the microsecond, max exact', async t => {
  // An answer at once: each request takes well under a millisecond here, which autocannon's whole
  // milliseconds read as 0 (so C / W infinite). Here the latencies have their fractions, the mean
  // is above 0, C / W is finite, and λW / C, the share of the time each connection was busy,
  // lies between 0 and 1.
  const origin = await serve(t, (_req, res) => res.end('GIF89a'))
  let slowest = 0
  const timed = new LoadTally()
  const ended = timed.ended.bind(timed)
  timed.ended = (k, start, end, outcome) => { slowest = Math.max(slowest, end - start); ended(k, start, end, outcome) }
  await closedLoop(plan(origin, { connections: 2, amount: 2000 }), timed)
  const figures = timed.figures(2, null)
  t.equal(figures.requests, 2000)
  t.ok(figures.latencyMs.mean > 0 && Number.isFinite(figures.littlesLawRps), `mean ${figures.latencyMs.mean} ms, C / W ${figures.littlesLawRps}`)
  t.ok(figures.latencyMs.p50 > 0 && figures.latencyMs.p50 % 1 !== 0, `p50 ${figures.latencyMs.p50} ms: not a whole millisecond`)
  t.equal(figures.latencyMs.max, slowest, 'max: the slowest request measured, exactly')
  t.ok(figures.ratio > 0 && figures.ratio <= 1, `λW / C = ${figures.ratio}`)
  t.equal(new LoadTally().figures(2, null).requests, 0, 'an empty tally: nothing measured')
})

t.test('errors and timeouts hold their connection: counted, with their time', async t => {
  // Every third request is reset at once, every fifth hangs past the 300 ms timeout (15th: the
  // hang wins); 30 requests on one connection: 6 timeouts, 10 - 2 = 8 resets, 16 answers.
  let n = 0
  const origin = await serve(t, (req, res) => {
    const i = n++
    if (i % 5 === 4) return
    if (i % 3 === 2) return req.socket.destroy()
    res.end('GIF89a')
  })
  const tally = new LoadTally()
  await closedLoop(plan(origin, { connections: 1, amount: 30, timeoutMs: 300 }), tally)
  const figures = tally.figures(1, null)
  t.match(figures, { requests: 30, ok: 16, timeouts: 6, errors: 14 })
  t.ok(figures.latencyMs.max >= 300, 'a timeout counts with its 300 ms')
  t.ok(figures.latencyMs.mean >= 6 * 300 / 30, 'and in the mean')
})

interface Seen { path: string, salt: string | undefined, other: string | string[] | undefined }

/**
 * A real server on port 0 that answers every request with an empty 200 and keeps, per
 * connection (in the order the connections sent their first request), the path and the salt
 * of each request it got.
 */
async function recordingServer (t: Test): Promise<{ url: string, connections: Seen[][] }> {
  const bySocket = new Map<Socket, Seen[]>()
  const server = createServer((req: IncomingMessage, res) => {
    let seen = bySocket.get(req.socket)
    if (seen === undefined) bySocket.set(req.socket, seen = [])
    const salt = req.headers[SALT_HEADER]
    seen.push({ path: req.url ?? '', salt: typeof salt === 'string' ? salt : undefined, other: req.headers['x-other'] })
    res.end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, get connections () { return [...bySocket.values()] } }
}

/** One real closed-loop run of `amount` requests over `connections` (closed-loop.ts salts each); what the server saw. */
async function saltedRun (t: Test, connections: number, amount: number): Promise<Seen[][]> {
  const server = await recordingServer(t)
  const plan = { origin: server.url, paths: flagPaths(CODES), headers: { 'x-other': 'kept' }, connections, durationMs: null, amount, timeoutMs: 10_000, signal: new AbortController().signal }
  await closedLoop(plan, new LoadTally())
  return server.connections
}

const gif = (cc: string | undefined): string => `/flags/${cc?.toLowerCase() ?? ''}/${cc?.toLowerCase() ?? ''}.gif`

/** Connection k (read from its first salt) → its requests, checked to carry k.0, k.1, ... in order. */
function byConnection (t: Test, seen: Seen[][]): Map<number, Seen[]> {
  const out = new Map<number, Seen[]>()
  for (const requests of seen) out.set(Number(requests[0]?.salt?.split('.')[0]), requests)
  t.equal(out.size, seen.length, 'each connection (socket) its own k')
  const salts = (connections: Map<number, Seen[]>, salt: (k: number, i: number) => string | undefined): Array<[number, Array<string | undefined>]> =>
    [...connections].map(([k, requests]) => [k, requests.map((_, i) => salt(k, i))])
  t.same(salts(out, (k, i) => out.get(k)?.[i]?.salt), salts(out, requestSalt), 'connection k sends k.0, k.1, k.2, ... in order')
  t.ok(seen.flat().every(r => r.other === 'kept'), 'the run\'s own headers go with the salt')
  return out
}

t.test('salted, every path per connection: distinct salts per request and per connection, deterministic', async t => {
  // 400 requests a connection: each goes round the 194 paths twice and more, and its salts go on counting.
  const first = await saltedRun(t, 3, 1200)
  const connections = byConnection(t, first)
  t.same([...connections.keys()].sort(), [0, 1, 2], 'connections numbered from 0')
  for (const [k, requests] of connections) {
    t.equal(requests.length, 400, `connection ${k}: its share of --amount`)
    t.same(requests.map(r => r.path), requests.map((_, i) => gif(CODES[i % 194])), `connection ${k}: round-robin over every path from the first`)
  }
  const pairs = (seen: Seen[][]): string[] => seen.flat().map(r => `${r.path} ${r.salt ?? ''}`).sort()
  t.equal(new Set(first.flat().map(r => r.salt)).size, 1200, 'no two requests share a salt')
  t.same(pairs(await saltedRun(t, 3, 1200)), pairs(first), 'a second run sends the same (path, salt) pairs')
})
