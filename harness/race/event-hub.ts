// The race's events as Server-Sent Events: every page listening gets each event as it happens,
// and a page that connects late (or reloads) gets the latest race's events first.

import type { ServerResponse } from 'node:http'
import type { RaceEvent } from './race.js'

export class EventHub {
  readonly #listeners = new Set<ServerResponse>()
  /** The latest race's events, as sent: a new race starts a new history. */
  #history: string[] = []

  emit (event: RaceEvent): void {
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
    if (event.type === 'race') this.#history = []
    this.#history.push(frame)
    for (const listener of this.#listeners) listener.write(frame)
  }

  /** An event stream on `stream`, from the latest race's first event, until the page goes. */
  listen (stream: ServerResponse): void {
    stream.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    for (const frame of this.#history) stream.write(frame)
    this.#listeners.add(stream)
    stream.on('close', () => this.#listeners.delete(stream))
  }

  /** Ends every stream: the race server is closing. */
  end (): void {
    for (const listener of this.#listeners) listener.end()
  }
}
