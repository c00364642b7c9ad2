import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { formatInjection, NO_INJECTION } from '../../server/contract/injection.js'
import { BOOK_SITES } from '../../server/contract/sites.js'
import { fate } from '../../server/fate.js'
import { defaultFlagsDir } from '../../server/contract/project.js'
import { injectionOf, projectFlags, startSite } from '../fixtures/site.js'

async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }> {
  const res = await request(url, { headers })
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) }
}

async function json (url: string, init: { method?: 'GET' | 'PUT' | 'PATCH', body?: unknown, headers?: Record<string, string> } = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body)
  })
  return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
}

t.test('routes and statuses', async t => {
  const base = await startSite(t, { name: 'LOCAL', seed: 5 })
  t.same((await json(`${base}/healthz`)).body, { status: 'ok', site: 'LOCAL', seed: 5 }, '/healthz names the site and seed')

  const list = await json(`${base}/flags`)
  t.equal(list.status, 200)
  t.equal((list.body.codes as string[]).length, 194, '/flags lists the 194 codes')
  t.ok((list.body.codes as string[]).includes('BR'), 'codes are upper case, as the book types them')

  const gif = await get(`${base}/flags/br/br.gif`)
  t.equal(gif.status, 200)
  t.equal(gif.headers['content-type'], 'image/gif')
  t.equal(Number(gif.headers['content-length']), gif.body.length, 'Content-Length is the body length')
  t.match(gif.headers.etag, /^"[\w-]+"$/, 'a strong ETag')
  t.equal(gif.body.subarray(0, 6).toString(), 'GIF89a')
  t.equal(gif.headers['server-timing'], 'delay;dur=0, fault;desc="none"', 'Server-Timing reports no delay and no fault')

  const metadata = await json(`${base}/flags/br/metadata.json`)
  t.same(Object.keys(metadata.body).sort(), ['country', 'gec_cc', 'iso_cc', 'tld_cc'])
  t.equal(metadata.body.iso_cc, 'BR')

  const notModified = await get(`${base}/flags/br/br.gif`, { 'if-none-match': String(gif.headers.etag) })
  t.equal(notModified.status, 304, 'a matching If-None-Match gets 304')
  t.equal(notModified.body.length, 0)
  t.equal(notModified.headers['content-length'], undefined, 'no Content-Length on a 304 (it would have to be the 200\'s)')
  t.equal(notModified.headers.etag, gif.headers.etag)
  // RFC 9110 13.1.2: a list, weak comparison (W/ on either side), or *.
  for (const header of [`"other", ${String(gif.headers.etag)}`, `W/${String(gif.headers.etag)}`, '*', ` ${String(gif.headers.etag)} ,"x"`]) {
    t.equal((await get(`${base}/flags/br/br.gif`, { 'if-none-match': header })).status, 304, `If-None-Match: ${header} is 304`)
  }
  for (const header of ['"other"', '"other", W/"nope"', '', String(gif.headers.etag).slice(0, -2) + '"']) {
    t.equal((await get(`${base}/flags/br/br.gif`, { 'if-none-match': header })).status, 200, `If-None-Match: ${header} is 200`)
  }

  for (const path of ['/flags/xx/xx.gif', '/flags/br/br.png', '/flags/br/xx.gif', '/flags/BR/BR.gif', '/nope', '/flags/br/br.gif/extra']) {
    const missing = await json(`${base}${path}`)
    t.equal(missing.status, 404, `${path} is 404`)
    t.equal(missing.body.error, 'not found', `${path} has a small JSON body`)
  }
  const trailing = await get(`${base}/flags/`)
  t.equal(trailing.status, 200, '/flags/ is /flags')
})

t.test('all 194 flags are byte-equal to their files', async t => {
  const base = await startSite(t)
  const { codes } = await projectFlags()
  t.equal(codes.length, 194)
  for (const cc of codes.map(c => c.toLowerCase())) {
    for (const file of [`${cc}.gif`, 'metadata.json']) {
      const served = await get(`${base}/flags/${cc}/${file}`)
      const onDisk = await readFile(join(defaultFlagsDir(), cc, file))
      if (!served.body.equals(onDisk)) t.fail(`${cc}/${file} differs from its file`)
    }
  }
  t.pass('every file served as it is on disk')
})

