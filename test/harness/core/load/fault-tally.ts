import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { request } from 'undici'
import { binomialTolerance, compareFaults, configuredFaults, FLAG_ROUTE_LABEL, parseFaultTally, readFaultTally } from '../../../../harness/core/load/fault-tally.js'
import { requestSalt } from '../../../../harness/core/load/flag-requests.js'
import { SALT_HEADER, flagUrl, FLAGS_PATH } from '../../../../server/contract/protocol.js'
import { faultName } from '../../../../server/contract/faults.js'
import { fate } from '../../../../server/fate.js'
import { injectionOf, projectFlags, startSite } from '../../../fixtures/site.js'

t.test('parseFaultTally: the flag route\'s requests, the faults by kind, the requests in flight', async t => {
  const text = [
    '# HELP flags_requests_total Requests answered, by route and status.',
    `flags_requests_total{route="${FLAG_ROUTE_LABEL}",status="200"} 70`,
    `flags_requests_total{route="${FLAG_ROUTE_LABEL}",status="none"} 5`,
    'flags_requests_total{route="/flags",status="200"} 1',
    'flags_requests_total{route="unmatched",status="404"} 3',
    'flags_faults_injected_total{kind="http-500"} 20',
    'flags_faults_injected_total{kind="hang-refused"} 2',
    'flags_injected_delay_seconds_count 75',
    'flags_requests_in_flight 4',
    'not a sample',
    ''
  ].join('\n')
  t.same(parseFaultTally(text), { requests: 75, faults: { 'http-500': 20, 'hang-refused': 2 }, inFlight: 4 })
  t.same(parseFaultTally(''), { requests: 0, faults: {}, inFlight: 0 })
})

t.test('configuredFaults, binomialTolerance: the kinds drawn, named as the metrics name them', async t => {
  const injection = injectionOf({ 'error-rate': '500:0.02,503:0.01', 'reset-rate': '0.005', 'hang-rate': '0.001', 'slow-rate': '0', 'truncate-rate': '0.005' })
  t.same(configuredFaults(injection), [
    { kind: 'http-500', rate: 0.02, alsoCounted: [] },
    { kind: 'http-503', rate: 0.01, alsoCounted: [] },
    { kind: 'reset', rate: 0.005, alsoCounted: [] },
    { kind: 'hang', rate: 0.001, alsoCounted: ['hang-refused'] },
    { kind: 'truncate', rate: 0.005, alsoCounted: [] }
  ], 'a rate of 0 is no kind')
  t.same(configuredFaults(injectionOf({ 'stall-rate': '0.01', 'hang-rate': '0.002' })), [
    { kind: 'hang', rate: 0.002, alsoCounted: ['hang-refused'] },
    { kind: 'stall', rate: 0.01, alsoCounted: [] }
  ], 'a stall, counted under its own name, after the kinds before it')
  t.equal(binomialTolerance(4000, 0.25), 4 * Math.sqrt(750))
  t.equal(binomialTolerance(100, 0.5, 2), 10)
  t.equal(binomialTolerance(100, 0), 0)
})

t.test('compareFaults: seen against rate × requests; a hang refused past --max-hung is a hang', async t => {
  const injection = injectionOf({ 'error-rate': '500:0.1', 'hang-rate': '0.1', 'reset-rate': '0.01' })
  const [http, reset, hang] = compareFaults({ requests: 10_000, faults: { 'http-500': 1100, hang: 900, 'hang-refused': 40 }, inFlight: 1 }, injection)
  t.match(http, { kind: 'http-500', expected: 1000, tolerance: 120, seen: 1100, within: true })
  t.match(hang, { kind: 'hang', seen: 940, seenAs: { 'hang-refused': 40 }, within: true })
  t.match(reset, { kind: 'reset', expected: 100, seen: 0, within: false }, 'never seen: missed')
  const [far] = compareFaults({ requests: 10_000, faults: { 'http-500': 1121 }, inFlight: 1 }, injectionOf({ 'error-rate': '500:0.1' }))
  t.match(far, { within: false }, 'past 4σ: missed')
})

t.test('readFaultTally: a real server\'s counts, as its fates say', async t => {
  const injection = injectionOf({ 'error-rate': '500:0.3', 'hang-rate': '0.2', 'max-latency': '50ms' })
  // One hung request at a time at most: the hangs sent together are partly refused (503).
  const site = await startSite(t, { seed: 7, injection, maxHung: 1 })
  const codes = (await projectFlags()).codes
  const sent = Array.from({ length: 200 }, (_, i) => ({ path: flagUrl(FLAGS_PATH, codes[i % codes.length] ?? ''), salt: requestSalt(0, i) }))
  for (let at = 0; at < sent.length; at += 20) {
    await Promise.all(sent.slice(at, at + 20).map(async ({ path, salt }) => {
      await request(`${site}${path}`, { headers: { [SALT_HEADER]: salt } }).then(async res => await res.body.dump(), () => {})
    }))
  }
  // One more, a hang, still held as the counts are read: they are read once it is over.
  const hung = Array.from({ length: 100 }, (_, i) => ({ path: sent[0]?.path ?? '', salt: requestSalt(1, i) })).find(({ path, salt }) => fate(7, path, salt, injection).fault.kind === 'hang')
  if (hung === undefined) throw new Error('no hang among 100 salts')
  sent.push(hung)
  const held = request(`${site}${hung.path}`, { headers: { [SALT_HEADER]: hung.salt } }).then(async res => await res.body.dump(), () => {})
  const predicted = new Map<string, number>()
  for (const { path, salt } of sent) {
    const kind = faultName(fate(7, path, salt, injection).fault)
    predicted.set(kind, (predicted.get(kind) ?? 0) + 1)
  }
  const tally = await readFaultTally(site)
  await held
  t.equal(tally.requests, 201, 'every flag request the server finished, the one held too, and no other')
  t.equal(tally.inFlight, 1, 'read once only the /metrics request was in flight')
  t.equal(tally.faults['http-500'], predicted.get('http-500'), 'the 500s the fates draw')
  t.equal((tally.faults.hang ?? 0) + (tally.faults['hang-refused'] ?? 0), predicted.get('hang'), 'the hangs the fates draw, held or refused')
  t.ok((tally.faults['hang-refused'] ?? 0) > 0, 'some refused, past --max-hung 1')
  const compared = compareFaults(tally, injection)
  t.same(compared.map(c => [c.kind, c.within]), [['http-500', true], ['hang', true]], 'each within 4σ of rate × 201')
})

t.test('readFaultTally: a server without /metrics is an error', async t => {
  const server = createServer((req, res) => res.writeHead(404).end())
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await t.rejects(readFaultTally(origin), { message: `GET ${origin}/metrics answered 404` })
})
