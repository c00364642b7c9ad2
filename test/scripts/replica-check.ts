// scripts/replica-check.ts against real flag servers on loopback: one address stands for one
// replica here (scripts/swarm-check.sh runs it against three in a swarm).

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startEmbeddedServer } from '../../harness/core/embedded.js'
import { runCompiled, spawnCompiled } from '../fixtures/run.js'

const SCRIPT = 'scripts/replica-check.js'

interface TrafficReport {
  connections: number
  sent: number
  answered: number
  errored: number
  statuses: Record<string, number>
  perAddress: Record<string, { sent: number, answered: number, errored: number }>
  refusedConnections: Record<string, number>
  errors: Array<{ address: string, reason: string, startedAt: number, endedAt: number }>
}

async function inFlight (url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Number(/^flags_requests_in_flight (\d+)$/m.exec(text)?.[1] ?? 0)
}

t.test('fates: a replica with the same seed and site answers as a single server; shares: its /metrics count', async t => {
  const replica = await startEmbeddedServer(['--profile', 'error', '--seed', '42'])
  t.teardown(replica.stop)
  const fates = await runCompiled(SCRIPT, ['fates', replica.url])
  t.equal(fates.code, 0, 'exit 0')
  // 194 flags listed, each asked twice (plain and salted): 388 requests.
  t.match(fates.stdout, /^1 replicas \(127\.0\.0\.1\), site ERROR, seed 42: 388 requests of each: the same fates on every replica as on a single server with seed 42 /, 'the same fates')
  const shares = await runCompiled(SCRIPT, ['shares', replica.url])
  t.equal(shares.stdout, '127.0.0.1 388\n', "the replica's /metrics counts the fates check's 388 flag requests")
})

t.test('fates: a replica whose injection was changed alone (the admin API) is caught', async t => {
  const replica = await startEmbeddedServer(['--profile', 'error', '--seed', '42'])
  t.teardown(replica.stop)
  // The same seed and site, but a jitter of ±1 ms on every delay: no fate can match.
  const patched = await fetch(`${replica.url}/admin/config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"jitter":"1ms"}' })
  t.equal(patched.status, 200, 'jitter set on the replica alone')
  const fates = await runCompiled(SCRIPT, ['fates', replica.url])
  t.equal(fates.code, 1, 'exit 1')
  t.match(fates.stderr, /^replica-check: 1 replicas \(127\.0\.0\.1\), site ERROR, seed 42: 388 requests of each, 388 fates unlike the single server's, first 127\.0\.0\.1 \/flags\/\S+ .*\n$/, 'one line: all 388 unlike, the first named')
})

t.test('traffic: a replica killed under load; its requests in flight are the only errors', async t => {
  const replica = await startEmbeddedServer(['--latency', '1s', '--seed', '1'])
  t.teardown(replica.stop)
  const traffic = spawnCompiled(SCRIPT, ['traffic', replica.url, '--connections', '4'])
  t.teardown(() => { traffic.child.kill('SIGKILL') })
  // Each of the 4 connections has its request held for 1 s: wait until the server holds all 4
  // (5 in flight: the 4 and the /metrics request that asks).
  while (await inFlight(replica.url) < 5) await sleep(50)
  await sleep(1_500)
  while (await inFlight(replica.url) < 5) await sleep(10)
  process.kill(replica.pid, 'SIGKILL')
  const killedAt = Date.now()
  // Past the second the broken address is left out: the connections then try it again, refused.
  await sleep(2_000)
  traffic.child.kill('SIGTERM')
  const { code, stdout } = await traffic.finished
  t.equal(code, 0, 'exit 0 after SIGTERM, with the report')
  const report = JSON.parse(stdout) as TrafficReport
  // At the kill the server held 4 requests, one per connection: those 4, and nothing else.
  t.equal(report.errored, 4, 'four errors: the four requests in flight')
  t.ok(report.errors.every(e => e.address === '127.0.0.1' && e.startedAt <= killedAt && e.reason !== ''), 'each started before the kill, with its reason')
  t.equal(report.sent, report.answered + report.errored, 'every request sent answered or an error, none lost')
  t.equal(report.statuses['200'], report.answered, 'the answers: 200s')
  t.ok(report.answered >= 4, 'the first round of 4 answered before the kill')
  t.same(report.perAddress['127.0.0.1'], { sent: report.sent, answered: report.answered, errored: 4 }, 'by address')
  t.ok((report.refusedConnections.ECONNREFUSED ?? 0) >= 1, 'the reconnections refused, not counted as requests')
})

t.test('bad input: one line and exit 2', async t => {
  for (const [args, line] of [
    [['nope', 'http://x:1'], 'replica-check: command: invalid value "nope"; accepted: fates, shares, traffic\n'],
    [['traffic', 'http://x:1', '--duration', 'soon'], 'replica-check: --duration: invalid value "soon"; accepted: a duration with a unit, e.g. 200ms, 1.5s, 2s\n'],
    [['fates'], "replica-check: fates: one URL, a site's origin by the service's name (http://server:8002)\n"]
  ] as const) {
    const run = await runCompiled(SCRIPT, [...args])
    t.same({ code: run.code, stderr: run.stderr }, { code: 2, stderr: line }, args.join(' '))
  }
})
