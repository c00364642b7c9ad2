import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import t, { type Test } from 'tap'
import { flagRequests, requestSalt, requestsFor } from '../../../../harness/core/load/flag-requests.js'
import { runCannon } from '../../../../harness/core/load/run-cannon.js'
import { SALT_HEADER } from '../../../../server/contract/protocol.js'

/** 194 made-up codes, AA to HL: as many as the flag set. */
const CODES = Array.from({ length: 194 }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + i % 26)}`)

t.test('requestsFor: every flag path round-robin, in windows past 50,000 requests built', async t => {
  const paths = flagRequests(['BR', 'CN', 'US'])
  t.same(paths.map(p => p.path), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/us/us.gif'])
  t.equal(flagRequests(['BR'], '/mirror/flags')[0]?.path, '/mirror/flags/br/br.gif')
  t.same(requestsFor(paths, 10), { requests: paths }, 'few connections, unsalted: the whole list each')
  const many = flagRequests(CODES)
  const windowed = requestsFor(many, 5000)
  t.equal(windowed.requests?.length, 1)
  const seen = new Map<string, number>()
  for (let c = 0; c < 194; c++) {
    windowed.setupClient?.({ setRequests: (requests: Array<{ path: string }>) => { for (const r of requests) seen.set(r.path, (seen.get(r.path) ?? 0) + 1) } } as never)
  }
  t.equal(seen.size, 194, 'the windows together cover every path')
  t.equal(new Set(seen.values()).size, 1, 'and each the same number of times')
})

t.test('requestSalt: connection k\'s i-th request, both from 0', async t => {
  t.equal(requestSalt(0, 0), '0.0')
  t.equal(requestSalt(12, 345), '12.345')
  t.not(requestSalt(1, 11), requestSalt(11, 1), 'no two places share a salt')
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

/** One real autocannon run of `amount` salted requests over `connections`; what the server saw. */
async function saltedRun (t: Test, connections: number, amount: number): Promise<Seen[][]> {
  const server = await recordingServer(t)
  await runCannon({ url: server.url, connections, amount, headers: { 'x-other': 'kept' }, ...requestsFor(flagRequests(CODES), connections, { salted: true }) }, new AbortController().signal)
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
  t.same([...connections.keys()].sort(), [0, 1, 2], 'connections numbered from 0, in the order autocannon creates them')
  for (const [k, requests] of connections) {
    t.equal(requests.length, 400, `connection ${k}: its share of --amount`)
    t.same(requests.map(r => r.path), requests.map((_, i) => gif(CODES[i % 194])), `connection ${k}: round-robin over every path from the first`)
  }
  const pairs = (seen: Seen[][]): string[] => seen.flat().map(r => `${r.path} ${r.salt ?? ''}`).sort()
  t.equal(new Set(first.flat().map(r => r.salt)).size, 1200, 'no two requests share a salt')
  t.same(pairs(await saltedRun(t, 3, 1200)), pairs(first), 'a second run sends the same (path, salt) pairs')
})

t.test('salted, in windows (past 50,000 requests built): the same salts, the windows still cover every path', async t => {
  // 194 × 300 > 50,000: each connection cycles over a window of 166 paths, the windows staggered.
  const seen = await saltedRun(t, 300, 900)
  const connections = byConnection(t, seen)
  t.equal(connections.size, 300)
  t.same([...connections.keys()].sort((a, b) => a - b), Array.from({ length: 300 }, (_, k) => k))
  const paths = (path: (k: number, i: number) => string): string[][] => [...connections.keys()].sort((a, b) => a - b).map(k => [0, 1, 2].map(i => path(k, i)))
  t.same(paths((k, i) => connections.get(k)?.[i]?.path ?? ''), paths((k, i) => gif(CODES[(k * 166 + i) % 194])), 'connection k: its window, from path (k × 166) mod 194')
  t.equal(new Set(seen.flat().map(r => r.path)).size, 194, 'the windows together cover every path')
  t.equal(new Set(seen.flat().map(r => r.salt)).size, 900, 'no two requests share a salt')
})
