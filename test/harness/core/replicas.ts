import { lookup } from 'node:dns/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { Client, request } from 'undici'
import { buildServer } from '../../../server/app.js'
import { NO_INJECTION } from '../../../server/contract/injection.js'
import { FLAGS_PATH } from '../../../server/contract/protocol.js'
import type { SiteConfig } from '../../../server/site.js'
import { closedLoop } from '../../../harness/core/load/closed-loop.js'
import { flagPaths } from '../../../harness/core/load/flag-requests.js'
import { LoadTally } from '../../../harness/core/load/load-tally.js'
import { load } from '../../../harness/core/load/load.js'
import { openAsync } from '../../../harness/core/modes/async.js'
import type { ModeContext, ModeSession } from '../../../harness/core/modes/mode.js'
import { openPooled } from '../../../harness/core/modes/pooled.js'
import { openSequential } from '../../../harness/core/modes/sequential.js'
import { pinnedTo } from '../../../harness/core/pinned-connect.js'
import { RESOLVE_EVERY_MS, replicaAddresses, replicaOrigin, ReplicaSpread } from '../../../harness/core/replicas.js'
import { replicasLine } from '../../../harness/reports/terminal.js'
import { projectFlags } from '../../fixtures/site.js'

const SITE: SiteConfig = { name: 'TEST', seed: 42, injection: NO_INJECTION, overrides: true, maxHung: 1000, admin: { enabled: true, token: undefined } }

/**
 * Two flag servers on one port, one bound to 127.0.0.1 and one to ::1: two replicas a name
 * resolving to both would reach. Null when the machine has no IPv6 loopback.
 */
async function twoReplicas (t: Test): Promise<number | null> {
  const flags = await projectFlags()
  const first = buildServer(SITE, flags)
  await first.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => { const closing = first.close(); first.server.closeAllConnections(); await closing })
  const port = (first.server.address() as AddressInfo).port
  const second = buildServer(SITE, flags)
  try {
    await second.listen({ host: '::1', port, ipv6Only: true })
  } catch {
    return null
  }
  t.teardown(async () => { const closing = second.close(); second.server.closeAllConnections(); await closing })
  return port
}

t.test('replicaAddresses: an address is itself; a name, every address once, sorted', async t => {
  t.same(await replicaAddresses('10.0.1.3'), ['10.0.1.3'])
  t.same(await replicaAddresses('[::1]'), ['::1'], 'a URL\'s IPv6 host, brackets off')
  const dnsrr = async (): Promise<Array<{ address: string }>> => [{ address: '10.0.1.4' }, { address: '10.0.1.2' }, { address: '10.0.1.4' }]
  t.same(await replicaAddresses('server', dnsrr), ['10.0.1.2', '10.0.1.4'], 'as Swarm\'s DNS answers a dnsrr service, in any order')
  t.same(await replicaAddresses('localhost'), [...new Set((await lookup('localhost', { all: true })).map(entry => entry.address))].sort(), 'by default, dns.lookup with all: true')
  t.equal(replicaOrigin(new URL('http://server:8002/flags'), '::1'), 'http://[::1]:8002')
  t.equal(replicaOrigin(new URL('http://server:8002/flags'), '10.0.1.2'), 'http://10.0.1.2:8002')
})

t.test('pinnedTo: a connection goes to the address, its Host header stays the name', async t => {
  const hosts: Array<string | undefined> = []
  const server = createServer((req: IncomingMessage, res) => { hosts.push(req.headers.host); res.end('ok') })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as AddressInfo
  // .invalid never resolves (RFC 2606): an answer proves the connection did not ask the resolver.
  const client = new Client(`http://replicas.invalid:${port}`, { connect: pinnedTo('127.0.0.1') })
  t.teardown(async () => await client.close())
  const { statusCode, body } = await client.request({ method: 'GET', path: '/' })
  t.equal(statusCode, 200)
  t.equal(await body.text(), 'ok')
  t.same(hosts, [`replicas.invalid:${port}`])
})