t.test('path traversal never serves anything outside flags/', async t => {
  const base = await startSite(t)
  const packageJson = await readFile(join(defaultFlagsDir(), '..', 'package.json'), 'utf8')
  const attempts = [
    '/flags/../package.json', '/flags/..%2f..%2fpackage.json', '/flags/%2e%2e/%2e%2e/package.json', '/flags/br/..%2fbr.gif',
    '/flags/br/%2e%2e%2f%2e%2e%2fpackage.json', '/flags/%252e%252e/%252e%252e%252fpackage.json', '/flags/..\\..\\package.json',
    '/flags/br/..%5c..%5cpackage.json', '/flags/br/br.gif%00.json', '/flags/%2e%2e%2f%2e%2e%2fpackage.json/x', '//package.json',
    '/flags/br%2fbr.gif'
  ]
  for (const path of attempts) {
    const res = await request(`${base}${path}`)
    const body = await res.body.text()
    t.ok(res.statusCode === 404 || res.statusCode === 400, `${path} → ${res.statusCode}`)
    t.notOk(body.includes(packageJson.slice(0, 40)), `${path} serves no project file`)
  }
})

t.test('each fault kind is seen by a real client', async t => {
  const base = await startSite(t, { injection: injectionOf({ 'max-latency': '20s' }) })
  const gifPath = '/flags/br/br.gif'
  const full = (await get(`${base}${gifPath}`)).body

  await t.rejects(request(`${base}${gifPath}?reset-rate=1`), { code: /^(ECONNRESET|UND_ERR_SOCKET)$/ }, 'reset: the connection is reset, no answer')

  const hung = request(`${base}${gifPath}?hang-rate=1`, { headersTimeout: 300 })
  await t.rejects(hung, { code: 'UND_ERR_HEADERS_TIMEOUT' }, 'hang: no answer, the client gives up')

  const truncated = await request(`${base}${gifPath}?truncate-rate=1`)
  t.equal(truncated.statusCode, 200, 'truncate: the headers arrive')
  t.equal(Number(truncated.headers['content-length']), full.length, 'truncate: Content-Length promises the whole body')
  t.equal(truncated.headers['server-timing'], 'delay;dur=0, fault;desc="truncate"')
  await t.rejects(truncated.body.arrayBuffer(), 'truncate: reading the body fails')

  const bps = 10_000
  const started = performance.now()
  const slow = await request(`${base}${gifPath}?slow-rate=1&slow-bps=${bps}`)
  let chunks = 0
  const parts: Buffer[] = []
  for await (const chunk of slow.body) {
    chunks++
    parts.push(chunk as Buffer)
  }
  const elapsed = performance.now() - started
  t.ok(Buffer.concat(parts).equals(full), 'slow: the whole body arrives, intact')
  t.ok(chunks > 1, `slow: in ${chunks} chunks`)
  // At bps bytes per second a body of n bytes takes at least (n / bps) s, less one 100 ms tick.
  const least = full.length / bps * 1000 - 100
  t.ok(elapsed >= least, `slow: took ${elapsed.toFixed(0)} ms, at least ${least.toFixed(0)} ms`)

  const teapot = await get(`${base}${gifPath}?error-rate=1`)
  t.equal(teapot.status, 418, 'error-rate alone answers 418, as the book')
  t.equal(teapot.headers['server-timing'], 'delay;dur=0, fault;desc="http-418"')
  t.equal((await get(`${base}${gifPath}?error-rate=503:1`)).status, 503, 'a listed status')
})

t.test('a slow body is sped up to end by --max-latency', async t => {
  const base = await startSite(t, { injection: injectionOf({ 'max-latency': '300ms', 'slow-rate': '1', 'slow-bps': '1' }) })
  const res = await request(`${base}/flags/br/br.gif`, { bodyTimeout: 5000 })
  const body = Buffer.from(await res.body.arrayBuffer())
  t.equal(body.length, Number(res.headers['content-length']), 'the whole body arrives though 1 B/s would take an hour')
})

