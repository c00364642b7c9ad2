// buildServer(site, flags) → a Fastify instance with every route, not listening: main.ts
// listens, tests listen on port 0.

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type onRequestHookHandler, type onResponseHookHandler } from 'fastify'
import { describeInjection, INJECTION_KEYS, parseInjection, type Injection, type InjectionKey } from './contract/injection.js'
import { FlagsError } from './contract/errors.js'
import { fate, fixedFate, serverTiming, type Fate } from './fate.js'
import type { FlagSet } from './flags.js'
import { deliver, sendCounted, type Answer, type SiteCounters } from './inject.js'
import { SiteMetrics } from './metrics.js'
import type { ServerLog } from './log.js'
import { openRequestOf, tracker, type RequestEnded } from './requests.js'
import { httpOptions, remember, requireTarget, SERVER_TIMEOUTS, type ServerTimeouts } from './http-options.js'
import { ConnectionGuard, DEFAULT_MAX_CONNECTIONS } from './connections.js'
import { registerAdmin } from './admin.js'
import { LiveFeed } from './live/feed.js'
import type { RequestRecordFile } from './live/record.js'
import { registerLive } from './live/routes.js'
import { OVERRIDE_HEADER_PREFIX, SALT_HEADER } from './contract/protocol.js'
import type { SiteConfig, SiteState } from './site.js'

/** Everything but max-latency: a client may ask for any fate, but never hold the server longer. */
export const OVERRIDABLE: readonly InjectionKey[] = INJECTION_KEYS.filter(key => key !== 'maxLatency')

const FLAG_ROUTE = '/flags/:cc/:file'

function notFound (path: string): Answer {
  const body = Buffer.from(JSON.stringify({ error: 'not found', path }))
  return { status: 404, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }, body }
}

/**
 * If-None-Match as RFC 9110 13.1.2 reads it: `*`, or a list of entity tags compared weakly (a
 * `W/` prefix on either side does not matter).
 */
export function noneMatch (header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  const strong = etag.startsWith('W/') ? etag.slice(2) : etag
  return header.split(',').some(tag => {
    const trimmed = tag.trim()
    return (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === strong
  })
}

function answerFor (flags: FlagSet, cc: string, file: string, path: string, ifNoneMatch: string | undefined): Answer {
  const found = flags.files.get(`${cc}/${file}`)
  if (found === undefined) return notFound(path)
  if (ifNoneMatch !== undefined && noneMatch(ifNoneMatch, found.etag)) return { status: 304, headers: { etag: found.etag, 'cache-control': 'no-cache' }, body: Buffer.alloc(0) }
  return found.ok
}

/**
 * The injection for one request: the site's, changed by query parameters (?latency=1s) and
 * then by x-flags-* headers, through the same rules as the command line.
 */
function requestInjection (request: FastifyRequest, base: Injection): Injection {
  const query = request.query as Record<string, unknown>
  let injection = base
  if (Object.keys(query).length > 0) {
    injection = parseInjection(query, injection, name => `query parameter ${name}`, OVERRIDABLE)
  }
  // No prototype: x-flags-__proto__ is then an unknown option (400), as ?__proto__= is.
  const fromHeaders: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith(OVERRIDE_HEADER_PREFIX) && name !== SALT_HEADER) fromHeaders[name.slice(OVERRIDE_HEADER_PREFIX.length)] = value
  }
  if (Object.keys(fromHeaders).length > 0) {
    injection = parseInjection(fromHeaders, injection, name => `header ${OVERRIDE_HEADER_PREFIX}${name}`, OVERRIDABLE)
  }
  return injection
}

function hasOverride (request: FastifyRequest): boolean {
  if (request.raw.url?.includes('?') === true) return true
  // A loop, not Object.keys(...).some(...): no array per request.
  for (const name in request.headers) if (name.startsWith(OVERRIDE_HEADER_PREFIX) && name !== SALT_HEADER) return true
  return false
}

/**
 * With `log` (log.ts), the site's request log hears of every request as it ends. Fastify itself
 * logs there only its warnings and errors. Without, Fastify's logger is off and nothing is built
 * per request.
 */
function loggingOptions (site: SiteConfig, log: ServerLog | undefined, metrics: SiteMetrics): { options: { logger: false } | { loggerInstance: FastifyBaseLogger }, ended: RequestEnded | undefined } {
  if (log === undefined) return { options: { logger: false }, ended: undefined }
  const siteLog = log.site(site.name, () => metrics.inFlight)
  return {
    options: { loggerInstance: siteLog.fastify },
    ended: (request, status, inFlight) => siteLog.requests.ended(request, status, inFlight)
  }
}

