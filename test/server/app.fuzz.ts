// Property-based fuzzing of a real flag server: 10,000 random requests (paths with encoded
// traversal, bad UTF-8, over-long segments; query and x-flags-* overrides, valid and invalid;
// random headers) through undici, each answer checked against the documented ones.
// A failure prints fast-check's seed and path: FUZZ_SEED=<seed> reruns the same requests.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { connect } from 'node:net'
import { Pool, request } from 'undici'
import { OVERRIDABLE } from '../../server/app.js'
import { FAULT_KINDS, type FaultKind } from '../../server/contract/faults.js'
import { FAULT_RATE_NAMES, optionName } from '../../server/contract/injection.js'
import { MAX_OPEN_PER_CONNECTION } from '../../server/requests.js'
import { defaultFlagsDir } from '../../server/contract/project.js'
import { injectionOf, startSite } from '../fixtures/site.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261125)
const RUNS = 10_000
/** The site's max-latency: every delay, hang and slow body is over by then. */
const MAX_LATENCY_MS = 50
const CLIENT_TIMEOUT_MS = 2000
/** find-my-way's default maxParamLength: a longer :cc or :file parameter is Fastify's 414. */
const MAX_PARAM_LENGTH = 100
/** Node's default --max-http-header-size: a request line and headers past it are a 431. */
const MAX_HEADER_BYTES = 16 * 1024

interface FuzzRequest {
  path: string
  query: ReadonlyArray<readonly [string, string]>
  /** Appended as is after the query, e.g. a bare `?` or `&&`. */
  rawQuery: string
  headers: Readonly<Record<string, string>>
}

const OPTION_NAMES = OVERRIDABLE.map(optionName)
const NOT_OPTIONS = ['max-latency', 'salt', 'x', '__proto__', 'constructor', 'toString', 'Latency', 'error_rate', '', '%00', '%ff%fe', 'latency%00']

const SEGMENTS = [
  'flags', 'br', 'br.gif', 'cn', 'cn.gif', 'metadata.json', 'BR', 'xx', 'xx.gif', 'healthz', 'metrics', 'admin', 'config',
  '..', '.', '', '%2e%2e', '%2e', '..%2f', '..%2F', '%2e%2e%2f', '%252e%252e', '%252e%252e%252f', '%25%32%65', '..\\', '..%5c', '\\',
  '%00', 'br.gif%00', 'br.gif%00.json', '%ff%fe', '%c0%ae%c0%ae', '%e2%80%ae', '%', '%zz', '%2f', 'package.json', 'etc', 'passwd',
  '%2fetc%2fpasswd', '~', ';', 'br.gif;x', '..;'
]

/** Printable ASCII a URL path may carry as is (undici refuses the rest): no space, ?, #. */
const pathChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@%\\/"<>[]^`{|}'.split(''))

const segment = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...SEGMENTS) },
  { weight: 10, arbitrary: fc.string({ unit: pathChar, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 3000 }).map(n => 'a'.repeat(n)) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 }).map(n => '%2e%2e%2f'.repeat(n)) }
)

const path = fc.oneof(
  { weight: 30, arbitrary: fc.tuple(fc.constantFrom('br', 'cn', 'in', 'xx', 'BR', '..', '%2e%2e'), fc.constantFrom('br.gif', 'cn.gif', 'in.gif', 'metadata.json', 'x.gif', '..%2fpackage.json')).map(([cc, file]) => `/flags/${cc}/${file}`) },
  { weight: 30, arbitrary: fc.array(segment, { minLength: 0, maxLength: 6 }).map(parts => `/${parts.join('/')}`) },
  { weight: 30, arbitrary: fc.tuple(segment, segment).map(([cc, file]) => `/flags/${cc}/${file}`) },
  { weight: 1, arbitrary: fc.integer({ min: 8000, max: 20_000 }).map(n => `/flags/br/${'b'.repeat(n)}`) }
)

