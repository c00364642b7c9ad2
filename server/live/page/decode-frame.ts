// A frame's columns (frame.ts) back to one object per request, as the page's script and the
// tests read them. Here, beside the page's script, so that the browser loads it from the same
// place (live/decode-frame.js): the objects are built in the browser, not on the server.

import type { FateName } from '../colours.js'
import type { ArrivalColumns, LiveArrival, LiveEnd, LiveFrame, WireFrame } from '../frame.js'

export function decodeFrame (wire: WireFrame): LiveFrame {
  const { strings, arrivals: a, ends: e } = wire
  const text = (place: number): string => strings[place] ?? ''
  const arrival = (columns: ArrivalColumns, i: number): LiveArrival => ({
    run: columns.run[i] ?? 0,
    index: columns.index[i] ?? 0,
    connection: columns.connection[i] ?? 0,
    client: text(columns.client[i] ?? -1),
    path: columns.path[i] ?? '',
    atMs: (columns.at[i] ?? 0) / 100
  })
  const ends = e.run.map((_, i): LiveEnd => {
    const status = e.status[i] ?? 0
    return {
      ...arrival(e, i),
      endMs: (e.end[i] ?? 0) / 100,
      status: status === 0 ? 'none' : status,
      fault: text(e.fault[i] ?? -1),
      fate: text(e.fate[i] ?? -1) as FateName,
      delayMs: e.delayMs[i] ?? null,
      bytes: e.bytes[i] ?? 0
    }
  })
  return { site: wire.site, injection: wire.injection, gapMs: wire.gapMs, arrivals: a.run.map((_, i) => arrival(a, i)), ends, dropped: wire.dropped }
}