t.test('ReplicaSpread, known answer: 20 requests on 2 connections over 2 replicas are 10 and 10, and their /metrics sum to 20', async t => {
  const port = await twoReplicas(t)
  if (port === null) { t.plan(0, 'no IPv6 loopback here: ::1 cannot be bound, so there are not two replicas on one port'); return }
  // The closed loop gives connection k its share of --amount (20 / 2 = 10 each) and connection k
  // goes to the k-th address (0 → 127.0.0.1, 1 → ::1, sorted): 10 requests each, counted as
  // sent; each replica's /metrics counts its 10 flag requests, 20 summed, none in flight after.
  // The name resolves nowhere (.invalid): every connection reached its replica by its pin.
  const url = new URL(`http://replicas.invalid:${port}${FLAGS_PATH}`)
  const replicas = new ReplicaSpread(['127.0.0.1', '::1'])
  const before = await replicas.readMetrics(url)
  const tally = new LoadTally()
  const codes = JSON.parse(await (await request(`http://127.0.0.1:${port}${FLAGS_PATH}`)).body.text()) as { codes: string[] }
  await closedLoop({ origin: url.origin, replicas, paths: flagPaths(codes.codes, FLAGS_PATH), headers: {}, connections: 2, durationMs: null, amount: 20, timeoutMs: 10_000, signal: new AbortController().signal }, tally)
  t.match(tally.figures(2, null), { requests: 20, ok: 20, errors: 0 })
  const figures = await replicas.figures(url, before)
  t.same(figures.shares.map(({ address, requests, served }) => ({ address, requests, served: served?.requests })), [
    { address: '127.0.0.1', requests: 10, served: 10 },
    { address: '::1', requests: 10, served: 10 }
  ], 'what the client sent each replica is what each replica served')
  t.same(figures.served, { requests: 20, faults: {}, inFlight: 0 }, 'the replicas\' /metrics summed: the 20 requests, no faults, none in flight')
  t.equal(figures.answered, 2)
  t.equal(replicasLine(figures), 'Replicas: 2 of 2 answered, connections dealt round robin; requests sent 127.0.0.1 10 (50%), ::1 10 (50%); their /metrics summed: 20 flag requests, no faults, 0 in flight after')
})

t.test('the harness\'s modes deal their connections over the replicas', async t => {
  t.setTimeout(120_000)
  const port = await twoReplicas(t)
  if (port === null) { t.plan(0, 'no IPv6 loopback here: ::1 cannot be bound'); return }
  const url = new URL(`http://replicas.invalid:${port}${FLAGS_PATH}`)
  const codes = (await projectFlags()).codes.slice(0, 20)
  // A 20 ms latency keeps each connection busy while the next request is handed out, so a
  // pool opens every connection it may.
  const download = { timeoutMs: 10_000, headers: { 'x-flags-latency': '20ms' }, saveDir: null, syncSave: false, cpuSlices: 0 }
  const served = async (open: (context: ModeContext) => Promise<ModeSession>, concurrency: number): Promise<Array<number | undefined>> => {
    const replicas = new ReplicaSpread(['127.0.0.1', '::1'])
    const before = await replicas.readMetrics(url)
    const session = await open({ baseUrl: url.href, codes, concurrency, download, interrupt: new AbortController().signal, replicas })
    try {
      const run = await session.run(() => {}, null)
      t.equal(run.records.filter(record => record.outcome === 'ok').length, 20, 'every flag downloaded through the pinned connections')
    } finally {
      await session.close()
    }
    const figures = await replicas.figures(url, before)
    t.equal(figures.served?.requests, 20, 'the replicas\' /metrics sum to the 20 requests')
    return figures.shares.map(share => share.served?.requests)
  }
  // sequential: one connection, so one replica, the first.
  t.same(await served(openSequential, 1), [20, 0], 'sequential: all 20 on the first replica')
  // async: 2 connections, the first opened to 127.0.0.1, the second to ::1; each carries one
  // request at a time, so how many each takes depends on the timing: both, 20 in all.
  const async = await served(openAsync, 2)
  t.ok(async.every(n => n !== undefined && n > 0), `async: both replicas answered (${async.join(' and ')})`)
  // pooled: 2 worker threads started one after the other, with consecutive thread ids: one
  // connection to each replica.
  const pooled = await served(openPooled, 2)
  t.ok(pooled.every(n => n !== undefined && n > 0), `pooled: both replicas answered (${pooled.join(' and ')})`)
})

t.test('load() against localhost: spread over its addresses when it names two replicas, unchanged when one', async t => {
  const port = await twoReplicas(t)
  if (port === null) { t.plan(0, 'no IPv6 loopback here: ::1 cannot be bound'); return }
  const addresses = await replicaAddresses('localhost')
  const options = {
    server: { kind: 'url' as const, baseUrl: `http://localhost:${port}${FLAGS_PATH}`, label: null },
    seed: null,
    injection: {},
    connections: 2,
    open: null,
    durationMs: null,
    amount: 20,
    timeoutMs: 10_000,
    signal: new AbortController().signal,
    reproduce: { script: 'load', argv: [] }
  }
  const report = await load(options)
  t.match(report, { requests: 20, ok: 20 })
  if (addresses.length < 2) {
    // This machine's /etc/hosts gives localhost 127.0.0.1 alone: one address, nothing spread.
    t.comment(`localhost resolves to ${addresses.join(', ')} alone here: the two-replica case is the test above`)
    t.notOk(report !== null && 'replicas' in report, 'one address: the report has no replicas, as before')
    return
  }
  // 20 requests, 2 connections, one to each of localhost's two addresses: 10 and 10.
  t.same(report?.replicas?.shares.map(share => share.requests), [10, 10])
  t.equal(report?.replicas?.served?.requests, 20)
})