const duration = fc.oneof(
  fc.constantFrom('0ms', '1ms', '2ms', '0.5ms', '.5ms', '50ms', '1s', '1m', '10m', '0s', ' 1ms ', '1', 'ms', '-1ms', '1h', '1e3ms', 'NaN', 'Infinity', '9'.repeat(400) + 'ms'),
  fc.integer({ min: 0, max: 60 }).map(n => `${n}ms`)
)
const rate = fc.oneof(
  fc.constantFrom('0', '1', '0.5', '.25', '0.1', '1.0', '1.5', '-0.1', '2', 'x', '', '0x1', '1e-1', ' 0.2 '),
  fc.double({ min: 0, max: 1, noNaN: true }).map(r => String(r))
)
const status = fc.oneof(fc.integer({ min: 300, max: 700 }), fc.constantFrom(400, 404, 418, 500, 503, 599))
const errorRate = fc.oneof(
  rate,
  fc.array(fc.tuple(status, rate), { minLength: 1, maxLength: 3 }).map(pairs => pairs.map(([s, r]) => `${s}:${r}`).join(',')),
  fc.constantFrom('500:', ':0.5', '500:0.5,500:0.5', '418:1,500:1', 'abc:0.1')
)
const latency = fc.oneof(
  duration,
  fc.tuple(duration, duration).map(([a, b]) => `${a}..${b}`),
  fc.tuple(duration, duration).map(([a, b]) => `normal:${a},${b}`),
  fc.tuple(duration, fc.constantFrom('0', '0.5', '5', '6', '-1', 'x', '')).map(([a, s]) => `lognormal:${a},${s}`),
  fc.constantFrom('uniform:1ms', ':', '..', 'normal:', 'lognormal:1ms')
)
const valueFor: Record<string, fc.Arbitrary<string>> = {
  latency,
  jitter: duration,
  'stall-for': duration,
  'error-rate': errorRate,
  'slow-bps': fc.oneof(fc.constantFrom('0', '1', '1000000000', '1000000001', '-5', '1.5', 'x'), fc.integer({ min: 1, max: 100_000_000 }).map(String))
}
const randomValue = fc.string({ unit: pathChar, maxLength: 20 })

const option = fc.oneof(
  { weight: 15, arbitrary: fc.constantFrom(...OPTION_NAMES).chain(name => fc.tuple(fc.constant(name), fc.oneof({ weight: 10, arbitrary: valueFor[name] ?? rate }, { weight: 1, arbitrary: randomValue }))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NOT_OPTIONS), randomValue) }
)

/** A value as a query string carries it: usually percent-encoded, sometimes raw or double-encoded. */
const queryText = (value: string): fc.Arbitrary<string> => fc.constantFrom(
  encodeURIComponent(value),
  encodeURIComponent(encodeURIComponent(value)),
  value.replace(/[^\w.~:,%-]/g, c => encodeURIComponent(c))
)

const query = fc.array(option, { maxLength: 2 }).chain(options =>
  options.length === 0
    ? fc.constant([] as Array<[string, string]>)
    : fc.tuple(...options.map(([name, value]) => fc.tuple(queryText(name), queryText(value)))))

/** A header value undici sends: visible ASCII and inner spaces, no CR, LF or NUL. */
const headerValue = fc.oneof(
  { weight: 20, arbitrary: fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.,:;=/"\'()%\\*?'.split('')), maxLength: 30 }) },
  { weight: 10, arbitrary: fc.constantFrom('%00', '%ff%fe', '..%2f..%2fpackage.json', 'W/"x"', '*', '"br-123"') },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map(n => 'v'.repeat(n)) }
)

