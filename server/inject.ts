// Apply a fate to a reply: wait the injected delay, then answer, fail with a status, or
// misbehave at the socket level in a way a real client can observe.

import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply } from 'fastify'
import { faultName, type Fault, type FaultKind } from './contract/faults.js'
import type { Injection } from './contract/injection.js'
import { serverTiming, type Fate } from './fate.js'
import type { SiteMetrics } from './metrics.js'
import type { OpenRequest } from './requests.js'

/** What the server would send if no fault were drawn. */
export interface Answer {
  status: number
  headers: Readonly<OutgoingHttpHeaders>
  body: Buffer
}

/** A slow body is sent in ticks of this length, so that even a 1 B/s rate shows progress. */
const SLOW_TICK_MS = 100

/**
 * At most this many writes per slow body: longer ticks, the same end. Each tick is a timer and
 * a write on the socket, about 45 µs of the server's CPU here; 300 of them made 16,000 slow
 * bodies at 1 B/s cost 12 × the CPU of 16,000 plain delays, and 10 still 3.2 × at 2,000
 * (bench/slow-vs-delay.ts holds it at 2 ×).
 */
const SLOW_MAX_TICKS = 4

/** Take the response over from Fastify; the request is counted once it is over (requests.ts), however it ends. */
function takeOver (reply: FastifyReply): ServerResponse {
  reply.hijack()
  return reply.raw
}

/**
 * Count the answer, then send it. The flag route counts its own answers, here and in
 * answerAsFated: an onResponse hook would make Fastify add two listeners and read the clock
 * twice per request.
 */
export function sendCounted (reply: FastifyReply, open: OpenRequest | undefined, status: number, payload: unknown): FastifyReply {
  open?.finish(status)
  return reply.code(status).send(payload)
}

/** How a slow body goes out: `chunk` bytes every `tickMs`, the last one `ms` after the headers. */
export interface SlowBodyPlan {
  chunk: number
  tickMs: number
  ms: number
}

/**
 * At `slowBps`, unless that would overrun `budgetMs`: then faster, so that the last byte goes
 * out by the budget (the --max-latency promise). The chunk is rounded up, never down: rounding
 * 1.49 bytes a tick down to 1 made a slow body last up to 1.5 × the budget.
 */
export function slowBodyPlan (bytes: number, slowBps: number, budgetMs: number): SlowBodyPlan {
  // No time left (the delay took it all): the body goes at once.
  if (budgetMs < 1) return { chunk: bytes, tickMs: 0, ms: 0 }
  // A budget shorter than a tick gets one tick of its length.
  const tickMs = Math.max(1, Math.min(SLOW_TICK_MS, Math.floor(budgetMs)))
  const ticksInBudget = Math.max(1, Math.floor(budgetMs / tickMs))
  const atRate = Math.max(1, Math.round(slowBps * tickMs / 1000))
  const chunk = Math.max(atRate, Math.ceil(bytes / ticksInBudget))
  const ticks = Math.max(1, Math.ceil(bytes / chunk))
  if (ticks <= SLOW_MAX_TICKS) return { chunk, tickMs, ms: ticks * tickMs }
  // Fewer, longer ticks over (about) the same time: the rate asked, in coarser steps.
  const fewer = Math.ceil(bytes / SLOW_MAX_TICKS)
  const longer = Math.floor(ticks * tickMs / SLOW_MAX_TICKS)
  return { chunk: fewer, tickMs: longer, ms: Math.ceil(bytes / fewer) * longer }
}

function sendSlowly (res: ServerResponse, open: OpenRequest | undefined, answer: Answer, plan: SlowBodyPlan): void {
  res.writeHead(answer.status, answer.headers)
  if (plan.ms === 0) {
    res.end(answer.body, () => open?.finish(answer.status))
    return
  }
  // The status and headers now, not with the first tick: a tick may be seconds long, and a
  // client should see a slow body, not a server that has not answered yet.
  res.flushHeaders()
  let sent = 0
  const ticker = setInterval(() => {
    const next = Math.min(sent + plan.chunk, answer.body.length)
    res.write(answer.body.subarray(sent, next))
    sent = next
    if (sent >= answer.body.length) {
      clearInterval(ticker)
      open?.onCut(undefined)
      res.end(() => open?.finish(answer.status))
    }
  }, plan.tickMs)
  open?.onCut(() => clearInterval(ticker))
}

