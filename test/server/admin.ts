// The admin API against hostile clients (issue 14): it cannot raise a cap the command line set,
// a loopback site answers it only under its own names (DNS rebinding), and the bearer scheme is
// read as RFC 9110 reads it, in any case.

import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { buildServer } from '../../server/app.js'
import { formatInjection, NO_INJECTION } from '../../server/contract/injection.js'
import type { SiteConfig } from '../../server/site.js'
import { injectionOf, projectFlags } from '../fixtures/site.js'

interface Answer { status: number, body: Record<string, unknown> }

/** A site bound on `host`, port 0, closed when the test ends; its port. */
async function start (t: Test, host: string, site: Partial<SiteConfig> = {}): Promise<number> {
  const config: SiteConfig = { name: 'TEST', seed: 1, injection: NO_INJECTION, overrides: true, maxHung: 10, admin: { enabled: true, token: undefined }, ...site }
  const app = buildServer(config, await projectFlags())
  await app.listen({ host, port: 0 })
  t.teardown(async () => {
    const closing = app.close()
    app.server.closeAllConnections()
    await closing
  })
  return (app.server.address() as AddressInfo).port
}

interface Call { method?: string, path?: string, host?: string, headers?: Record<string, string>, body?: unknown }

/** One request over 127.0.0.1, with any Host header (node:http sends the one it is given). */
async function call (port: number, { method = 'GET', path = '/admin/config', host = `127.0.0.1:${port}`, headers = {}, body }: Call = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return await new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method,
      path,
      headers: { host, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers }
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

t.test('the admin API cannot raise the site\'s --max-latency', async t => {
  const port = await start(t, '127.0.0.1', { injection: injectionOf({ latency: '100ms', 'max-latency': '2s' }) })
  t.equal((await call(port)).body['max-latency'], '2s', 'GET shows the cap')

  const put = await call(port, { method: 'PUT', body: { latency: '10ms' } })
  t.equal(put.status, 200)
  t.same(put.body, { ...formatInjection(NO_INJECTION), latency: '10ms', 'max-latency': '2s' }, 'PUT starts from no injection, but keeps the site\'s max-latency')

  for (const method of ['PUT', 'PATCH']) {
    const raised = await call(port, { method, body: { latency: '1s', 'max-latency': '1m' } })
    t.equal(raised.status, 400, `${method} above the cap: 400`)
    t.equal(raised.body.error, 'max-latency: 1m is above this server\'s cap of 2s (--max-latency); accepted: at most 2s', `${method}: one line naming the option and the cap`)
    t.same((await call(port)).body, put.body, `${method}: the config in force is unchanged`)
  }

  const lowered = await call(port, { method: 'PATCH', body: { 'max-latency': '500ms' } })
  t.same([lowered.status, lowered.body['max-latency']], [200, '500ms'], 'lowering is allowed')
  const back = await call(port, { method: 'PATCH', body: { 'max-latency': '2s' } })
  t.same([back.status, back.body['max-latency']], [200, '2s'], 'and raising back up to the cap')
  t.equal((await call(port, { method: 'PATCH', body: { 'max-latency': '2.001s' } })).status, 400, 'a hair above the cap is refused')

  const hung = await call(port, { method: 'PATCH', body: { 'max-hung': 5 } })
  t.equal(hung.status, 400, 'max-hung is not the admin API\'s to set')
  t.match(hung.body.error, /^unknown option max-hung; accepted: latency, /)
})

t.test('the default cap: a site started without --max-latency keeps its 30s', async t => {
  const port = await start(t, '127.0.0.1')
  t.equal((await call(port, { method: 'PATCH', body: { 'max-latency': '31s' } })).status, 400)
  t.equal((await call(port, { method: 'PUT', body: { 'max-latency': '10s' } })).body['max-latency'], '10s')
  t.equal((await call(port, { method: 'PUT', body: {} })).body['max-latency'], '30s', 'PUT with nothing goes back to the cap')
})

t.test('a loopback site answers admin requests only under its own names', async t => {
  const port = await start(t, '127.0.0.1')
  for (const host of ['localhost', `localhost:${port}`, 'LocalHost:1', '127.0.0.1', `127.0.0.1:${port}`, '[::1]', `[::1]:${port}`, '::1']) {
    t.equal((await call(port, { host })).status, 200, `Host ${host}: 200`)
  }
  for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.nip.io:80', 'localhost@evil.example', '127.0.0.2', '[::2]:80', '0.0.0.0']) {
    const refused = await call(port, { host })
    t.equal(refused.status, 403, `Host ${host}: 403`)
    t.equal(refused.body.error, `admin API: Host ${JSON.stringify(host)} is not this server's; on a loopback bind, /admin/config answers only localhost, 127.0.0.1 or [::1] (against DNS rebinding)`, `Host ${host}: one line naming it`)
  }
  const rebound = await call(port, { method: 'PUT', host: 'evil.example', body: { 'error-rate': '1' } })
  t.equal(rebound.status, 403, 'a rebound PUT is refused')
  t.equal((await call(port)).body['error-rate'], '0', 'and changes nothing')
  t.equal((await call(port, { path: '/healthz', host: 'evil.example' })).status, 200, 'other routes do not look at Host')

  // HTTP/1.0 needs no Host: a request without one is no more this server's.
  const bare = await new Promise<string>(resolve => {
    const socket = connect(port, '127.0.0.1', () => socket.end('GET /admin/config HTTP/1.0\r\n\r\n'))
    const chunks: Buffer[] = []
    socket.on('data', chunk => chunks.push(chunk))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
  })
  t.match(bare, /^HTTP\/1\.1 403 /, 'no Host: 403')
  t.match(bare, /"admin API: no Host header; on a loopback bind/)

  const guarded = await start(t, '127.0.0.1', { admin: { enabled: true, token: 's3cret' } })
  t.equal((await call(guarded, { host: 'evil.example', headers: { authorization: 'Bearer s3cret' } })).status, 403, 'with a token too')
  t.equal((await call(guarded, { host: 'localhost', headers: { authorization: 'Bearer s3cret' } })).status, 200)
})

t.test('a loopback site bound on another 127.x address answers under that address too', async t => {
  // Linux routes all of 127/8 to the loopback; elsewhere only 127.0.0.1 may exist.
  const second = await start(t, '127.0.0.2').catch(() => undefined)
  if (second === undefined) {
    t.pass('no 127.0.0.2 here')
    return
  }
  const viaSecond = async (host: string): Promise<number> => await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.2', port: second, path: '/admin/config', headers: { host } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(await viaSecond(`127.0.0.2:${second}`), 200, 'the bound address is a name of this server')
  t.equal(await viaSecond('localhost'), 200)
  t.equal(await viaSecond('127.0.0.3'), 403, 'another loopback address is not')
})

t.test('a non-loopback bind (admin only with a token) does not look at Host', async t => {
  const port = await start(t, '0.0.0.0', { admin: { enabled: true, token: 's3cret' } })
  const named = await call(port, { host: 'flags.example.org:8000', headers: { authorization: 'Bearer s3cret' } })
  t.equal(named.status, 200, 'any Host, with the token')
  t.equal((await call(port, { host: 'flags.example.org' })).status, 401, 'the token is still needed')
})

t.test('the bearer scheme is case-insensitive; the token is not', async t => {
  const port = await start(t, '127.0.0.1', { admin: { enabled: true, token: 's3cret' } })
  for (const authorization of ['Bearer s3cret', 'bearer s3cret', 'BEARER s3cret', 'bEaReR s3cret', 'Bearer   s3cret']) {
    t.equal((await call(port, { headers: { authorization } })).status, 200, `${authorization}: 200`)
  }
  for (const authorization of ['Bearer S3CRET', 'bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 'Bearers3cret', 'Bearer', 'Bearer ', 's3cret', 'Token s3cret', 'bearer  ']) {
    const refused = await call(port, { headers: { authorization } })
    t.equal(refused.status, 401, `${JSON.stringify(authorization)}: 401`)
  }
})