const headers = fc.record({
  overrides: fc.array(option.chain(([name, value]) => fc.tuple(fc.constant(name.toLowerCase()), fc.oneof({ weight: 5, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: headerValue }))), { maxLength: 2 }),
  salt: fc.option(headerValue, { nil: undefined }),
  ifNoneMatch: fc.option(headerValue, { nil: undefined }),
  other: fc.array(fc.tuple(fc.constantFrom('accept', 'user-agent', 'x-forwarded-for', 'cookie', 'range', 'x-flags', 'x-flag-latency', 'accept-encoding', 'referer'), headerValue), { maxLength: 2 }),
  // What a browser says of where the request came from: a cross-site page may not override.
  fetchSite: fc.option(fc.oneof({ weight: 5, arbitrary: fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none') }, { weight: 1, arbitrary: headerValue }), { nil: undefined })
}).map(({ overrides, salt, ifNoneMatch, other, fetchSite }) => {
  const out: Record<string, string> = {}
  for (const [name, value] of other) out[name] = value
  if (fetchSite !== undefined) out['sec-fetch-site'] = fetchSite
  if (salt !== undefined) out['x-flags-salt'] = salt
  if (ifNoneMatch !== undefined) out['if-none-match'] = ifNoneMatch
  for (const [name, value] of overrides) {
    // Header names are tokens: an override name that is not one can't be sent as a header.
    if (/^[\w-]+$/.test(name)) out[`x-flags-${name}`] = value
  }
  return out
})

const wild: fc.Arbitrary<FuzzRequest> = fc.record({
  path,
  query,
  rawQuery: fc.constantFrom('', '', '', '?', '&', '&&', '#x', '?=', '=x'),
  headers
})

/** The current ETag of the flag a request asks for, put in at send time. */
const ETAG = 'ETAG-OF-THIS-FLAG'

/** A well-formed flag request with at most one valid override, so that faults are drawn too. */
const validOption = fc.oneof(
  fc.tuple(fc.constant('latency'), fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 5 }).map(n => `${n}ms`) }, { weight: 1, arbitrary: fc.constantFrom('1s', '1m', '1ms..1h') })),
  fc.tuple(fc.constant('jitter'), fc.integer({ min: 0, max: 5 }).map(n => `${n}ms`)),
  fc.tuple(fc.constant('error-rate'), fc.tuple(fc.integer({ min: 400, max: 599 }), fc.double({ min: 0, max: 1, noNaN: true })).map(([s, r]) => `${s}:${r}`)),
  fc.tuple(fc.constantFrom(...Object.values(FAULT_RATE_NAMES)), fc.double({ min: 0, max: 1, noNaN: true }).map(String)),
  fc.tuple(fc.constant('slow-bps'), fc.integer({ min: 1, max: 1_000_000 }).map(String))
)
const tame: fc.Arbitrary<FuzzRequest> = fc.record({
  path: fc.tuple(fc.constantFrom('br', 'cn', 'in', 'us', 'jp'), fc.boolean()).map(([cc, gif]) => `/flags/${cc}/${gif ? `${cc}.gif` : 'metadata.json'}`),
  options: fc.array(validOption, { maxLength: 1 }),
  inHeader: fc.boolean(),
  salt: fc.option(fc.string({ unit: fc.constantFrom(...'abcdef0123'.split('')), maxLength: 8 }), { nil: undefined }),
  cached: fc.boolean()
}).map(({ path, options, inHeader, salt, cached }) => {
  const headers: Record<string, string> = {}
  if (salt !== undefined) headers['x-flags-salt'] = salt
  if (cached) headers['if-none-match'] = ETAG
  if (inHeader) for (const [name, value] of options) headers[`x-flags-${name}`] = value
  return { path, query: inHeader ? [] : options, rawQuery: '', headers }
})

const fuzzRequest = fc.oneof(wild, tame)

function target (req: FuzzRequest): string {
  const search = req.query.map(([name, value]) => `${name}=${value}`).join('&')
  const suffix = req.rawQuery === '#x' ? '' : req.rawQuery
  return search === '' ? (suffix === '' ? req.path : `${req.path}?${suffix.replace(/^\?/, '')}`) : `${req.path}?${search}${suffix}`
}

/** What a request asked for through its overrides, decoded as the server would see them. */
interface Asked {
  statuses: Set<number>
  connectionFaults: boolean
}

