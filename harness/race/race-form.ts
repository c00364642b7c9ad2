// The race form as the page posts it, checked by the harness's own rules, so that a bad value
// reads as it would on the harness's command line.

import { DURATION_ACCEPTED, parseDuration } from '../../server/contract/duration.js'
import { invalidOption } from '../../server/contract/errors.js'
import { parseInjectionPatch, type InjectionPatch } from '../../server/contract/injection.js'
import { bookSiteByLabel, type BookSite } from '../../server/contract/sites.js'
import { wholeNumber } from '../../server/contract/values.js'
import { DEFAULT_MAX_REQ, MAX_REQ_LIMIT } from '../core/options.js'
import { RACE_SITES } from './page.js'

export interface StartBody { site: string, latency?: string, cpuWork?: string, maxReq?: string }

export const START_SCHEMA = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['site'],
    properties: { site: { enum: [...RACE_SITES] }, latency: { type: 'string', maxLength: 100 }, cpuWork: { type: 'string', maxLength: 100 }, maxReq: { type: 'string', maxLength: 100 } }
  }
}

/**
 * Around the harness's default of 100 ms, but drawn per flag: with one latency for all, every
 * lane's flags land in request order, and async's looks like sequential's.
 */
export const DEFAULT_LATENCY = '50ms..150ms'
export const DEFAULT_CPU_WORK = '0ms'
export const DEFAULT_MAX_REQ_TEXT = String(DEFAULT_MAX_REQ)
/** As the harness's --cpu-work. */
const MAX_CPU_WORK_MS = 10_000

/** What a race is asked for: one of the book's sites (its injection is its own), or the harness's own server with `injection`. */
export interface RaceRequest {
  book: BookSite | undefined
  injection: InjectionPatch
  cpuWorkMs: number
  /** As the harness's --max-req: pooled's workers, async's requests in flight. */
  maxReq: number
}

/** The form's CPU work by the harness's rules, so a bad one reads as on its command line. */
function parseCpuWork (text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms > MAX_CPU_WORK_MS) throw invalidOption('--cpu-work', text, `${DURATION_ACCEPTED}, at most 10s`)
  return ms
}

/** Throws a FlagsError naming the field's harness option and what it accepts. */
export function parseStart ({ site, latency, cpuWork, maxReq }: StartBody): RaceRequest {
  const book = bookSiteByLabel(site)
  const injection = book === undefined ? parseInjectionPatch({ latency: latency ?? DEFAULT_LATENCY }, name => `--${name}`) : {}
  // The CPU work is the client's: with any server.
  return { book, injection, cpuWorkMs: parseCpuWork(cpuWork ?? DEFAULT_CPU_WORK), maxReq: wholeNumber(maxReq ?? DEFAULT_MAX_REQ_TEXT, '--max-req', 1, MAX_REQ_LIMIT) }
}
