// The small edges a hostile client found (issue 23, point 4), and cross-site requests (point 5).
// Each case failed before its fix; each says what it got then.

import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { projectRoot } from '../../server/contract/project.js'
import { projectFlags, startSite } from '../fixtures/site.js'

/** Everything a raw socket receives for `payload`, until the server closes or the client gives up after `ms`. */
async function exchange (base: string, payload: string, ms = 3000): Promise<string> {
  const url = new URL(base)
  const socket = connect(Number(url.port), url.hostname, () => socket.write(payload))
  socket.on('error', () => {})
  let text = ''
  socket.on('data', chunk => { text += chunk.toString('latin1') })
  const giveUp = setTimeout(() => socket.destroy(), ms)
  await new Promise(resolve => socket.once('close', resolve))
  clearTimeout(giveUp)
  return text
}

function bodyOf (text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
}

t.test('a truncate fault on a 304 sends the 304 (before: nothing at all)', async t => {
  const base = await startSite(t)
  const etag = (await projectFlags()).files.get('br/br.gif')?.etag ?? 'no etag'
  const res = await request(`${base}/flags/br/br.gif?truncate-rate=1`, { headers: { 'if-none-match': etag } })
  t.equal(res.statusCode, 304, 'Not Modified, headers in full')
  t.equal((await res.body.arrayBuffer()).byteLength, 0, 'no body, as a 304 has none')
})

t.test('a header override named x-flags-__proto__ is an unknown option: 400 (before: silently ignored, 200)', async t => {
  const base = await startSite(t)
  const res = await request(`${base}/flags/br/br.gif`, { headers: { 'x-flags-__proto__': '1' } })
  t.equal(res.statusCode, 400)
  t.match(await res.body.json(), { error: /^unknown option header x-flags-__proto__; accepted: / })
})

t.test('HTTP/1.1 without Host: 400 with a JSON body (before: Node\'s empty 400)', async t => {
  const base = await startSite(t)
  const text = await exchange(base, 'GET /healthz HTTP/1.1\r\n\r\n')
  t.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.same(bodyOf(text), { error: 'Bad Request', message: 'HTTP/1.1 requires a Host header (RFC 9112 3.2)', statusCode: 400 })
  // HTTP/1.0 has no Host requirement.
  t.match(await exchange(base, 'GET /healthz HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /, 'HTTP/1.0 without Host is served')
})

t.test('an absolute-form target does not get past the Host check: 400 (before: the admin config, 200)', async t => {
  const base = await startSite(t)
  const text = await exchange(base, 'GET http://evil.com/admin/config HTTP/1.1\r\nHost: localhost\r\n\r\n')
  t.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.same(bodyOf(text), { error: 'Bad Request', message: 'the request target must be a path: this server is not a proxy', statusCode: 400 })
})

t.test('a 1 MiB invalid admin value: a short 400 that names the option (before: the value echoed whole, 1 MiB)', async t => {
  const base = await startSite(t)
  // 1,000,000 x, within Fastify's 1 MiB body limit.
  const value = 'x'.repeat(1_000_000)
  const res = await request(`${base}/admin/config`, { method: 'PUT', headers: { 'content-type': 'application/json', host: 'localhost' }, body: JSON.stringify({ latency: value }) })
  t.equal(res.statusCode, 400)
  const text = await res.body.text()
  // The echo: a quote and the first 299 x of JSON.stringify(value), then "… (1000002 characters)";
  // the whole body stays under 1,000 bytes.
  t.ok(text.length < 1000, `the answer is ${text.length} bytes`)
  t.match(text, /latency: invalid value \\"x{299}… \(1000002 characters\); accepted: /, 'the value cut at 300 characters, its length said')
})

t.test('overrides on a cross-site browser request are refused: 403 (before: any page could set ?hang-rate=1)', async t => {
  const base = await startSite(t)
  const cross = await request(`${base}/flags/br/br.gif?hang-rate=1`, { headers: { 'sec-fetch-site': 'cross-site' } })
  t.equal(cross.statusCode, 403)
  t.same(await cross.body.json(), { error: 'overrides are refused on cross-site requests (Sec-Fetch-Site: cross-site)' })
  const plain = await request(`${base}/flags/br/br.gif`, { headers: { 'sec-fetch-site': 'cross-site' } })
  t.equal(plain.statusCode, 200, 'a cross-site request without overrides is served')
  await plain.body.dump()
  for (const site of ['same-site', 'same-origin', 'none']) {
    const res = await request(`${base}/flags/br/br.gif?latency=1ms`, { headers: { 'sec-fetch-site': site } })
    t.equal(res.statusCode, 200, `Sec-Fetch-Site: ${site} may override (the lab's pages on localhost)`)
    await res.body.dump()
  }
})

t.test('under ulimit -n 100 the compiled server starts (before: "flags/mu should hold mu.gif…" where the truth was EMFILE)', { timeout: 30_000 }, async t => {
  const main = join(projectRoot(), 'dist', 'server', 'main.js')
  // A shell sets the limit for the server alone; 100 is under the 388 flag files read at once before.
  const child = spawn('sh', ['-c', 'ulimit -n 100 && exec "$0" "$@"', process.execPath, main, '--port', '0', '--host', '127.0.0.1', '--log', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  let out = ''
  child.stdout.on('data', chunk => { out += String(chunk) })
  child.stderr.on('data', chunk => { out += String(chunk) })
  const ended = new Promise(resolve => child.once('close', resolve))
  while (!out.includes('Ctrl-C stops it') && child.exitCode === null) await Promise.race([ended, new Promise(resolve => setTimeout(resolve, 50))])
  t.match(out, /^flag server: 194 flags/m, `started (${out.split('\n')[0] ?? ''})`)
  child.kill('SIGTERM')
  await ended
})