function resetWhenFlushed (socket: Socket): void {
  if (socket.writableLength === 0) socket.resetAndDestroy()
  else socket.write('', () => socket.resetAndDestroy())
}

/** Requests hanging right now, and how many may at once (--max-hung). */
export interface HangSlots {
  active: number
  readonly max: number
}

/** The challenge an injected 401 or 407 must carry (RFC 9110 11.6.1, 11.7.1), so that clients see a well-formed answer. */
const CHALLENGES: Readonly<Record<number, OutgoingHttpHeaders>> = {
  401: { 'www-authenticate': 'Basic realm="flags"' },
  407: { 'proxy-authenticate': 'Basic realm="flags"' }
}

/** What every answer on a site counts into: built once with the site. */
export interface SiteCounters {
  metrics: SiteMetrics
  hangs: HangSlots
}

/**
 * One request's answer, as the route planned it: the one object built per request on the way
 * out (the 200 answers it carries are built once per file, flags.ts).
 */
export interface Delivery {
  reply: FastifyReply
  /** The request's place on its connection (requests.ts): whatever is set up here is undone through it if the connection closes first. */
  open: OpenRequest | undefined
  answer: Answer
  fate: Fate
  /** serverTiming(fate), written once by the caller when every request meets the same fate. */
  timing: string
  /** The injection the fate was drawn under: the cap, and the slow and stall parameters. */
  injection: Injection
}

/**
 * `then`, once at least `ms` have passed, unless the request is cut first: then the timer goes
 * and `cut` runs. Node's timers count whole milliseconds of the event loop's time: one may
 * fire up to a millisecond short of its delay by performance.now(). So the time is counted from
 * now, and a timer that fires early waits out the rest: what Server-Timing says was held, was.
 */
function after (ms: number, open: OpenRequest | undefined, then: () => void, cut?: () => void): void {
  const due = performance.now() + ms
  const fire = (): void => {
    const left = due - performance.now()
    if (left > 0) {
      timer = setTimeout(fire, left)
      return
    }
    open?.onCut(undefined)
    then()
  }
  let timer = setTimeout(fire, ms)
  // The timer goes as soon as the connection does: a timer left running per aborted request
  // would be a leak under an abort storm, and a pipelined one has no response 'close' to tell.
  open?.onCut(() => {
    clearTimeout(timer)
    cut?.()
  })
}

/**
 * Answer as the fate says, after its delay. Callbacks, not async functions: at tens of
 * thousands of requests a second, a promise per request shows in the server's CPU per answer.
 */
export function deliver (site: SiteCounters, plan: Delivery): void {
  if (plan.fate.delayMs === 0) answerAsFated(site, plan)
  else after(plan.fate.delayMs, plan.open, () => answerAsFated(site, plan), () => plan.reply.hijack())
}

function answerAsFated (site: SiteCounters, plan: Delivery): void {
  const { reply, open, answer, fate } = plan
  const { fault } = fate
  if (fault.kind === 'none') {
    open?.finish(answer.status)
    // A 304 has no body and no Content-Length (it would have to be the 200's): no payload at all.
    reply.code(answer.status).headers(answer.headers).header('server-timing', plan.timing).send(answer.status === 304 ? undefined : answer.body)
    return
  }
  if (fault.kind === 'hang' && site.hangs.active >= site.hangs.max) {
    // Each hung request holds a socket until --max-latency: past the cap, say so instead.
    site.metrics.countFault('hang-refused')
    const body = Buffer.from(JSON.stringify({ error: `too many hung requests: ${site.hangs.max} at once at most (--max-hung)`, status: 503 }))
    if (open !== undefined) open.fault = 'hang-refused'
    open?.finish(503)
    reply.code(503).headers({ 'content-type': 'application/json; charset=utf-8', 'server-timing': serverTiming(fate, 'hang-refused') }).send(body)
    return
  }
  site.metrics.countFault(faultName(fault))
  misbehave(fault.kind, fault, plan, site)
}

type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>
type Behaviours = { readonly [K in FaultKind]: (fault: FaultOf<K>, plan: Delivery, site: SiteCounters) => void }

