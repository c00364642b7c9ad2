// What the live view's server sends its page, one frame at a time over Server-Sent Events: the
// requests that ended since the last frame, each whole, and the ones still in flight not shown
// before. A request that arrives and ends between two frames (most, under load) is sent once.
//
// On the wire a frame is columns, not objects: one array per field, the strings that repeat
// (clients, faults, fates) as their place in the frame's own table, times in whole hundredths
// of a ms. Named fields repeated for every request cost serialising about 1 µs an event for
// ~190 bytes (issue 22); columns are about 60 bytes a request, serialised in a quarter of the
// time, and the feed builds no object for a request that ends. The page's script and the tests
// read requests whole (LiveArrival, LiveEnd), decoded by page/decode-frame.ts in the browser;
// --record hears each LiveEnd as it ends.

import type { FateName } from './colours.js'

/** A request as it arrived: times are ms from its run's start, on the server's clock. */
export interface LiveArrival {
  run: number
  /** Its place in its run, in arrival order: 0 for the first. */
  index: number
  /** The site's connection number: requests that share a socket share a row. */
  connection: number
  client: string
  path: string
  atMs: number
}

/** A request that ended: where and when it arrived, then how and when it ended. */
export interface LiveEnd extends LiveArrival {
  endMs: number
  /** The HTTP status sent, or none (cut: reset, a hang's close, the client gone). */
  status: number | 'none'
  /** none, http-418, reset, hang, hang-refused, slow, truncate, stall; gone when the client left first. */
  fault: string
  /** What the page colours it by: fault and status in one word. */
  fate: FateName
  /** The delay injected, ms; null for a request the flag route did not draw a fate for. */
  delayMs: number | null
  /** Content-Length as the answer declared it; 0 without an answer. */
  bytes: number
}

/** A frame as the page reads it, decoded. */
export interface LiveFrame {
  site: string
  /** The injection in force, as npm run server's banner says it. */
  injection: string
  /** A gap this long with nothing in flight ends a run: the next arrival starts a new one. */
  gapMs: number
  /** Requests in flight, each in the first frame after it arrived. */
  arrivals: LiveArrival[]
  ends: LiveEnd[]
  /** Events left out since the last frame this page got: the buffer was full, or the page was slow. */
  dropped: number
}

/** LiveArrival's fields as columns, the i-th request in the i-th place of each. */
export interface ArrivalColumns {
  run: number[]
  index: number[]
  connection: number[]
  /** A place in the frame's strings: one address for many requests. */
  client: number[]
  /** The path itself: interning a new string for each request cost more than sending it. */
  path: string[]
  /** atMs × 100. */
  at: number[]
}

export interface EndColumns extends ArrivalColumns {
  /** endMs × 100. */
  end: number[]
  /** 0 for none. */
  status: number[]
  /** Places in the frame's strings. */
  fault: number[]
  fate: number[]
  delayMs: Array<number | null>
  bytes: number[]
}

/** A frame as it travels. */
export interface WireFrame {
  site: string
  injection: string
  gapMs: number
  /** Every string the columns name, each once. */
  strings: string[]
  arrivals: ArrivalColumns
  ends: EndColumns
  dropped: number
}

/** A request's arrival as the feed keeps it until its end: atMs as `at`, in hundredths. */
export interface ArrivalFields {
  readonly run: number
  readonly index: number
  readonly connection: number
  readonly client: string
  readonly path: string
  readonly at: number
}

/** One frame's columns as the feed fills them: each string stored once, each number as it is. */
export class FrameColumns {
  readonly strings: string[] = []
  readonly #places = new Map<string, number>()
  readonly arrivals: ArrivalColumns = { run: [], index: [], connection: [], client: [], path: [], at: [] }
  readonly ends: EndColumns = { run: [], index: [], connection: [], client: [], path: [], at: [], end: [], status: [], fault: [], fate: [], delayMs: [], bytes: [] }

  addArrival (arrival: ArrivalFields): void {
    this.#addArrivalTo(this.arrivals, arrival)
  }

  addEnd (arrival: ArrivalFields, end: number, status: number | 'none', fault: string, fate: FateName, delayMs: number | null, bytes: number): void {
    const ends = this.ends
    this.#addArrivalTo(ends, arrival)
    ends.end.push(end)
    ends.status.push(status === 'none' ? 0 : status)
    ends.fault.push(this.#place(fault))
    ends.fate.push(this.#place(fate))
    ends.delayMs.push(delayMs)
    ends.bytes.push(bytes)
  }

  /** Events held: arrivals and ends. */
  get size (): number {
    return this.arrivals.run.length + this.ends.run.length
  }

  #addArrivalTo (columns: ArrivalColumns, arrival: ArrivalFields): void {
    columns.run.push(arrival.run)
    columns.index.push(arrival.index)
    columns.connection.push(arrival.connection)
    columns.client.push(this.#place(arrival.client))
    columns.path.push(arrival.path)
    columns.at.push(arrival.at)
  }

  /** The string's place in the frame's table, added at the end the first time. */
  #place (text: string): number {
    let place = this.#places.get(text)
    if (place === undefined) {
      place = this.strings.push(text) - 1
      this.#places.set(text, place)
    }
    return place
  }
}