function decoded (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Whether the client sees no answer or a short body when a kind is drawn: a kind added to the contract must say. */
const CONNECTION_FAULTS: Readonly<Record<FaultKind, boolean>> = { http: false, reset: true, hang: true, slow: false, truncate: true, stall: false }
const CONNECTION_FAULT_RATES = FAULT_KINDS.filter(kind => CONNECTION_FAULTS[kind]).map(kind => FAULT_RATE_NAMES[kind])

function asked (req: FuzzRequest): Asked {
  const options: Array<[string, string]> = [
    ...req.query.map(([n, v]) => [decoded(n), decoded(v)] as [string, string]),
    ...Object.entries(req.headers).filter(([n]) => n.startsWith('x-flags-') && n !== 'x-flags-salt').map(([n, v]) => [n.slice(8), v] as [string, string])
  ]
  const statuses = new Set<number>()
  let connectionFaults = false
  for (const [name, value] of options) {
    if (name === 'error-rate') {
      for (const match of value.matchAll(/(\d{3})\s*:/g)) statuses.add(Number(match[1]))
      statuses.add(418)
    }
    if (CONNECTION_FAULT_RATES.includes(name) && Number(value) > 0) connectionFaults = true
  }
  return { statuses, connectionFaults }
}

function headerBytes (req: FuzzRequest, url: string): number {
  return url.length + 20 + Object.entries(req.headers).reduce((sum, [n, v]) => sum + n.length + v.length + 4, 0)
}

function longestSegment (url: string): number {
  const pathOnly = url.split('?')[0] ?? ''
  return Math.max(...pathOnly.split('/').map(s => s.length))
}

interface Seen { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

function jsonBody (body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'))
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** Why an answer is not one of the documented ones, or undefined when it is. */
function unexpected (req: FuzzRequest, url: string, seen: Seen, wants: Asked): string | undefined {
  const { status, body } = seen
  const type = String(seen.headers['content-type'] ?? '')
  const json = jsonBody(body)
  const length = seen.headers['content-length']
  if (length !== undefined && Number(length) !== body.length) return `Content-Length ${String(length)} but ${body.length} bytes`
  const injected = json?.error === 'injected fault' && json.status === status
  if (injected) return wants.statuses.has(status) ? undefined : `an injected ${status} nobody asked for`
  switch (status) {
    case 200:
      if (type === 'image/gif') return body.subarray(0, 4).toString('latin1') === 'GIF8' ? undefined : 'a 200 image/gif that is no GIF'
      if (type.startsWith('application/json')) return json !== undefined ? undefined : 'a 200 JSON that does not parse'
      if (type.startsWith('text/plain') && url.split('?')[0]?.replace(/\/+$/, '') === '/metrics') return undefined
      return `a 200 of type ${type}`
    case 304:
      return body.length === 0 ? undefined : 'a 304 with a body'
    case 400: case 404:
      return typeof json?.error === 'string' ? undefined : `a ${status} without a JSON {error}`
    case 403:
      // Only a cross-site browser request that overrides: a query, or an x-flags-* header.
      return req.headers['sec-fetch-site'] === 'cross-site' && (url.includes('?') || Object.keys(req.headers).some(name => name.startsWith('x-flags-') && name !== 'x-flags-salt'))
        ? undefined
        : `a 403 for a request that is not a cross-site override: ${body.subarray(0, 200).toString()}`
    case 414:
      return longestSegment(url) > MAX_PARAM_LENGTH ? undefined : `a 414 for a ${longestSegment(url)}-char segment`
    case 431:
      return headerBytes(req, url) > MAX_HEADER_BYTES / 2 ? undefined : `a 431 for ${headerBytes(req, url)} bytes of headers`
    default:
      return `status ${status}: ${body.subarray(0, 200).toString()}`
  }
}

// About 10-15 s alone on 2 cores; room for a loaded machine past tap's 30 s per file.
t.setTimeout(120_000)

t.test(`fuzz: ${RUNS} random requests (fast-check seed ${SEED})`, async t => {
  t.comment(`fast-check seed ${SEED}: rerun with FUZZ_SEED=${SEED}`)
  const base = await startSite(t, { injection: injectionOf({ latency: '0ms', 'max-latency': `${MAX_LATENCY_MS}ms` }) })
  const outside: Array<[string, Buffer]> = [['package.json', await readFile(join(defaultFlagsDir(), '..', 'package.json'))]]
  try {
    outside.push(['/etc/passwd', await readFile('/etc/passwd')])
  } catch {}
  const pool = new Pool(base, { connections: 4, headersTimeout: CLIENT_TIMEOUT_MS, bodyTimeout: CLIENT_TIMEOUT_MS })
  t.teardown(async () => await pool.destroy())

  const etags = new Map<string, string>()
  for (const cc of ['br', 'cn', 'in', 'us', 'jp']) {
    for (const file of [`${cc}.gif`, 'metadata.json']) {
      const res = await pool.request({ method: 'GET', path: `/flags/${cc}/${file}` })
      await res.body.dump()
      etags.set(`/flags/${cc}/${file}`, String(res.headers.etag))
    }
  }

  const counts = new Map<string, number>()
  const count = (key: string): void => { counts.set(key, (counts.get(key) ?? 0) + 1) }
  const started = performance.now()

  const property = fc.asyncProperty(fuzzRequest, async req => {
    const url = target(req)
    const wants = asked(req)
    const sent = req.headers['if-none-match'] === ETAG ? { ...req.headers, 'if-none-match': etags.get(req.path) ?? '' } : req.headers
    let seen: Seen
    try {
      const res = await pool.request({ method: 'GET', path: url, headers: sent })
      seen = { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) }
    } catch (error) {
      const code = (error as { code?: string }).code ?? String(error)
      count(`error ${code}`)
      if (!wants.connectionFaults) throw new Error(`${url}: ${code} though no reset, hang or truncation was asked for`)
      return
    }
    count(String(seen.status))
    const why = unexpected(req, url, seen, wants)
    if (why !== undefined) throw new Error(`${url} ${JSON.stringify(req.headers).slice(0, 300)}: ${why}`)
    for (const [name, content] of outside) {
      if (seen.body.includes(content)) throw new Error(`${url}: the answer holds ${name}`)
    }
  })
  await fc.assert(property, { seed: SEED, numRuns: RUNS })
  const seconds = (performance.now() - started) / 1000
  t.comment(`${RUNS} requests in ${seconds.toFixed(1)} s: ${[...counts].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}`)
  t.pass(`${RUNS} random requests, every answer a documented one`)

  const health = await pool.request({ method: 'GET', path: '/healthz' })
  t.equal(health.statusCode, 200, 'the server still answers /healthz')
  t.same(await health.body.json(), { status: 'ok', site: 'TEST', seed: 42 })
})

/** A pipelined batch: tame requests for distinct flags' metadata, all written at once on one raw connection. */
interface Batch {
  requests: Array<{ cc: string, option: readonly [string, string] | undefined }>
  /** The client leaves after this many ms, or waits for the server to finish (null). */
  leaveAfterMs: number | null
  /** The client never reads its answers (it leaves after leaveAfterMs, or 30 ms): they are still counted in flight until written, then released. */
  stopsReading: boolean
}

const PIPELINE_CODES = ['br', 'cn', 'in', 'us', 'id', 'pk', 'ng', 'bd', 'ru', 'mx', 'jp', 'et', 'ph', 'eg']
const batch: fc.Arbitrary<Batch> = fc.record({
  requests: fc.array(fc.option(validOption, { nil: undefined }), { minLength: 1, maxLength: PIPELINE_CODES.length })
    .map(options => options.map((option, i) => ({ cc: PIPELINE_CODES[i] ?? 'br', option }))),
  leaveAfterMs: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
  stopsReading: fc.boolean()
})

async function inFlight (base: string): Promise<number> {
  const text = await (await request(`${base}/metrics`)).body.text()
  return Number(/^flags_requests_in_flight (\d+)$/m.exec(text)?.[1])
}

t.test('fuzz: pipelined batches on raw connections (fast-check seed ' + String(SEED) + ')', async t => {
  const base = await startSite(t, { injection: injectionOf({ latency: '0ms', 'max-latency': `${MAX_LATENCY_MS}ms` }) })
  const { port } = new URL(base)
  const property = fc.asyncProperty(batch, async ({ requests, leaveAfterMs, stopsReading }) => {
    const socket = connect(Number(port), '127.0.0.1')
    socket.on('error', () => {})
    // A paused socket never sees the server's close: that client leaves on its own.
    if (stopsReading) socket.pause()
    const leaveMs = stopsReading ? leaveAfterMs ?? 30 : leaveAfterMs
    let text = ''
    socket.on('data', chunk => { text += chunk.toString('latin1') })
    const closed = new Promise(resolve => socket.once('close', resolve))
    await new Promise(resolve => socket.once('connect', resolve))
    socket.write(requests.map(({ cc, option }, i) => {
      const query = option === undefined ? '' : `?${option[0]}=${encodeURIComponent(option[1])}`
      return `GET /flags/${cc}/metadata.json${query} HTTP/1.1\r\nHost: x\r\n${i === requests.length - 1 ? 'Connection: close\r\n' : ''}\r\n`
    }).join(''))
    const leaving = leaveMs === null ? null : setTimeout(() => socket.destroy(), leaveMs)
    // The server ends every batch: the last request says Connection: close, a fault or the cap
    // cuts it sooner, and every delay, hang and slow body is over by max-latency.
    await closed
    clearTimeout(leaving ?? undefined)
    // Answers come in the order asked, none twice: the codes seen are the codes sent, in order,
    // with gaps only where a fault cut an answer or the connection went.
    const seen = [...text.matchAll(/"iso_cc": ?"(\w+)"/g)].map(match => match[1]?.toLowerCase() ?? '')
    const positions = seen.map(cc => requests.findIndex(r => r.cc === cc))
    if (positions.some((at, i) => at === -1 || (i > 0 && at <= (positions[i - 1] ?? -1)))) throw new Error(`answers out of order: sent ${requests.map(r => r.cc).join(',')}, seen ${seen.join(',')}`)
    if (requests.length > MAX_OPEN_PER_CONNECTION && leaveAfterMs === null && seen.length >= requests.length) throw new Error(`${requests.length} pipelined requests all answered: the cap of ${MAX_OPEN_PER_CONNECTION} did not hold`)
    // Nothing the batch held is left: only the /metrics request that reads it is in flight.
    while (await inFlight(base) !== 1) await new Promise(resolve => setTimeout(resolve, 10))
  })
  await fc.assert(property, { seed: SEED, numRuns: 400 })
  t.pass('400 pipelined batches, some never read: answers in order, the cap held, nothing left in flight')
})
