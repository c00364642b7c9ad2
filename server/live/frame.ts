// What the live view's server sends its page, one frame at a time over Server-Sent Events: the
// requests that ended since the last frame, each whole, and the ones still in flight not shown
// before. A request that arrives and ends between two frames (most, under load) is sent once. Shared by the feed (feed.ts) and the
// page's script (page/live-page.ts), which imports these types only.

import type { FateName } from './colours.js'

/** A request as it arrived: times are ms from its run's start, on the server's clock. */
export interface LiveArrival {
  id: number
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
