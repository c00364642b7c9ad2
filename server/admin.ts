// GET/PUT/PATCH /admin/config: read and change a site's injection while it serves. The body
// goes through the same rules as the command line, so a bad value is a 400 naming the option,
// and the config in force stays as it was.

import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { formatInjection, NO_INJECTION, parseInjection, type Injection } from './contract/injection.js'
import { FlagsError } from './contract/errors.js'
import type { SiteState } from './site.js'

function tokenMatches (header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '')
  const expected = Buffer.from(`Bearer ${token}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export function registerAdmin (app: FastifyInstance, state: SiteState, token: string | undefined): void {
  app.register(async admin => {
    if (token !== undefined) {
      admin.addHook('onRequest', async (request, reply) => {
        if (!tokenMatches(request.headers.authorization, token)) {
          await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin API: missing or wrong token; send Authorization: Bearer <token>' })
        }
      })
    }

    const change = (base: () => Injection) => async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return await reply.code(400).send({ error: 'admin API: the body must be a JSON object of options, e.g. {"latency":"200ms"}' })
      }
      try {
        state.injection = parseInjection(body as Record<string, unknown>, base(), name => name)
      } catch (error) {
        if (error instanceof FlagsError) return await reply.code(400).send({ error: error.message })
        throw error
      }
      return formatInjection(state.injection)
    }

    admin.get('/admin/config', async () => formatInjection(state.injection))
    // PUT replaces: options left out fall back to no injection. PATCH changes only what it names.
    admin.put('/admin/config', change(() => NO_INJECTION))
    admin.patch('/admin/config', change(() => state.injection))
  })
}
