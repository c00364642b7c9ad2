// Apply a fate to a reply: wait the injected delay, then answer, fail with a status, or
// misbehave at the socket level in a way a real client can observe.

import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import { faultName, serverTiming, type Fate } from './fate.js'
import type { Injection } from './contract/injection.js'
import type { SiteMetrics } from './metrics.js'

/** What the server would send if no fault were drawn. */
export interface Answer {
  status: number
  headers: Readonly<OutgoingHttpHeaders>
  body: Buffer
}

/** A slow body is sent in ticks of this length, so that even a 1 B/s rate shows progress. */
const SLOW_TICK_MS = 100

/** Take the response over from Fastify; it is counted once it is over, however it ends. */
function takeOver (reply: FastifyReply, route: string, metrics: SiteMetrics): ServerResponse {
  reply.hijack()
  const res = reply.raw
  res.once('close', () => metrics.finish(route, res.headersSent ? res.statusCode : 'none'))
  return res
}

/**
 * Count the answer, then send it. The flag route counts its own answers, here and in takeOver:
 * an onResponse hook would make Fastify add two listeners and read the clock twice per request.
 */
export function sendCounted (reply: FastifyReply, route: string, metrics: SiteMetrics, status: number, payload: unknown): FastifyReply {
  metrics.finish(route, status)
  return reply.code(status).send(payload)
}

/** How a slow body goes out: `chunk` bytes a tick, the last one `ms` after the headers. */
export function slowBodyPlan (bytes: number, slowBps: number, budgetMs: number): { chunk: number, ms: number } {
  // Speed up rather than break the --max-latency promise with a large body or a tiny rate.
  const floorBps = budgetMs > 0 ? bytes * 1000 / budgetMs : Infinity
  const chunk = Math.max(1, Math.round(Math.max(slowBps, floorBps) * SLOW_TICK_MS / 1000))
  return { chunk, ms: Math.max(1, Math.ceil(bytes / chunk)) * SLOW_TICK_MS }
}

function sendSlowly (res: ServerResponse, answer: Answer, chunk: number): void {
  res.writeHead(answer.status, answer.headers)
  let sent = 0
  const ticker = setInterval(() => {
    const next = Math.min(sent + chunk, answer.body.length)
    res.write(answer.body.subarray(sent, next))
    sent = next
    if (sent >= answer.body.length) {
      clearInterval(ticker)
      res.end()
    }
  }, SLOW_TICK_MS)
  res.once('close', () => clearInterval(ticker))
}

/** Requests hanging right now, and how many may at once (--max-hung). */
export interface HangSlots {
  active: number
  readonly max: number
}

/**
 * Answer as the fate says, after its delay; `timing` is its Server-Timing (serverTiming(fate),
 * written once by the caller when every request meets the same fate). Callbacks, not async
 * functions: at tens of thousands of requests a second, a promise per request shows in the
 * server's CPU per answer.
 */
export function deliver (
  reply: FastifyReply,
  route: string,
  answer: Answer,
  fate: Fate,
  timing: string,
  limits: Pick<Injection, 'maxLatency' | 'slowBps'>,
  metrics: SiteMetrics,
  hangs: HangSlots
): void {
  if (fate.delayMs === 0) {
    answerAsFated(reply, route, answer, fate, timing, limits, metrics, hangs)
    return
  }
  // The timer goes as soon as the client does: a timer left running per aborted request would
  // be a leak under an abort storm.
  const res = reply.raw
  const gone = (): void => {
    clearTimeout(timer)
    reply.hijack()
    metrics.finish(route, 'none')
  }
  const timer = setTimeout(() => {
    res.removeListener('close', gone)
    answerAsFated(reply, route, answer, fate, timing, limits, metrics, hangs)
  }, fate.delayMs)
  res.once('close', gone)
}

function answerAsFated (
  reply: FastifyReply,
  route: string,
  answer: Answer,
  fate: Fate,
  timing: string,
  limits: Pick<Injection, 'maxLatency' | 'slowBps'>,
  metrics: SiteMetrics,
  hangs: HangSlots
): void {
  const { fault } = fate
  if (fault.kind === 'none') {
    metrics.finish(route, answer.status)
    reply.code(answer.status).headers(answer.headers).header('server-timing', timing).send(answer.body)
    return
  }
  if (fault.kind === 'hang' && hangs.active >= hangs.max) {
    // Each hung request holds a socket until --max-latency: past the cap, say so instead.
    metrics.countFault('hang-refused')
    const body = Buffer.from(JSON.stringify({ error: `too many hung requests: ${hangs.max} at once at most (--max-hung)`, status: 503 }))
    metrics.finish(route, 503)
    reply.code(503).headers({ 'content-type': 'application/json; charset=utf-8', 'server-timing': serverTiming(fate, 'hang-refused') }).send(body)
    return
  }
  metrics.countFault(faultName(fault))
  if (fault.kind === 'http') {
    const body = Buffer.from(JSON.stringify({ error: 'injected fault', status: fault.status }))
    metrics.finish(route, fault.status)
    reply.code(fault.status).headers({ 'content-type': 'application/json; charset=utf-8', 'server-timing': timing }).send(body)
    return
  }
  const res = takeOver(reply, route, metrics)
  const headers = { ...answer.headers, 'server-timing': timing }
  // Whatever a fault does, the request is over by --max-latency after it arrived.
  const budgetMs = Math.max(0, limits.maxLatency - fate.delayMs)
  switch (fault.kind) {
    case 'reset':
      res.socket?.resetAndDestroy()
      return
    case 'hang': {
      hangs.active++
      const timer = setTimeout(() => res.destroy(), budgetMs)
      res.once('close', () => {
        clearTimeout(timer)
        hangs.active--
      })
      return
    }
    case 'slow': {
      // The body's time goes into Server-Timing too: a client's ideal must wait for it.
      const plan = slowBodyPlan(answer.body.length, limits.slowBps, budgetMs)
      sendSlowly(res, { ...answer, headers: { ...headers, 'server-timing': serverTiming(fate, faultName(fault), plan.ms) } }, plan.chunk)
      return
    }
    case 'truncate':
      res.writeHead(answer.status, headers)
      // Close only once the partial bytes are flushed, so the client sees a short body, not a reset.
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => res.destroy())
  }
}
