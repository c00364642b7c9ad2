// Apply a fate to a reply: wait the injected delay, then answer, fail with a status, or
// misbehave at the socket level in a way a real client can observe.

import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply } from 'fastify'
import { faultName, serverTiming, type Fate } from './fate.js'
import type { Injection } from './contract/injection.js'
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
  return { chunk, tickMs, ms: Math.max(1, Math.ceil(bytes / chunk)) * tickMs }
}

function sendSlowly (res: ServerResponse, open: OpenRequest | undefined, answer: Answer, plan: SlowBodyPlan): void {
  res.writeHead(answer.status, answer.headers)
  if (plan.ms === 0) {
    res.end(answer.body, () => open?.finish(answer.status))
    return
  }
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

/**
 * Answer as the fate says, after its delay; `timing` is its Server-Timing (serverTiming(fate),
 * written once by the caller when every request meets the same fate). Callbacks, not async
 * functions: at tens of thousands of requests a second, a promise per request shows in the
 * server's CPU per answer. `open` is the request's place on its connection (requests.ts):
 * whatever is set up here is undone through it if the connection closes first.
 */
export function deliver (
  reply: FastifyReply,
  open: OpenRequest | undefined,
  answer: Answer,
  fate: Fate,
  timing: string,
  limits: Pick<Injection, 'maxLatency' | 'slowBps'>,
  metrics: SiteMetrics,
  hangs: HangSlots
): void {
  if (fate.delayMs === 0) {
    answerAsFated(reply, open, answer, fate, timing, limits, metrics, hangs)
    return
  }
  // Node's timers count whole milliseconds of the event loop's time: one may fire up to a
  // millisecond short of its delay by performance.now(). So the delay is counted from now, and
  // a timer that fires early waits out the rest: every answer is held at least its delay.
  const due = performance.now() + fate.delayMs
  const fire = (): void => {
    const left = due - performance.now()
    if (left > 0) {
      timer = setTimeout(fire, left)
      return
    }
    open?.onCut(undefined)
    answerAsFated(reply, open, answer, fate, timing, limits, metrics, hangs)
  }
  let timer = setTimeout(fire, fate.delayMs)
  // The timer goes as soon as the connection does: a timer left running per aborted request
  // would be a leak under an abort storm, and a pipelined one has no response 'close' to tell.
  open?.onCut(() => {
    clearTimeout(timer)
    reply.hijack()
  })
}

function answerAsFated (
  reply: FastifyReply,
  open: OpenRequest | undefined,
  answer: Answer,
  fate: Fate,
  timing: string,
  limits: Pick<Injection, 'maxLatency' | 'slowBps'>,
  metrics: SiteMetrics,
  hangs: HangSlots
): void {
  const { fault } = fate
  if (fault.kind === 'none') {
    open?.finish(answer.status)
    // A 304 has no body and no Content-Length (it would have to be the 200's): no payload at all.
    reply.code(answer.status).headers(answer.headers).header('server-timing', timing).send(answer.status === 304 ? undefined : answer.body)
    return
  }
  if (fault.kind === 'hang' && hangs.active >= hangs.max) {
    // Each hung request holds a socket until --max-latency: past the cap, say so instead.
    metrics.countFault('hang-refused')
    const body = Buffer.from(JSON.stringify({ error: `too many hung requests: ${hangs.max} at once at most (--max-hung)`, status: 503 }))
    if (open !== undefined) open.fault = 'hang-refused'
    open?.finish(503)
    reply.code(503).headers({ 'content-type': 'application/json; charset=utf-8', 'server-timing': serverTiming(fate, 'hang-refused') }).send(body)
    return
  }
  metrics.countFault(faultName(fault))
  if (fault.kind === 'http') {
    const body = Buffer.from(JSON.stringify({ error: 'injected fault', status: fault.status }))
    open?.finish(fault.status)
    reply.code(fault.status).headers({ 'content-type': 'application/json; charset=utf-8', 'server-timing': timing, ...CHALLENGES[fault.status] }).send(body)
    return
  }
  const res = takeOver(reply)
  // The connection's socket, not the response's: a response queued behind a pipelined one has
  // none yet, and a reset or a hang's end must still reach the client.
  const socket = reply.request.raw.socket
  const headers = { ...answer.headers, 'server-timing': timing }
  // Whatever a fault does, the request is over by --max-latency after it arrived.
  const budgetMs = Math.max(0, limits.maxLatency - fate.delayMs)
  switch (fault.kind) {
    case 'reset':
      // When its turn comes: a response queued behind pipelined ones gets the socket once they
      // are sent. The whole connection goes; the requests pipelined behind it are cut with it.
      // Once the answers before it are written out too (an empty write's callback comes after
      // theirs): a reset drops whatever is still unsent.
      if (res.socket === null) res.once('socket', () => resetWhenFlushed(socket))
      else resetWhenFlushed(socket)
      return
    case 'hang': {
      hangs.active++
      const timer = setTimeout(() => socket.destroy(), budgetMs)
      open?.onCut(() => {
        clearTimeout(timer)
        hangs.active--
      })
      return
    }
    case 'slow': {
      // The body's time goes into Server-Timing too: a client's ideal must wait for it.
      const plan = slowBodyPlan(answer.body.length, limits.slowBps, budgetMs)
      sendSlowly(res, open, { ...answer, headers: { ...headers, 'server-timing': serverTiming(fate, faultName(fault), plan.ms) } }, plan)
      return
    }
    case 'truncate':
      res.writeHead(answer.status, headers)
      if (reply.request.raw.method === 'HEAD') {
        // A HEAD has no body to cut short (Node ignores the write): the headers go out in full.
        res.end(() => open?.finish(answer.status))
        return
      }
      // Close only once the partial bytes are flushed, so the client sees a short body, not a reset.
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => socket.destroy())
  }
}
