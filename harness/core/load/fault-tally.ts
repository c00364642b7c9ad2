// What the flag server says it injected, from its /metrics, set against what its injection
// should give: each fault kind's count next to rate × the requests the server saw, with a
// binomial tolerance. npm run bench:soak's check that every fault kind occurs as configured.

import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { faultName } from '../../../server/contract/faults.js'
import { faultShares, type Injection } from '../../../server/contract/injection.js'
import { FLAGS_PATH } from '../../../server/contract/protocol.js'

/** The flag route as the server's metrics label it (route="/flags/:cc/:file"). */
export const FLAG_ROUTE_LABEL = `${FLAGS_PATH}/:cc/:file`

export interface FaultTally {
  /** flags_requests_total on the flag route, whatever the status ("none" included): the fates drawn. */
  requests: number
  /** flags_faults_injected_total by kind: http-500, reset, hang, hang-refused, slow, truncate, stall. */
  faults: Record<string, number>
  /** flags_requests_in_flight when read (the /metrics request itself included). */
  inFlight: number
}

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g

/** The counts that matter here, from the server's Prometheus text. */
export function parseFaultTally (text: string): FaultTally {
  const tally: FaultTally = { requests: 0, faults: {}, inFlight: 0 }
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line.trim())
    if (match === null) continue
    const [, name, labelText = '', valueText = ''] = match
    const value = Number(valueText)
    if (!Number.isFinite(value)) continue
    const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map(([, key, v]) => [key, v]))
    if (name === 'flags_requests_total' && labels.route === FLAG_ROUTE_LABEL) tally.requests += value
    else if (name === 'flags_faults_injected_total' && labels.kind !== undefined) tally.faults[labels.kind] = (tally.faults[labels.kind] ?? 0) + value
    else if (name === 'flags_requests_in_flight') tally.inFlight = value
  }
  return tally
}

/**
 * GET <origin>/metrics, once no request but this one is in flight, or after `quietWithinMs`
 * anyway: a request still held (a hang, a slow body) is counted once it ends.
 */
export async function readFaultTally (origin: string, quietWithinMs = 5_000): Promise<FaultTally> {
  const deadline = performance.now() + quietWithinMs
  while (true) {
    const { statusCode, body } = await request(`${origin}/metrics`)
    const text = await body.text()
    if (statusCode !== 200) throw new Error(`GET ${origin}/metrics answered ${statusCode}`)
    const tally = parseFaultTally(text)
    if (tally.inFlight <= 1 || performance.now() > deadline) return tally
    await sleep(100)
  }
}

/** A fault kind an injection configures, named as the server's metrics name it, with its rate. */
export interface ConfiguredFault {
  kind: string
  rate: number
  /** Also counted as this kind: a hang past --max-hung is answered 503 and counted "hang-refused". */
  alsoCounted: readonly string[]
}

/** Every fault kind `injection` draws with a rate above 0, in the order the server draws them. */
export function configuredFaults (injection: Injection): ConfiguredFault[] {
  return faultShares(injection).map(({ fault, rate, alsoCounted }) => ({ kind: faultName(fault), rate, alsoCounted }))
}

/** How far a count drawn n times with probability p may stray from np: `sigmas` standard deviations, √(np(1 − p)) each. */
export function binomialTolerance (n: number, p: number, sigmas = 4): number {
  return sigmas * Math.sqrt(n * p * (1 - p))
}

export interface FaultComparison {
  kind: string
  rate: number
  /** rate × the requests the server saw. */
  expected: number
  /** binomialTolerance(requests, rate). */
  tolerance: number
  /** The kind's count, with what else counts as it (hang-refused for a hang). */
  seen: number
  /** Of `seen`, counted under another name (hang-refused). */
  seenAs: Record<string, number>
  /** |seen − expected| ≤ tolerance, and seen at least once. */
  within: boolean
}

/** Each configured kind: what the server counted against what its rate gives. */
export function compareFaults (tally: FaultTally, injection: Injection, sigmas = 4): FaultComparison[] {
  return configuredFaults(injection).map(({ kind, rate, alsoCounted }) => {
    const seenAs = Object.fromEntries(alsoCounted.map(other => [other, tally.faults[other] ?? 0]))
    const seen = (tally.faults[kind] ?? 0) + Object.values(seenAs).reduce((sum, n) => sum + n, 0)
    const expected = rate * tally.requests
    const tolerance = binomialTolerance(tally.requests, rate, sigmas)
    return { kind, rate, expected, tolerance, seen, seenAs, within: seen >= 1 && Math.abs(seen - expected) <= tolerance }
  })
}
