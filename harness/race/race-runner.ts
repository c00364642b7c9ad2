// One race at a time, from the form to its last event: a second start while one runs is
// refused, and closing cuts the one running (its embedded server stops with it).

import { formatDuration } from '../../server/contract/duration.js'
import { FlagsError } from '../../server/contract/errors.js'
import { formatInjection } from '../../server/contract/injection.js'
import type { ServerChoice } from '../core/options.js'
import { TargetError } from '../core/target.js'
import type { EventHub } from './event-hub.js'
import { DEFAULT_LATENCY, parseStart, type RaceRequest, type StartBody } from './race-form.js'
import { runRace, type RaceEvent } from './race.js'

/** What the POST that starts a race answers. */
export interface Answer { status: number, body: Record<string, unknown> }

function describe (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export class RaceRunner {
  #current: { interrupt: AbortController, finished: Promise<void> } | null = null

  constructor (private readonly codes: string[], private readonly hub: EventHub) {}

  /** Starts a race; resolves with the answer once its server is reachable, or why not. */
  async start (body: StartBody): Promise<Answer> {
    if (this.#current !== null) return { status: 409, body: { error: 'a race is already running: wait for it to finish' } }
    let asked: RaceRequest
    try {
      asked = parseStart(body)
    } catch (error) {
      if (!(error instanceof FlagsError)) throw error
      return { status: 400, body: { error: error.message } }
    }
    let answer!: (answer: Answer) => void
    const answered = new Promise<Answer>(resolve => { answer = resolve })
    const interrupt = new AbortController()
    const finished = this.#race(asked, interrupt.signal, answer)
      .catch(error => { answer({ status: 500, body: { error: describe(error) } }); return null })
      .then(last => {
        this.#current = null
        if (last !== null) this.hub.emit(last)
      })
    this.#current = { interrupt, finished }
    return await answered
  }

  /** Cuts the race running, if any, and waits until it is cleaned up. */
  async close (): Promise<void> {
    this.#current?.interrupt.abort()
    await this.#current?.finished
  }

  /**
   * The race; `answer` settles the POST once the server is reachable (or not). Returns the last
   * event, sent once the embedded server is stopped and another race may start, so that whoever
   * sees it can start the next one at once.
   */
  async #race ({ book, injection, cpuWorkMs, maxReq }: RaceRequest, signal: AbortSignal, answer: (answer: Answer) => void): Promise<RaceEvent | null> {
    const server: ServerChoice = book === undefined ? { kind: 'embedded' } : { kind: 'url', baseUrl: book.url, label: book.label }
    let started = false
    try {
      return await runRace({
        server,
        injection,
        codes: this.codes,
        cpuWorkMs,
        maxReq,
        signal,
        opened: target => {
          started = true
          // The server's host only, as text: the page never fetches from it.
          const named = book === undefined ? `the harness's own server (latency ${formatInjection(injection).latency ?? DEFAULT_LATENCY})` : `${book.label} (${new URL(target.baseUrl).host})`
          const described = cpuWorkMs > 0 ? `${named}, ${formatDuration(cpuWorkMs)} of CPU work per flag` : named
          answer({ status: 202, body: { site: described } })
          return described
        },
        emit: event => this.hub.emit(event)
      })
    } catch (error) {
      if (!started && error instanceof TargetError) {
        answer({ status: 502, body: { error: error.message } })
        return null
      }
      return { type: 'failed', message: `the race stopped: ${describe(error)}` }
    }
  }
}