/** The kind apart from its fault: TypeScript follows K to the kind's own entry, not a union. */
function misbehave<K extends FaultKind> (kind: K, fault: FaultOf<K>, plan: Delivery, site: SiteCounters): void {
  const behaviour: Behaviours[K] = BEHAVIOURS[kind]
  behaviour(fault, plan, site)
}

/** Whatever a fault does, the request is over by --max-latency after it arrived. */
function budgetMs ({ injection, fate }: Delivery): number {
  return Math.max(0, injection.maxLatency - fate.delayMs)
}

/**
 * The response taken over from Fastify, and the connection's socket, not the response's: a
 * response queued behind a pipelined one has none yet, and a reset or a hang's end must still
 * reach the client.
 */
function takeOverWithSocket (reply: FastifyReply): { res: ServerResponse, socket: Socket } {
  return { res: takeOver(reply), socket: reply.request.raw.socket }
}

function withTiming (answer: Answer, timing: string): Answer {
  return { ...answer, headers: { ...answer.headers, 'server-timing': timing } }
}

/** Each fault kind's answer: a kind in contract/faults.ts without one here does not compile. */
const BEHAVIOURS: Behaviours = {
  http: (fault, { reply, open, timing }) => {
    const body = Buffer.from(JSON.stringify({ error: 'injected fault', status: fault.status }))
    open?.finish(fault.status)
    reply.code(fault.status).headers({ 'content-type': 'application/json; charset=utf-8', 'server-timing': timing, ...CHALLENGES[fault.status] }).send(body)
  },
  reset: (fault, { reply }) => {
    const { res, socket } = takeOverWithSocket(reply)
    // When its turn comes: a response queued behind pipelined ones gets the socket once they
    // are sent. The whole connection goes; the requests pipelined behind it are cut with it.
    // Once the answers before it are written out too (an empty write's callback comes after
    // theirs): a reset drops whatever is still unsent.
    if (res.socket === null) res.once('socket', () => resetWhenFlushed(socket))
    else resetWhenFlushed(socket)
  },
  hang: (fault, plan, { hangs }) => {
    const { socket } = takeOverWithSocket(plan.reply)
    hangs.active++
    const timer = setTimeout(() => socket.destroy(), budgetMs(plan))
    plan.open?.onCut(() => {
      clearTimeout(timer)
      hangs.active--
    })
  },
  slow: (fault, plan) => {
    const res = takeOver(plan.reply)
    // The body's time goes into Server-Timing too: a client's ideal must wait for it.
    const slowPlan = slowBodyPlan(plan.answer.body.length, plan.injection.slowBps, budgetMs(plan))
    sendSlowly(res, plan.open, withTiming(plan.answer, serverTiming(plan.fate, faultName(fault), slowPlan.ms)), slowPlan)
  },
  truncate: (fault, { reply, open, answer, timing }) => {
    const { res, socket } = takeOverWithSocket(reply)
    res.writeHead(answer.status, { ...answer.headers, 'server-timing': timing })
    if (reply.request.raw.method === 'HEAD' || answer.body.length === 0) {
      // A HEAD or a 304 has no body to cut short (Node ignores the write, and a destroy after it
      // sent nothing at all): the headers go out in full.
      res.end(() => open?.finish(answer.status))
      return
    }
    // Close only once the partial bytes are flushed, so the client sees a short body, not a reset.
    res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => socket.destroy())
  },
  stall: (fault, plan) => {
    const { reply, open, answer } = plan
    const res = takeOver(reply)
    // A HEAD or a 304 has no body to pause in: it goes out at once, and says so (body;dur=0).
    const empty = reply.request.raw.method === 'HEAD' || answer.body.length === 0
    const pauseMs = empty ? 0 : Math.min(plan.injection.stallFor, budgetMs(plan))
    const { status, headers, body } = withTiming(answer, serverTiming(plan.fate, faultName(fault), pauseMs))
    res.writeHead(status, headers)
    const half = Math.floor(body.length / 2)
    res.write(body.subarray(0, half))
    const rest = (): void => { res.end(body.subarray(half), () => open?.finish(status)) }
    if (pauseMs === 0) rest()
    else after(pauseMs, open, rest)
  }
}
