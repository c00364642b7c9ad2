// The race app: the page, a route that starts a race, the race's events as Server-Sent Events,
// and the flags' pictures. Built apart from listen (main.ts), so that a test starts it on port 0.
// Every URL the page uses is relative to it and served here (the flag server's own address is
// never sent to the browser), so the page works from wherever the race server is reached: a
// container's published port, another machine.

import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { DURATION_ACCEPTED, formatDuration, parseDuration } from '../../server/contract/duration.js'
import { FlagsError, invalidOption } from '../../server/contract/errors.js'
import { formatInjection, parseInjectionPatch, type InjectionPatch } from '../../server/contract/injection.js'
import { defaultFlagsDir, projectRoot } from '../../server/contract/project.js'
import { bookSiteByLabel } from '../../server/contract/sites.js'
import { DEFAULT_INJECTION, expandCodes, type ServerChoice } from '../core/options.js'
import { TargetError } from '../core/target.js'
import { racePage, RACE_SITES } from './page.js'
import { runRace, type RaceEvent } from './race.js'

export interface RaceAppOptions {
  /** The flags to race (default: the book's 20 most populous countries). */
  codes?: string[]
  /** Where the pictures the page shows are read (default: the project's flags/, as the flag server's). */
  flagsDir?: string
}

interface StartBody { site: string, latency?: string, cpuWork?: string }

interface Answer { status: number, body: Record<string, unknown> }

const START_SCHEMA = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['site'],
    properties: { site: { enum: [...RACE_SITES] }, latency: { type: 'string', maxLength: 100 }, cpuWork: { type: 'string', maxLength: 100 } }
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
const DEFAULT_CPU_WORK = '0ms'
/** As the harness's --cpu-work. */
const MAX_CPU_WORK_MS = 10_000

/** The form's CPU work by the harness's rules, so a bad one reads as on its command line. */
function parseCpuWork (text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms > MAX_CPU_WORK_MS) throw invalidOption('--cpu-work', text, `${DURATION_ACCEPTED}, at most 10s`)
  return ms
}

/** A flag's picture as the page asks for it: flags/cn.gif. */
const FLAG_FILE = /^([a-z]{2})\.gif$/

export function buildRaceApp ({ codes = expandCodes({ kind: 'pop20' }, [], null), flagsDir = defaultFlagsDir() }: RaceAppOptions = {}): FastifyInstance {
  // An open event stream is never idle: without forcing, close() would wait for every page to go.
  const app = Fastify({ forceCloseConnections: true })
  const page = racePage({ codes, latency: DEFAULT_LATENCY, cpuWork: DEFAULT_CPU_WORK })
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
  async function race ({ site, latency, cpuWork }: StartBody, signal: AbortSignal, answer: (answer: Answer) => void): Promise<RaceEvent | null> {
    const book = bookSiteByLabel(site)
    let injection: InjectionPatch = {}
    let cpuWorkMs: number
    try {
      // The harness's own rules, so a bad latency reads as it would on its command line.
      if (book === undefined) injection = parseInjectionPatch({ latency: latency ?? DEFAULT_LATENCY }, name => `--${name}`)
      // The CPU work is the client's: with any server.
      cpuWorkMs = parseCpuWork(cpuWork ?? DEFAULT_CPU_WORK)
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
        cpuWorkMs,
        signal,
        opened: target => {
          started = true
          // The server's host only, as text: the page never fetches from it.
          const named = book === undefined ? `the harness's own server (latency ${formatInjection(injection).latency ?? DEFAULT_LATENCY})` : `${site} (${new URL(target.baseUrl).host})`
          const described = cpuWorkMs > 0 ? `${named}, ${formatDuration(cpuWorkMs)} of CPU work per flag` : named
          answer({ status: 202, body: { site: described } })
          return described
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

  // Relative, as every URL of the page: behind a proxy's prefix it stays under that prefix.
  app.get('/', async (_request, reply) => await reply.redirect('race'))

  app.get('/race', async (_request, reply) => await reply.type('text/html; charset=utf-8').send(page))

  app.get('/race/page.js', async (_request, reply) => await reply.type('text/javascript; charset=utf-8').send(script))

  // The pictures the lanes show, read from the flags folder: the same GIFs the flag server
  // serves, without its latency or faults, and still there once a race's server is stopped.
  app.get<{ Params: { file: string } }>('/race/flags/:file', async (request, reply) => {
    const cc = FLAG_FILE.exec(request.params.file)?.[1]
    const gif = cc === undefined ? null : await readFile(join(flagsDir, cc, `${cc}.gif`)).catch(() => null)
    if (gif === null) return await reply.code(404).send({ error: `no flag ${request.params.file}` })
    return await reply.type('image/gif').header('cache-control', 'public, max-age=3600').send(gif)
  })

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
