// The race app: the page, a route that starts a race, and the race's events as Server-Sent
// Events. Built apart from listen (main.ts), so that a test starts it on port 0.

import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { FlagsError } from '../../server/contract/errors.js'
import { formatInjection, parseInjectionPatch, type InjectionPatch } from '../../server/contract/injection.js'
import { projectRoot } from '../../server/contract/project.js'
import { bookSiteByLabel } from '../../server/contract/sites.js'
import { DEFAULT_INJECTION, expandCodes, type ServerChoice } from '../core/options.js'
import { TargetError } from '../core/target.js'
import { racePage, RACE_SITES } from './page.js'
import { runRace, type RaceEvent } from './race.js'

export interface RaceAppOptions {
  /** The flags to race (default: the book's 20 most populous countries). */
  codes?: string[]
}

interface StartBody { site: string, latency?: string }

interface Answer { status: number, body: Record<string, unknown> }

const START_SCHEMA = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['site'],
    properties: { site: { enum: [...RACE_SITES] }, latency: { type: 'string', maxLength: 100 } }
  }
}

function describe (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The page's script, compiled from browser/race-page.ts by npm run build: read from dist/ even
 * when this module runs from its source (the tests), as the browser needs JavaScript.
 */
function pageScript (): string {
  const file = join(projectRoot(), 'dist', 'harness', 'race', 'browser', 'race-page.js')
  try {
    return readFileSync(file, 'utf8')
  } catch {
    throw new Error(`race page: ${file} not found (npm run build compiles it)`)
  }
}

const DEFAULT_LATENCY = formatInjection(DEFAULT_INJECTION).latency ?? ''

export function buildRaceApp ({ codes = expandCodes({ kind: 'pop20' }, [], null) }: RaceAppOptions = {}): FastifyInstance {
  // An open event stream is never idle: without forcing, close() would wait for every page to go.
  const app = Fastify({ forceCloseConnections: true })
  const page = racePage({ codes, latency: DEFAULT_LATENCY })
  const script = pageScript()
  const listeners = new Set<ServerResponse>()
  /** The latest race's events, sent to each page that connects: a late or reloaded page catches up. */
  let history: string[] = []
  let current: { interrupt: AbortController, finished: Promise<void> } | null = null

  const emit = (event: RaceEvent): void => {
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
    if (event.type === 'race') history = []
    history.push(frame)
    for (const listener of listeners) listener.write(frame)
  }

  /**
   * From the form to the end of the race; `answer` settles the POST once the server is reachable
   * (or not). Returns the last event, sent once the embedded server is stopped and another race
   * may start, so that whoever sees it can start the next one at once.
   */
  async function race ({ site, latency }: StartBody, signal: AbortSignal, answer: (answer: Answer) => void): Promise<RaceEvent | null> {
    const book = bookSiteByLabel(site)
    let injection: InjectionPatch = {}
    try {
      // The harness's own rules, so a bad latency reads as it would on its command line.
      if (book === undefined) injection = parseInjectionPatch({ latency: latency ?? DEFAULT_LATENCY }, name => `--${name}`)
    } catch (error) {
      if (!(error instanceof FlagsError)) throw error
      answer({ status: 400, body: { error: error.message } })
      return null
    }
    const server: ServerChoice = book === undefined ? { kind: 'embedded' } : { kind: 'url', baseUrl: book.url, label: book.label }
    let started = false
    try {
      return await runRace({
        server,
        injection,
        codes,
        signal,
        opened: target => {
          started = true
          answer({ status: 202, body: { baseUrl: target.baseUrl } })
          return book === undefined ? `the harness's own server (latency ${formatInjection(injection).latency ?? DEFAULT_LATENCY})` : `${site} (${target.baseUrl})`
        },
        emit
      })
    } catch (error) {
      if (!started && error instanceof TargetError) {
        answer({ status: 502, body: { error: error.message } })
        return null
      }
      return { type: 'failed', message: `the race stopped: ${describe(error)}` }
    }
  }

  app.get('/', async (_request, reply) => await reply.redirect('/race'))

  app.get('/race', async (_request, reply) => await reply.type('text/html; charset=utf-8').send(page))

  app.get('/race/page.js', async (_request, reply) => await reply.type('text/javascript; charset=utf-8').send(script))

  app.post<{ Body: StartBody }>('/race/start', { schema: START_SCHEMA }, async (request, reply) => {
    if (current !== null) return await reply.code(409).send({ error: 'a race is already running: wait for it to finish' })
    let answer!: (answer: Answer) => void
    const answered = new Promise<Answer>(resolve => { answer = resolve })
    const interrupt = new AbortController()
    const finished = race(request.body, interrupt.signal, answer)
      .catch(error => { answer({ status: 500, body: { error: describe(error) } }); return null })
      .then(last => {
        current = null
        if (last !== null) emit(last)
      })
    current = { interrupt, finished }
    const { status, body } = await answered
    return await reply.code(status).send(body)
  })

  app.get('/race/events', (_request, reply) => {
    reply.hijack()
    const stream = reply.raw
    stream.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    for (const frame of history) stream.write(frame)
    listeners.add(stream)
    stream.on('close', () => listeners.delete(stream))
  })

  // Close: cut the race (its embedded server stops with it), then end the streams.
  app.addHook('preClose', async () => {
    current?.interrupt.abort()
    await current?.finished
    for (const listener of listeners) listener.end()
  })

  return app
}
