// The race app: the page, a route that starts a race, the race's events as Server-Sent Events,
// and the flags' pictures. Built apart from listen (main.ts), so that a test starts it on port 0.
// Every URL the page uses is relative to it and served here (the flag server's own address is
// never sent to the browser), so the page works from wherever the race server is reached: a
// container's published port, another machine.

import Fastify, { type FastifyInstance } from 'fastify'
import { defaultFlagsDir } from '../../server/contract/project.js'
import { expandCodes } from '../core/options.js'
import { flagPicture, pageScript } from './assets.js'
import { EventHub } from './event-hub.js'
import { racePage } from './page.js'
import { DEFAULT_CPU_WORK, DEFAULT_LATENCY, DEFAULT_MAX_REQ_TEXT, START_SCHEMA, type StartBody } from './race-form.js'
import { RaceRunner } from './race-runner.js'

export interface RaceAppOptions {
  /** The flags to race (default: the book's 20 most populous countries). */
  codes?: string[]
  /** Where the pictures the page shows are read (default: the project's flags/, as the flag server's). */
  flagsDir?: string
}

export function buildRaceApp ({ codes = expandCodes({ kind: 'pop20' }, [], null), flagsDir = defaultFlagsDir() }: RaceAppOptions = {}): FastifyInstance {
  // An open event stream is never idle: without forcing, close() would wait for every page to go.
  const app = Fastify({ forceCloseConnections: true })
  const page = racePage({ codes, latency: DEFAULT_LATENCY, cpuWork: DEFAULT_CPU_WORK, maxReq: DEFAULT_MAX_REQ_TEXT })
  const script = pageScript()
  const hub = new EventHub()
  const races = new RaceRunner(codes, hub)

  // Relative, as every URL of the page: behind a proxy's prefix it stays under that prefix.
  app.get('/', async (_request, reply) => await reply.redirect('race'))

  app.get('/race', async (_request, reply) => await reply.type('text/html; charset=utf-8').send(page))

  app.get('/race/page.js', async (_request, reply) => await reply.type('text/javascript; charset=utf-8').send(script))

  // The pictures the lanes show, read from the flags folder: the same GIFs the flag server
  // serves, without its latency or faults, and still there once a race's server is stopped.
  app.get<{ Params: { file: string } }>('/race/flags/:file', async (request, reply) => {
    const gif = await flagPicture(flagsDir, request.params.file)
    if (gif === null) return await reply.code(404).send({ error: `no flag ${request.params.file}` })
    return await reply.type('image/gif').header('cache-control', 'public, max-age=3600').send(gif)
  })

  app.post<{ Body: StartBody }>('/race/start', { schema: START_SCHEMA }, async (request, reply) => {
    const { status, body } = await races.start(request.body)
    return await reply.code(status).send(body)
  })

  app.get('/race/events', (_request, reply) => {
    reply.hijack()
    hub.listen(reply.raw)
  })

  // Close: cut the race (its embedded server stops with it), then end the streams.
  app.addHook('preClose', async () => {
    await races.close()
    hub.end()
  })

  return app
}