t.test('a rolling update under the closed loop: the name followed, connections move to the new replica, only what was in flight on the old one fails', async t => {
  // Three flag servers on one port at 127.0.0.1, .2 and .3 (all of 127/8 is loopback here): .1
  // and .2 are the replicas at the start; .3 the new task of a rolling update, started mid-run.
  const flags = await projectFlags()
  const [one, old] = [buildServer(SITE, flags), buildServer(SITE, flags)]
  await one.listen({ host: '127.0.0.1', port: 0 })
  const port = (one.server.address() as AddressInfo).port
  await old.listen({ host: '127.0.0.2', port })
  const fresh = buildServer(SITE, flags)
  const shut = async (app: typeof one): Promise<void> => { const closing = app.close(); app.server.closeAllConnections(); await closing }
  t.teardown(async () => { await Promise.all([shut(one), shut(old), shut(fresh)]) })
  let names = ['127.0.0.1', '127.0.0.2']
  const resolve = async (): Promise<Array<{ address: string }>> => names.map(address => ({ address }))
  const replicas = new ReplicaSpread(names)
  const following = new AbortController()
  const followed = replicas.follow('replicas.invalid', following.signal, resolve)
  const codes = (await projectFlags()).codes
  const tally = new LoadTally()
  let endedAtKill = 0
  let update: Promise<void> = Promise.resolve()
  // 4 connections, 800 requests of at least 10 ms each: 200 a connection, 2 s at the least. At the
  // 100th end the update begins: .3 joins the name and .2 leaves it; a lookup later (two periods,
  // 500 ms, well within the run's remaining 1.75 s at the least), .2 is killed.
  const ended = (count: number): void => {
    if (count !== 100) return
    update = (async () => {
      await fresh.listen({ host: '127.0.0.3', port })
      names = ['127.0.0.1', '127.0.0.3']
      await sleep(2 * RESOLVE_EVERY_MS)
      endedAtKill = tally.figures(4, null).requests
      await shut(old)
    })()
  }
  await closedLoop({ origin: `http://replicas.invalid:${port}`, replicas, paths: flagPaths(codes, FLAGS_PATH), headers: { 'x-flags-latency': '10ms' }, connections: 4, durationMs: null, amount: 800, timeoutMs: 10_000, signal: new AbortController().signal, ended }, tally)
  await update
  following.abort()
  await followed
  t.ok(endedAtKill > 0 && endedAtKill < 800, `the old replica was killed during the run (after ${endedAtKill} requests)`)
  const figures = tally.figures(4, null)
  // Known answer: every one of the 800 requests ends once, answered or as an error. Connections
  // 1 and 3 were on .2; at the kill each had at most one request in flight, which fails (its
  // socket closed under it): at most 2 errors. Their next requests connect afresh, and the name,
  // looked up since, no longer has .2: they go to .1 and .3 in turn (one each), never refused.
  t.equal(figures.requests, 800, 'every request counted, once')
  t.ok(figures.errors <= 2, `errors: ${figures.errors}, at most the 2 in flight on the killed replica (${JSON.stringify(figures.errorKinds)})`)
  t.notOk('ECONNREFUSED' in figures.errorKinds, 'no connection sent to the gone replica')
  const shares = (await replicas.figures(new URL(`http://replicas.invalid:${port}${FLAGS_PATH}`), new Map())).shares
  t.same(shares.map(share => share.address), ['127.0.0.1', '127.0.0.2', '127.0.0.3'], 'every replica seen, old and new')
  t.equal(shares.reduce((sum, share) => sum + (share.requests ?? 0), 0), 800, 'the shares sum to the requests')
  t.ok((shares[2]?.requests ?? 0) > 0, `the new replica got a share (${shares[2]?.requests ?? 0})`)
})

t.test('without following the name, a connection refused moves to the next address instead of being refused again', async t => {
  // Known answer: two addresses, .1 up and .2 down (nothing listens there). 2 connections, 20
  // requests: connection 1 goes to .2, is refused once (an error, ECONNREFUSED), and moves to .1,
  // the one address left; every other request is answered: 19 ok, 1 error. Without the move,
  // its 10 requests would all be refused.
  const flags = await projectFlags()
  const one = buildServer(SITE, flags)
  await one.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => { const closing = one.close(); one.server.closeAllConnections(); await closing })
  const port = (one.server.address() as AddressInfo).port
  const replicas = new ReplicaSpread(['127.0.0.1', '127.0.0.2'])
  const tally = new LoadTally()
  await closedLoop({ origin: `http://replicas.invalid:${port}`, replicas, paths: flagPaths(flags.codes, FLAGS_PATH), headers: {}, connections: 2, durationMs: null, amount: 20, timeoutMs: 10_000, signal: new AbortController().signal }, tally)
  t.match(tally.figures(2, null), { requests: 20, ok: 19, errors: 1, errorKinds: { ECONNREFUSED: 1 } })
})
