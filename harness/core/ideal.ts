// The ideal bound: the shortest elapsed time a mode could reach with its concurrency, given what
// the server actually injected, and nothing else (no network, no parsing, no scheduling cost).
//
// It is the makespan of the mode's own schedule, simulated: requests are handed out in dispatch
// order, each to the first free slot (what a semaphore or a pool's queue does); a request's
// response has fully arrived after its wait (the injected delay, plus the body's time for a slow
// body); only then can its CPU work start, on the first free CPU slot (the one event loop for
// sequential and async; a worker, as far as the cores go, for pooled), the ready ones in the
// order they arrived; the slot is free again once the work is done. With equal work this greedy
// schedule is the shortest possible one: no slot ever idles while work is ready.

export interface IdealRequest {
  /** From dispatch until the response has fully arrived. */
  waitMs: number
  /** CPU work once it has arrived (0 for none). */
  workMs: number
}

export interface Slots {
  /** Requests at once: 1 sequential, C for async, W for pooled. */
  io: number
  /** CPU work at once: 1 on one event loop, min(W, cores) for pooled. */
  cpu: number
}

interface Event { at: number, kind: 'arrived' | 'worked', index: number }

/** A tiny priority queue by time, then completions before arrivals, then dispatch order: deterministic. */
function pushEvent (events: Event[], event: Event): void {
  const before = (a: Event, b: Event): boolean => a.at !== b.at ? a.at < b.at : a.kind !== b.kind ? a.kind === 'worked' : a.index < b.index
  let i = events.length
  events.push(event)
  while (i > 0 && before(event, events[i - 1] as Event)) {
    events[i] = events[i - 1] as Event
    i--
  }
  events[i] = event
}

export function idealMakespan (requests: readonly IdealRequest[], slots: Slots): number {
  const io = Math.max(1, slots.io)
  const cpu = Math.max(1, slots.cpu)
  const events: Event[] = []
  const ready: number[] = []
  let next = 0
  let inFlight = 0
  let working = 0
  let end = 0
  const dispatch = (at: number): void => {
    while (inFlight < io && next < requests.length) {
      inFlight++
      pushEvent(events, { at: at + (requests[next]?.waitMs ?? 0), kind: 'arrived', index: next })
      next++
    }
  }
  const work = (at: number): void => {
    while (working < cpu && ready.length > 0) {
      const index = ready.shift() as number
      working++
      pushEvent(events, { at: at + (requests[index]?.workMs ?? 0), kind: 'worked', index })
    }
  }
  const finish = (at: number): void => {
    inFlight--
    end = Math.max(end, at)
    dispatch(at)
  }
  dispatch(0)
  while (events.length > 0) {
    const { at, kind, index } = events.shift() as Event
    if (kind === 'worked') {
      working--
      finish(at)
    } else if ((requests[index]?.workMs ?? 0) > 0) {
      ready.push(index)
    } else {
      finish(at)
    }
    work(at)
  }
  return end
}