/** With `record` (--record), every flag request is written to it as it ends (live/record.ts). */
export function buildServer (site: SiteConfig, flags: FlagSet, timeouts: ServerTimeouts = SERVER_TIMEOUTS, log?: ServerLog, record?: RequestRecordFile): FastifyInstance {
  const http = httpOptions(timeouts)
  const metrics = new SiteMetrics(FLAG_ROUTE)
  const logging = loggingOptions(site, log, metrics)
  // Fastify passes `http` to createServer, then sets these two itself: the same values. While
  // closing, a request on a kept-alive connection is served with "Connection: close"
  // (connections.ts), not refused with Fastify's 503.
  const app = Fastify({ ...logging.options, routerOptions: { ignoreTrailingSlash: true }, http, requestTimeout: timeouts.requestMs, keepAliveTimeout: timeouts.keepAliveMs, return503OnClosing: false })
  const state: SiteState = { injection: site.injection }
  const connectionLimits = { maxConnections: site.maxConnections ?? DEFAULT_MAX_CONNECTIONS, noProgressMs: () => state.injection.maxLatency, checkEveryMs: timeouts.checkEveryMs }
  remember(app.server, http, new ConnectionGuard(metrics, connectionLimits))
  requireTarget(app.server)
  const counters: SiteCounters = { metrics, hangs: { active: 0, max: site.maxHung } }
  const codes = JSON.stringify({ codes: flags.codes })
  // The fixed fate of an injection and its Server-Timing, if it has one, remembered for the last
  // injection seen (the site's, mostly).
  let fixedFor: { injection: Injection, fate: Fate | null, timing: string } | undefined
  const fixedOf = (injection: Injection): { fate: Fate | null, timing: string } => {
    if (fixedFor?.injection !== injection) {
      const fixed = fixedFate(injection)
      fixedFor = { injection, fate: fixed, timing: fixed === null ? '' : serverTiming(fixed) }
    }
    return fixedFor
  }

  // A request is counted in flight by a plain listener on the raw server's 'request' event, ahead
  // of Fastify's so that it counts before any answer can, and tied to its connection
  // (requests.ts): an onRequest hook would cost Fastify's hook runner on every request. The flag route counts its own answers (inject.ts): with an
  // onResponse hook Fastify adds two listeners and reads the clock twice per request. The other
  // routes count theirs with an onResponse hook that knows its route's URL (request.routeOptions
  // builds a dozen-field object at every read).
  const live = new LiveFeed(site.name, () => describeInjection(state.injection))
  if (record !== undefined) live.record(record.listener(site.name))
  app.server.prependListener('request', tracker(metrics, logging.ended, live))
  // A page's event stream never ends by itself: it would hold the close for the grace period.
  app.addHook('preClose', done => {
    live.close()
    done()
  })
  app.addHook('onClose', (_app, done) => {
    metrics.stop()
    done()
  })
  app.addHook('onRoute', route => {
    const url = route.url
    if (url === FLAG_ROUTE) return
    const named: onRequestHookHandler = (request, reply, done) => {
      const open = openRequestOf(reply.raw)
      if (open !== undefined) open.route = url
      done()
    }
    const counted: onResponseHookHandler = (request, reply, done) => {
      openRequestOf(reply.raw)?.finish(reply.statusCode)
      done()
    }
    route.onRequest = [named, ...[route.onRequest ?? []].flat()]
    route.onResponse = [...[route.onResponse ?? []].flat(), counted]
  })

  app.get('/healthz', async () => ({ status: 'ok', site: site.name, seed: site.seed }))
  app.get('/metrics', async (request, reply) => reply.type('text/plain; version=0.0.4').send(metrics.render()))
  app.get('/flags', async (request, reply) => reply.type('application/json; charset=utf-8').send(codes))

  app.get<{ Params: { cc: string, file: string } }>(FLAG_ROUTE, (request, reply) => {
    const open = openRequestOf(reply.raw)
    if (open !== undefined) {
      // Cut already (its connection closed as it arrived): no fate, no timer, nothing to send.
      if (open.over) return reply.hijack()
      open.route = FLAG_ROUTE
    }
    let injection = state.injection
    if (hasOverride(request)) {
      if (!site.overrides) return sendCounted(reply, open, 403, { error: 'overrides are off on this site (start it with --overrides on)' })
      // Any web page can make a browser send a simple GET here (an <img>); a page may not choose
      // its fate. The lab's own pages are same-site (localhost on another port).
      if (request.headers['sec-fetch-site'] === 'cross-site') return sendCounted(reply, open, 403, { error: 'overrides are refused on cross-site requests (Sec-Fetch-Site: cross-site)' })
      try {
        injection = requestInjection(request, state.injection)
      } catch (error) {
        if (error instanceof FlagsError) return sendCounted(reply, open, 400, { error: error.message })
        throw error
      }
    }
    const rawUrl = request.raw.url ?? ''
    const queryAt = rawUrl.indexOf('?')
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt)
    const salt = request.headers[SALT_HEADER]
    const fixed = fixedOf(injection)
    const requestFate = fixed.fate ?? fate(site.seed, path, typeof salt === 'string' ? salt : '', injection)
    if (open !== undefined) open.fate = requestFate
    metrics.observeDelay(requestFate.delayMs)
    const { cc, file } = request.params
    const answer = answerFor(flags, cc, file, path, request.headers['if-none-match'])
    const timing = fixed.fate === null ? serverTiming(requestFate) : fixed.timing
    deliver(counters, { reply, open, answer, fate: requestFate, timing, injection })
  })

  if (site.admin.enabled) {
    registerAdmin(app, state, site.admin.token)
    registerLive(app, live, site.name, site.admin.token)
  }

  app.setNotFoundHandler(async (request, reply) => {
    // No route, so no route hook: counted here, once it is sent (a cut one is counted by requests.ts).
    const open = openRequestOf(reply.raw)
    if (open !== undefined) open.route = 'unmatched'
    reply.raw.once('finish', () => open?.finish(reply.statusCode))
    return await reply.code(404).send({ error: 'not found', path: request.url.split('?')[0] })
  })
  return app
}