t.test('delays: the Server-Timing value is the injected delay', async t => {
  const base = await startSite(t, { seed: 9, injection: injectionOf({ latency: '20ms..60ms' }) })
  for (const cc of ['br', 'cn', 'in']) {
    const path = `/flags/${cc}/${cc}.gif`
    const started = performance.now()
    const res = await get(`${base}${path}`)
    const elapsed = performance.now() - started
    const expected = fate(9, path, '', injectionOf({ latency: '20ms..60ms' })).delayMs
    const dur = Number(/dur=([\d.]+)/.exec(String(res.headers['server-timing']))?.[1])
    t.equal(dur, Number(expected.toFixed(3)), `${path}: Server-Timing says the predicted delay`)
    t.ok(elapsed >= Math.floor(dur), `${path}: waited at least ${dur} ms (${elapsed.toFixed(1)})`)
  }
})

t.test('fates are reproducible across instances, order and concurrency', async t => {
  const injection = injectionOf({ latency: 'lognormal:2ms,0.8', 'max-latency': '20ms', 'error-rate': '500:0.15,503:0.1', 'reset-rate': '0.05', 'truncate-rate': '0.05' })
  const { codes } = await projectFlags()
  const paths = codes.flatMap(cc => [`/flags/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`, `/flags/${cc.toLowerCase()}/metadata.json`])

  /** What a client sees of a fate: the Server-Timing header, or "reset" when the connection dies first. */
  const observe = async (base: string, path: string, salt?: string): Promise<string> => {
    try {
      const res = await request(`${base}${path}`, { headers: salt === undefined ? {} : { 'x-flags-salt': salt } })
      await res.body.arrayBuffer().catch(() => undefined)
      return String(res.headers['server-timing'])
    } catch {
      return 'reset'
    }
  }
  const predicted = (seed: number, path: string, salt = ''): string => {
    const f = fate(seed, path, salt, injection)
    return f.fault.kind === 'reset' ? 'reset' : `delay;dur=${Number(f.delayMs.toFixed(3))}, fault;desc="${f.fault.kind === 'http' ? `http-${f.fault.status}` : f.fault.kind}"`
  }
  const run = async (base: string, order: string[], concurrency: number): Promise<Map<string, string>> => {
    const seen = new Map<string, string>()
    const queue = [...order]
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) seen.set(path, await observe(base, path))
    }))
    return seen
  }
  // A fixed shuffle (a linear congruential sequence), so the test itself is reproducible.
  let state = 12345
  const shuffled = [...paths].sort(() => { state = (state * 1103515245 + 12345) % 2 ** 31; return state / 2 ** 31 - 0.5 })

  const first = await run(await startSite(t, { seed: 77, injection }), paths, 1)
  const second = await run(await startSite(t, { seed: 77, injection }), shuffled, 25)
  const other = await run(await startSite(t, { seed: 78, injection }), paths, 8)
  t.equal(first.size, paths.length)
  t.same(Object.fromEntries(second), Object.fromEntries(first), 'same seed, another instance, shuffled, 25 at once: identical fates')
  t.same(Object.fromEntries(first), Object.fromEntries(paths.map(p => [p, predicted(77, p)])), 'every fate is the one the pure function predicts')
  const faults = [...first.values()].filter(v => !v.endsWith('desc="none"')).length
  t.ok(faults > 40 && faults < 160, `faults drawn at about the configured rate (${faults} of ${paths.length})`)
  const changed = paths.filter(p => other.get(p) !== first.get(p)).length
  t.ok(changed > paths.length * 0.9, `another seed changes most fates (${changed} of ${paths.length})`)

  const salted = await startSite(t, { seed: 77, injection })
  const withSalt = await Promise.all(paths.slice(0, 60).map(async p => [p, await observe(salted, p, 'pupil-7')] as const))
  t.same(Object.fromEntries(withSalt), Object.fromEntries(paths.slice(0, 60).map(p => [p, predicted(77, p, 'pupil-7')])), 'a salted request gets the salted fate')
})

