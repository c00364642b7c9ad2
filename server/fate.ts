// A request's fate (its delay and its fault) is a pure function of the seed, the request path,
// the client's salt and the config. Nothing depends on order, concurrency, time or restarts,
// so a client can predict every fate, and two runs with one seed see the same server.

import { faultName, type Fault } from './contract/faults.js'
import { faultRateTotal, faultShares, type Injection, type Latency } from './contract/injection.js'
import { formatServerTiming } from './contract/protocol.js'

export interface Fate {
  delayMs: number
  fault: Fault
}

const NO_FAULT: Fault = Object.freeze({ kind: 'none' })

/**
 * Four independent uniforms in [0, 1) for (seed, path, salt). The string is hashed with
 * cyrb53's two 32-bit lanes, then sfc32 (a small PRNG that passes PractRand) is seeded with
 * the hash and the seed and run a few rounds to spread nearby inputs apart. Cheap enough to
 * run on every request: no crypto, no allocation beyond the result.
 */
export function fateUniforms (seed: number, path: string, salt: string): [number, number, number, number] {
  const text = salt === '' ? path : `${path}\u0000${salt}`
  let h1 = 0xdeadbeef ^ (seed >>> 0)
  let h2 = 0x41c6ce57 ^ Math.floor(seed / 0x1_0000_0000)
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)

  let a = h1 >>> 0
  let b = h2 >>> 0
  let c = (seed >>> 0) ^ 0x9e3779b9
  let d = 1
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 0x1_0000_0000
  }
  for (let i = 0; i < 12; i++) next()
  return [next(), next(), next(), next()]
}

/** A standard normal from two uniforms (Box-Muller); 1 - u keeps the log away from 0. */
function standardNormal (u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2)
}

function drawLatency (latency: Latency, u1: number, u2: number): number {
  switch (latency.kind) {
    case 'fixed': return latency.ms
    case 'uniform': return latency.minMs + (latency.maxMs - latency.minMs) * u1
    case 'normal': return latency.medianMs + latency.spreadMs * standardNormal(u1, u2)
    case 'lognormal': return latency.medianMs * Math.exp(latency.sigma * standardNormal(u1, u2))
  }
}

/** The fault whose slice of [0, 1) holds u, in the fault kinds' order (contract/faults.ts), else none. */
function drawFault (injection: Injection, u: number): Fault {
  let edge = 0
  for (const { fault, rate } of faultShares(injection)) {
    edge += rate
    if (u < edge) return fault
  }
  return NO_FAULT
}

/**
 * The one fate every request meets when the injection leaves nothing to chance (a fixed
 * latency, no jitter, no fault), or null when it draws: the server then skips the hash and
 * writes Server-Timing once. It is what fate() would return for any seed, path and salt.
 */
export function fixedFate (injection: Injection): Fate | null {
  if (injection.latency.kind !== 'fixed' || injection.jitter !== 0 || faultRateTotal(injection) !== 0) return null
  return Object.freeze({ delayMs: Math.min(Math.max(injection.latency.ms, 0), injection.maxLatency), fault: NO_FAULT })
}

export function fate (seed: number, path: string, salt: string, injection: Injection): Fate {
  const [u1, u2, u3, u4] = fateUniforms(seed, path, salt)
  const drawn = drawLatency(injection.latency, u1, u2) + injection.jitter * (2 * u3 - 1)
  const delayMs = Math.min(Math.max(drawn, 0), injection.maxLatency)
  return { delayMs, fault: drawFault(injection, u4) }
}

/** The Server-Timing value a client reads the fate back from: `delay;dur=812.5, fault;desc="http-418"`; a slow or stalled body adds its time. */
export function serverTiming ({ delayMs, fault }: Fate, name = faultName(fault), bodyMs?: number): string {
  return formatServerTiming(bodyMs === undefined ? { delayMs, fault: name } : { delayMs, fault: name, bodyMs })
}
