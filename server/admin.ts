// GET/PUT/PATCH /admin/config: read and change a site's injection while it serves. The body
// goes through the same rules as the command line, so a bad value is a 400 naming the option,
// and the config in force stays as it was. Against hostile clients: the admin API cannot raise
// the site's --max-latency, and on a loopback bind it answers only under the loopback's names.

import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { formatInjection, NO_INJECTION, parseInjection, type Injection } from './contract/injection.js'
import { formatDuration } from './contract/duration.js'
import { FlagsError } from './contract/errors.js'
import { isLoopback, type SiteState } from './site.js'

/** RFC 9110 11.1: the auth scheme is case-insensitive, and spaces part it from the credentials. */
const BEARER = /^bearer +/i

/** The scheme in any case; the token itself compared in constant time, and never an empty one. */
function tokenMatches (header: string | undefined, token: string): boolean {
  const scheme = BEARER.exec(header ?? '')
  const given = Buffer.from(scheme === null ? '' : (header ?? '').slice(scheme[0].length))
  const expected = Buffer.from(token)
  return scheme !== null && expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected)
}

/** The names every loopback site answers under, whatever the port in Host. */
const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]', '::1']

/** A Host header's name, lower case, without its port: [::1]:8000 → [::1]. A bare ::1 stays whole. */
function hostName (host: string): string {
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(host)
  return (match?.[1] ?? host).toLowerCase()
}

/**
 * The names admin requests may come under when the site is bound on a loopback address; null
 * when it is not (there the admin API needs a token) or not listening yet (app.inject). Read
 * from the bound address, not passed in: whoever starts the site, it is protected.
 */
function allowedHosts (app: FastifyInstance): readonly string[] | null {
  const bound = app.server.address()
  if (bound === null || typeof bound === 'string' || !isLoopback(bound.address)) return null
  const name = bound.address.includes(':') ? `[${bound.address}]` : bound.address
  return LOOPBACK_NAMES.includes(name) ? LOOPBACK_NAMES : [...LOOPBACK_NAMES, name]
}

/**
 * DNS rebinding: a web page whose name an attacker points at 127.0.0.1 reaches a loopback
 * site from the victim's browser, but its requests carry the attacker's name in Host.
 */
function hostRefusal (host: string | undefined, allowed: readonly string[], guarded: Guarded): string | undefined {
  if (host !== undefined && allowed.includes(hostName(host))) return undefined
  const names = allowed.filter(name => name !== '::1')
  const list = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}`
  const what = host === undefined ? 'no Host header' : `Host ${JSON.stringify(host)} is not this server's`
  return `${guarded.what}: ${what}; on a loopback bind, ${guarded.path} answers only ${list} (against DNS rebinding)`
}

/** What the guard protects, as its refusals name it. */
interface Guarded {
  what: string
  path: string
  /** Also take the token from this query parameter: a browser's EventSource cannot send a header. */
  tokenQuery?: string
}

/**
 * The admin API's two checks, on every route of `scope`: Host on a loopback bind, then the
 * bearer token when the site has one. /live is guarded by the same (live/routes.ts).
 */
export function guardAdminRoutes (scope: FastifyInstance, app: FastifyInstance, token: string | undefined, guarded: Guarded): void {
  scope.addHook('onRequest', async (request, reply) => {
    const allowed = allowedHosts(app)
    const refusal = allowed === null ? undefined : hostRefusal(request.headers.host, allowed, guarded)
    if (refusal !== undefined) await reply.code(403).send({ error: refusal })
  })
  if (token !== undefined) {
    scope.addHook('onRequest', async (request, reply) => {
      const query = guarded.tokenQuery === undefined ? undefined : (request.query as Record<string, unknown>)[guarded.tokenQuery]
      const header = typeof query === 'string' ? `Bearer ${query}` : request.headers.authorization
      if (!tokenMatches(header, token)) {
        const how = guarded.tokenQuery === undefined ? '' : ` (or ?${guarded.tokenQuery}=<token>)`
        await reply.code(401).header('www-authenticate', 'Bearer').send({ error: `${guarded.what}: missing or wrong token; send Authorization: Bearer <token>${how}` })
      }
    })
  }
}

/**
 * `state.injection` is still the site's own when buildServer registers this, before it serves:
 * its max-latency is the cap the command line set, and the admin API may lower it, not raise it.
 */
export function registerAdmin (app: FastifyInstance, state: SiteState, token: string | undefined): void {
  const cap = state.injection.maxLatency
  // PUT replaces the config, but a replaced config must not drop the cap to the default.
  const fresh: Injection = Object.freeze({ ...NO_INJECTION, maxLatency: cap })

  app.register(async admin => {
    guardAdminRoutes(admin, app, token, { what: 'admin API', path: '/admin/config' })

    const change = (base: () => Injection) => async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return await reply.code(400).send({ error: 'admin API: the body must be a JSON object of options, e.g. {"latency":"200ms"}' })
      }
      const options = body as Record<string, unknown>
      let next: Injection
      try {
        next = parseInjection(options, base(), name => name)
      } catch (error) {
        if (error instanceof FlagsError) return await reply.code(400).send({ error: error.message })
        throw error
      }
      if (next.maxLatency > cap) {
        const limit = formatDuration(cap)
        const asked = options['max-latency']
        return await reply.code(400).send({ error: `max-latency: ${typeof asked === 'string' ? asked : formatDuration(next.maxLatency)} is above this server's cap of ${limit} (--max-latency); accepted: at most ${limit}` })
      }
      state.injection = next
      return formatInjection(state.injection)
    }

    admin.get('/admin/config', async () => formatInjection(state.injection))
    // PUT replaces: options left out fall back to no injection, under the site's max-latency.
    // PATCH changes only what it names.
    admin.put('/admin/config', change(() => fresh))
    admin.patch('/admin/config', change(() => state.injection))
  })
}
