// The open loop: requests arrive at a set rate whether or not the server keeps up, as a real
// service meets them (wrk2's -R, vegeta's -rate, k6's constant-arrival-rate). Each arrival is
// sent on an idle connection, on a new one while fewer than maxConnections are open (and only
// a few are still connecting), or else
// waits in the generator for the next connection to come free, for as long as a request may take
// (timeoutMs); past that it is dropped, as it would have timed out. Its latency runs from its
// intended start, so that waiting counts: a closed loop stops sending while the server stalls,
// and the requests that would have waited are never measured (coordinated omission).
//
// The i-th arrival (from 0) asks for paths[i mod n] with the salt "i": one seed and one schedule
// draw the same fates on every run.
//
// Before the schedule, a warm-up (warmupMs): the rate rises evenly from 0 to the target, and
// those arrivals (salted "w0", "w1", ...) are sent and answered but kept out of every figure,
// as wrk2 keeps its calibration and k6 ramps its arrival rate. Met cold, the target rate found
// the JIT cold and no connection open: at 4,000/s into a fresh server answering at once, the
// first half second's arrivals went out up to 15 ms late, most opening a connection of their
// own (551 in all, where a few do), and the run went on with them all.
//
// The schedule is kept by a timer (whole milliseconds) and, between two of its ticks, by every
// answer: each takes up the arrivals due by then. At a rate that keeps the generator busy the
// answers come every few tens of microseconds, so an arrival goes within about that of its
// time; an idle generator waits for the timer, within about a millisecond.

import type { Client, Dispatcher } from 'undici'
import { SALT_HEADER } from '../../../server/contract/protocol.js'
import { arrivalOffsets, rampOffsets, type ArrivalKind } from './arrivals.js'
import type { DrivePlan } from './closed-loop.js'
import { LatencySample } from './latency-sample.js'
import { Queue } from './queue.js'
import type { LatencyFigures } from './little.js'
import type { LoadTally } from './load-tally.js'
import { GRACE_MS, loadClient, send } from './send.js'

/**
 * New connections being opened at once, at most. Without a limit, every arrival during the
 * first connect (about a millisecond) opened another one: 5,000/s into an answer in no time
 * opened all 1,000 allowed at the start, and the generator spent the run catching up.
 */
const OPENING_AT_ONCE = 8

/** A request that starts more than this after its intended time started late. */
export const LATE_MS = 1

export interface OpenPlan extends Omit<DrivePlan, 'connections'> {
  ratePerS: number
  arrivals: ArrivalKind
  /** Draws the Poisson gaps. */
  seed: number
  /** Connections are opened as needed, up to this many. */
  maxConnections: number
  /** Before the schedule: the rate rising from 0 to ratePerS over this long, kept out of every figure; 0 for none. */
  warmupMs: number
  /** Sampled over the steady window (from the first end to the schedule's end): the server's own count of requests in flight; null when it has none. */
  serverInFlight?: { start: () => void, stop: () => Promise<number | null> }
}

export interface OpenLoopFigures {
  targetRps: number
  /** Requests sent per second, from the first send to the last. */
  achievedRps: number
  arrivals: ArrivalKind
  seed: number
  maxConnections: number
  connectionsOpened: number
  /** The warm-up before the schedule: its length and its arrivals, in no other figure. */
  warmup: { ms: number, arrivals: number }
  /** Every arrival of the schedule: sent (then ended or cut) or dropped. */
  scheduled: number
  sent: number
  /** Sent more than LATE_MS after its intended start, for want of a connection or of the generator's own time. */
  late: number
  /** Had to wait for a connection: every one was busy, and none could be opened (maxConnections open, or OPENING_AT_ONCE opening). */
  waitedForConnection: number
  /** Never sent: waited for a connection longer than a request may take (timeoutMs), or still waiting when the run was stopped. */
  dropped: number
  /** How late the generator itself was in taking up each arrival, waiting for a connection apart. */
  lateness: Pick<LatencyFigures, 'p50' | 'p99' | 'max'>
  /** Each request's latency from its actual send; the report's latencyMs runs from its intended start. */
  sendLatencyMs: LatencyFigures
  /** Little's law from the arrival side: L = λW, λ the achieved rate and W the mean latency from the intended start. */
  little: {
    /** λW, in requests. */
    lambdaW: number
    /** The requests in the system (arrived and not yet ended, waiting ones included), averaged from the first end to the schedule's end. */
    measuredInFlight: number
    /** The server's gauge of requests in flight, sampled over the same window and averaged; null when it has none. */
    serverInFlight: number | null
  }
}

interface Arrival {
  index: number
  intended: number
  /** One of the warm-up's: sent, never counted. */
  warm: boolean
}