t.test('per-request overrides', async t => {
  const base = await startSite(t, { injection: injectionOf({ 'max-latency': '250ms' }) })
  const timing = async (url: string, headers: Record<string, string> = {}): Promise<string | string[] | undefined> => (await get(url, headers)).headers['server-timing']
  t.equal(await timing(`${base}/flags/br/br.gif?latency=50ms`), 'delay;dur=50, fault;desc="none"', 'a query parameter sets the latency')
  t.equal(await timing(`${base}/flags/br/br.gif`, { 'x-flags-latency': '30ms' }), 'delay;dur=30, fault;desc="none"', 'so does an x-flags-* header')
  t.equal(await timing(`${base}/flags/br/br.gif?latency=50ms`, { 'x-flags-latency': '30ms' }), 'delay;dur=30, fault;desc="none"', 'the header wins over the query')
  t.equal(await timing(`${base}/flags/br/br.gif?latency=10m`), 'delay;dur=250, fault;desc="none"', 'an override is capped by the server\'s --max-latency')

  const cap = await json(`${base}/flags/br/br.gif?max-latency=1h`)
  t.equal(cap.status, 400, 'max-latency cannot be overridden')
  t.match(cap.body.error, /^unknown option query parameter max-latency; accepted: query parameter latency, /)
  const bad = await json(`${base}/flags/br/br.gif`, { headers: { 'x-flags-error-rate': '2' } })
  t.equal(bad.status, 400)
  t.match(bad.body.error, /^header x-flags-error-rate: invalid value "2"; accepted: a number from 0 to 1/, 'a bad override names the header and what is accepted')
  t.equal((await json(`${base}/flags/br/br.gif?cachebuster=1`)).status, 400, 'an unknown query parameter is refused, not ignored')

  const closed = await startSite(t, { overrides: false })
  const refused = await json(`${closed}/flags/br/br.gif?latency=1s`)
  t.equal(refused.status, 403, 'overrides off: 403')
  t.match(refused.body.error, /overrides are off/)
  t.equal((await get(`${closed}/flags/br/br.gif`, { 'x-flags-salt': 'a' })).status, 200, 'the salt is not an override')
})

t.test('admin API', async t => {
  const base = await startSite(t, { injection: BOOK_SITES.error.injection })
  const url = `${base}/admin/config`
  t.same((await json(url)).body, formatInjection(BOOK_SITES.error.injection), 'GET shows the config in force')

  const patched = await json(url, { method: 'PATCH', body: { latency: '100ms' } })
  t.equal(patched.status, 200)
  t.equal(patched.body.latency, '100ms', 'PATCH changes what it names')
  t.equal(patched.body['error-rate'], '418:0.25', 'PATCH keeps the rest')
  t.equal((await get(`${base}/flags/cn/cn.gif?error-rate=0`)).headers['server-timing'], 'delay;dur=100, fault;desc="none"', 'requests see the new config')

  const put = await json(url, { method: 'PUT', body: { latency: '10ms' } })
  t.same(put.body, { ...formatInjection(NO_INJECTION), latency: '10ms' }, 'PUT replaces: what it leaves out is no injection')

  const bad = await json(url, { method: 'PUT', body: { latency: '10ms', 'reset-rate': 'lots' } })
  t.equal(bad.status, 400)
  t.match(bad.body.error, /^reset-rate: invalid value "lots"; accepted: /)
  t.equal((await json(url)).body.latency, '10ms', 'a refused config leaves the old one in force')
  t.equal((await json(url, { method: 'PUT', body: ['latency'] })).status, 400, 'a body that is not an object is refused')
  t.equal((await json(url, { method: 'PATCH', body: { 'no-such': 1 } })).status, 400, 'an unknown key is refused')

  const guarded = await startSite(t, { admin: { enabled: true, token: 's3cret' } })
  t.equal((await json(`${guarded}/admin/config`)).status, 401, 'no token: 401')
  t.equal((await json(`${guarded}/admin/config`, { headers: { authorization: 'Bearer wrong!' } })).status, 401, 'a wrong token: 401')
  t.equal((await json(`${guarded}/admin/config`, { headers: { authorization: 'Bearer s3cret' } })).status, 200, 'the token: 200')

  const off = await startSite(t, { admin: { enabled: false } })
  t.equal((await json(`${off}/admin/config`)).status, 404, 'admin off: there is no such route')
})

