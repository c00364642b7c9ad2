// GET /live (the page), /live/page.js and /live/decode-frame.js (its script and the module it
// imports) and /live/events (the frames, over Server-Sent Events). Behind the admin API's rules:
// Host on a loopback bind, the admin token elsewhere (given to the page as ?token=, which it
// passes on to its event stream).

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { guardAdminRoutes } from '../admin.js'
import { projectRoot } from '../contract/project.js'
import type { LiveFeed } from './feed.js'
import { livePage } from './page.js'

/**
 * One of the page's scripts, compiled from page/ by npm run build: read from dist/ even when
 * this module runs from its source (the tests), as the browser needs JavaScript. Read at the
 * first request for it, not at start: a server that nobody watches never reads it.
 */
function pageScript (name: string): string {
  const file = join(projectRoot(), 'dist', 'server', 'live', 'page', `${name}.js`)
  try {
    return readFileSync(file, 'utf8')
  } catch {
    throw new Error(`live page: ${file} not found (npm run build compiles it)`)
  }
}

export function registerLive (app: FastifyInstance, feed: LiveFeed, site: string, token: string | undefined): void {
  const scripts = new Map<string, string>()
  const script = (name: string): string => {
    let text = scripts.get(name)
    if (text === undefined) scripts.set(name, text = pageScript(name))
    return text
  }
  app.register(async live => {
    guardAdminRoutes(live, app, token, { what: 'live view', path: '/live', tokenQuery: 'token' })
    live.get('/live', async (request, reply) => await reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(livePage(site)))
    live.get('/live/page.js', async (request, reply) => await reply.type('text/javascript; charset=utf-8').send(script('live-page')))
    live.get('/live/decode-frame.js', async (request, reply) => await reply.type('text/javascript; charset=utf-8').send(script('decode-frame')))
    live.get('/live/events', (request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
      feed.watch(reply.raw)
    })
  })
}