/** Runs `plan` to its end (its schedule, or its signal), telling `tally` of every request that ended. */
export async function openLoop (plan: OpenPlan, tally: LoadTally): Promise<OpenLoopFigures> {
  const measuredOffset = arrivalOffsets(plan.arrivals, plan.ratePerS, plan.seed)
  const rampOffset = rampOffsets(plan.ratePerS, plan.warmupMs)
  /** The next arrival's offset from the start, the warm-up's first. */
  const nextOffset = (): { ms: number, warm: boolean } => {
    const ramp = rampOffset()
    return ramp === null ? { ms: plan.warmupMs + measuredOffset(), warm: false } : { ms: ramp, warm: true }
  }
  const clients: Client[] = []
  /** Connections not yet connected. */
  let opening = 0
  /** The idle connections, by their place in `clients`. */
  const idle: number[] = []
  const waiting = new Queue<Arrival>()
  const lateness = new LatencySample()
  const sendLatency = new LatencySample()
  const count = { scheduled: 0, sent: 0, late: 0, waited: 0, dropped: 0, ended: 0, inFlight: 0 }
  let warmArrivals = 0
  let firstSend = Infinity
  let lastSend = -Infinity
  // Requests in the system × ms over the steady window, from the first end (before it, the
  // count only climbs from 0) to the schedule's end: Little's L measured, not derived.
  let area = 0
  let firstEnd: number | null = null
  let sampling = false
  let scheduleEnd: number | null = null
  let stopped = false
  let cut = false
  let cancelTick: () => void = () => {}
  let grace: NodeJS.Timeout | undefined
  let finished: () => void = () => {}
  const done = new Promise<void>(resolve => { finished = resolve })
  let scheduleOver: () => void = () => {}
  const over = new Promise<void>(resolve => { scheduleOver = resolve })
  const start = performance.now()
  let offset = nextOffset()

  const inSystemUntil = (intended: number, end: number): void => {
    if (firstEnd === null) {
      firstEnd = end
      if (scheduleEnd === null) {
        sampling = true
        plan.serverInFlight?.start()
      }
    }
    area += Math.max(0, Math.min(end, scheduleEnd ?? end) - Math.max(intended, firstEnd))
  }
  const drop = (arrival: Arrival, at: number): void => {
    if (arrival.warm) return
    count.dropped++
    inSystemUntil(arrival.intended, at)
  }
  const settle = (): void => {
    if (scheduleEnd !== null && count.inFlight === 0 && waiting.length === 0) finished()
  }
  /** The next arrival that may still be sent: those that waited past timeoutMs are dropped. */
  const nextWaiting = (): Arrival | undefined => {
    const now = performance.now()
    let next = waiting.shift()
    while (next !== undefined && now - next.intended > plan.timeoutMs) {
      drop(next, now)
      next = waiting.shift()
    }
    return next
  }
  const dispatch = (k: number, arrival: Arrival): void => {
    const client = clients[k] as Client
    const options: Dispatcher.DispatchOptions = {
      method: 'GET',
      path: plan.paths[arrival.index % plan.paths.length] ?? '/',
      headers: { ...plan.headers, [SALT_HEADER]: arrival.warm ? `w${arrival.index}` : String(arrival.index) }
    }
    const sentAt = performance.now()
    count.inFlight++
    if (!arrival.warm) {
      count.sent++
      firstSend = Math.min(firstSend, sentAt)
      lastSend = sentAt
      if (sentAt - arrival.intended > LATE_MS) count.late++
      plan.replicas?.sentOn(k)
    }
    // send() resolves with every outcome, errors included: nothing is left to catch.
    send(client, options).then(outcome => {
      const end = performance.now()
      count.inFlight--
      if (arrival.warm) {
        // Answered or not, it only warmed up.
      } else if (cut && 'error' in outcome) {
        tally.wasCut()
        inSystemUntil(arrival.intended, end)
      } else {
        if ('error' in outcome) plan.replicas?.failedOn(k, outcome.error)
        tally.ended(k, arrival.intended, end, outcome)
        sendLatency.add(end - sentAt)
        inSystemUntil(arrival.intended, end)
        plan.ended?.(++count.ended)
      }
      const next = nextWaiting()
      if (next === undefined) idle.push(k)
      else dispatch(k, next)
      takeDue()
      settle()
    }, () => {})
  }
  let openingSoon = false
  /** Arrivals that found no idle connection since openForWaiting last ran. */
  let cameSince = 0
  /**
   * Opens a connection for each arrival still waiting, after the answers already in have freed
   * theirs (setImmediate runs after the poll phase): an arrival due when the generator was
   * busy found every connection busy, though answers were waiting to be read. Opened at once,
   * every such moment added connections for good: at 8,000/s into a warm server, 337 where 92
   * do now, and the generator's p99 lateness 20 ms where it is 1.6 ms now.
   */
  const openForWaiting = (): void => {
    openingSoon = false
    for (;;) {
      if (clients.length >= plan.maxConnections || opening >= OPENING_AT_ONCE) break
      const arrival = nextWaiting()
      if (arrival === undefined) break
      const client = loadClient(plan.origin, plan.timeoutMs, plan.replicas?.connectOf(clients.length))
      opening++
      const opened = (): void => {
        opening--
        client.off('connect', opened).off('connectionError', opened)
        if (waiting.length > 0) openSoon()
      }
      client.on('connect', opened).on('connectionError', opened)
      clients.push(client)
      dispatch(clients.length - 1, arrival)
    }
    // Those left wait for an answer to free a connection: every one is busy and none can be
    // opened. Those that came since the last call are at the end; the others were counted then.
    for (let i = Math.max(0, waiting.length - cameSince); i < waiting.length; i++) {
      if (waiting.at(i)?.warm === false) count.waited++
    }
    cameSince = 0
  }
  const openSoon = (): void => {
    if (openingSoon) return
    openingSoon = true
    setImmediate(openForWaiting)
  }
  const arrive = (arrival: Arrival): void => {
    const k = idle.pop()
    if (k !== undefined) return dispatch(k, arrival)
    waiting.push(arrival)
    cameSince++
    openSoon()
  }
  // No more arrivals; those waiting for a connection still go as connections come free.
  const endSchedule = (at: number): void => {
    if (scheduleEnd !== null) return
    scheduleEnd = at
    stopped = true
    cancelTick()
    scheduleOver()
    settle()
  }
  /** Takes up every arrival due by now; false once the schedule is over. */
  const takeDue = (): boolean => {
    if (stopped) return false
    const now = performance.now()
    for (;;) {
      const due = start + offset.ms
      if (!offset.warm && plan.durationMs !== null && offset.ms >= plan.warmupMs + plan.durationMs) {
        endSchedule(start + plan.warmupMs + plan.durationMs)
        return false
      }
      if (due > now) return true
      if (offset.warm) {
        arrive({ index: warmArrivals++, intended: due, warm: true })
      } else {
        lateness.add(now - due)
        arrive({ index: count.scheduled++, intended: due, warm: false })
        if (plan.amount !== null && count.scheduled >= plan.amount) {
          endSchedule(due)
          return false
        }
      }
      offset = nextOffset()
    }
  }
  const tick = (): void => {
    if (!takeDue()) return
    // A timer fires no sooner than asked, in whole ms: with no answer coming meanwhile, the next
    // arrival goes at the first tick on or after its time, up to about a millisecond late.
    // Polling (setImmediate) would keep a core busy at any rate: on two cores, one the server needs.
    const timer = setTimeout(tick, Math.max(1, Math.floor(start + offset.ms - performance.now())))
    cancelTick = () => clearTimeout(timer)
  }
  // Stopped: what waits for a connection is dropped; what is in flight may end for GRACE_MS.
  const abort = (): void => {
    const now = performance.now()
    endSchedule(Math.min(now, scheduleEnd ?? Infinity))
    for (const arrival of waiting.drain()) drop(arrival, now)
    settle()
    grace = setTimeout(() => {
      cut = true
      for (const client of clients) client.destroy().catch(() => {})
    }, GRACE_MS)
  }

  if (plan.signal.aborted) abort()
  else plan.signal.addEventListener('abort', abort, { once: true })
  tick()
  let serverInFlight: number | null = null
  try {
    // The gauge is read over the schedule only: the drain that follows has no arrivals.
    await over
    if (sampling) serverInFlight = await plan.serverInFlight?.stop() ?? null
    await done
  } finally {
    clearTimeout(grace)
    plan.signal.removeEventListener('abort', abort)
    await Promise.all(clients.map(async client => await client.close().catch(() => {})))
  }
  const windowMs = firstEnd === null ? 0 : (scheduleEnd ?? start) - firstEnd
  const lambda = count.sent > 1 ? (count.sent - 1) * 1000 / (lastSend - firstSend) : NaN
  const { p50, p99, max } = lateness.figures()
  return {
    targetRps: plan.ratePerS,
    achievedRps: lambda,
    arrivals: plan.arrivals,
    seed: plan.seed,
    maxConnections: plan.maxConnections,
    connectionsOpened: clients.length,
    warmup: { ms: plan.warmupMs, arrivals: warmArrivals },
    scheduled: count.scheduled,
    sent: count.sent,
    late: count.late,
    waitedForConnection: count.waited,
    dropped: count.dropped,
    lateness: { p50, p99, max },
    sendLatencyMs: sendLatency.figures(),
    little: {
      lambdaW: lambda * tally.meanLatencyMs / 1000,
      measuredInFlight: windowMs > 0 ? area / windowMs : NaN,
      serverInFlight
    }
  }
}