t.test('metrics', async t => {
  const base = await startSite(t, { injection: injectionOf({ latency: '10ms' }) })
  await get(`${base}/flags/br/br.gif`)
  await get(`${base}/flags/zz/zz.gif`)
  await get(`${base}/flags/br/br.gif?error-rate=500:1`)
  await request(`${base}/flags/br/br.gif?reset-rate=1`).catch(() => undefined)
  const text = (await get(`${base}/metrics`)).body.toString()
  t.match(text, /^flags_requests_total\{route="\/flags\/:cc\/:file",status="200"\} 1$/m, 'requests by route and status')
  t.match(text, /^flags_requests_total\{route="\/flags\/:cc\/:file",status="404"\} 1$/m)
  t.match(text, /^flags_requests_total\{route="\/flags\/:cc\/:file",status="500"\} 1$/m)
  t.match(text, /^flags_requests_total\{route="\/flags\/:cc\/:file",status="none"\} 1$/m, 'a reset has no status')
  t.match(text, /^flags_faults_injected_total\{kind="http-500"\} 1$/m, 'faults by kind')
  t.match(text, /^flags_faults_injected_total\{kind="reset"\} 1$/m)
  t.match(text, /^flags_injected_delay_seconds_bucket\{le="0\.05"\} 4$/m, 'the delay histogram')
  t.match(text, /^flags_injected_delay_seconds_count 4$/m)
  t.match(text, /^flags_requests_in_flight 1$/m, 'in flight: only this /metrics request')
})

t.test('a client that leaves during the delay is cleaned up', async t => {
  const base = await startSite(t, { injection: injectionOf({ latency: '10s' }) })
  const controller = new AbortController()
  const pending = request(`${base}/flags/br/br.gif`, { signal: controller.signal })
  // Wait until the server holds the request, then leave.
  for (let text = ''; !/flags_requests_in_flight 2/.test(text);) text = (await get(`${base}/metrics`)).body.toString()
  controller.abort()
  await t.rejects(pending)
  let metrics = ''
  for (let i = 0; i < 200 && !/flags_requests_in_flight 1$/m.test(metrics); i++) metrics = (await get(`${base}/metrics`)).body.toString()
  t.match(metrics, /^flags_requests_in_flight 1$/m, 'the aborted request is no longer in flight')
  t.match(metrics, /status="none"\} 1$/m, 'and is counted as unanswered')
})

t.test('hung requests are capped: past --max-hung, a 503 with the reason', async t => {
  const base = await startSite(t, { maxHung: 2, injection: injectionOf({ 'max-latency': '20s' }) })
  const held = [new AbortController(), new AbortController()]
  const hanging = held.map(async (controller, i) => await request(`${base}/flags/br/br.gif?hang-rate=1`, { signal: controller.signal, headers: { 'x-flags-salt': String(i) } }).catch(() => 'cut'))
  // Wait until the server holds both, by its own count.
  for (let text = ''; !/faults_injected_total\{kind="hang"\} 2/.test(text);) text = (await get(`${base}/metrics`)).body.toString()
  const refused = await json(`${base}/flags/cn/cn.gif?hang-rate=1`)
  t.equal(refused.status, 503, 'a third hang is refused')
  t.match(refused.body.error, /^too many hung requests: 2 at once at most \(--max-hung\)$/)
  t.match((await get(`${base}/metrics`)).body.toString(), /^flags_faults_injected_total\{kind="hang-refused"\} 1$/m, 'and counted')
  for (const controller of held) controller.abort()
  t.same(await Promise.all(hanging), ['cut', 'cut'])
  // Once the clients are gone (the server sees both closes), their slots are free again.
  for (let i = 0; i < 200; i++) {
    const text = (await get(`${base}/metrics`)).body.toString()
    if (/flags_requests_in_flight 1$/m.test(text)) break
  }
  const probe = request(`${base}/flags/in/in.gif?hang-rate=1`, { headersTimeout: 100 })
  await t.rejects(probe, { code: 'UND_ERR_HEADERS_TIMEOUT' }, 'a hang is accepted again once the slots are free')
  t.match((await get(`${base}/metrics`)).body.toString(), /^flags_faults_injected_total\{kind="hang-refused"\} 1$/m, 'no further refusal')
})
