// The race form as the page posts it, checked by the harness's own rules, so that a bad value
// reads as it would on the harness's command line.

import { DURATION_ACCEPTED, parseDuration } from '../../server/contract/duration.js'
import { invalidOption } from '../../server/contract/errors.js'
import { formatInjection, parseInjectionPatch, type InjectionPatch } from '../../server/contract/injection.js'
import { bookSiteByLabel, type BookSite } from '../../server/contract/sites.js'
import { DEFAULT_INJECTION } from '../core/options.js'
import { RACE_SITES } from './page.js'

export interface StartBody { site: string, latency?: string, cpuWork?: string }

export const START_SCHEMA = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['site'],
    properties: { site: { enum: [...RACE_SITES] }, latency: { type: 'string', maxLength: 100 }, cpuWork: { type: 'string', maxLength: 100 } }
  }
}

export const DEFAULT_LATENCY = formatInjection(DEFAULT_INJECTION).latency ?? ''
export const DEFAULT_CPU_WORK = '0ms'
/** As the harness's --cpu-work. */
const MAX_CPU_WORK_MS = 10_000

/** What a race is asked for: one of the book's sites (its injection is its own), or the harness's own server with `injection`. */
export interface RaceRequest {
  book: BookSite | undefined
  injection: InjectionPatch
  cpuWorkMs: number
}

/** The form's CPU work by the harness's rules, so a bad one reads as on its command line. */
function parseCpuWork (text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms > MAX_CPU_WORK_MS) throw invalidOption('--cpu-work', text, `${DURATION_ACCEPTED}, at most 10s`)
  return ms
}

/** Throws a FlagsError naming the field's harness option and what it accepts. */
export function parseStart ({ site, latency, cpuWork }: StartBody): RaceRequest {
  const book = bookSiteByLabel(site)
  const injection = book === undefined ? parseInjectionPatch({ latency: latency ?? DEFAULT_LATENCY }, name => `--${name}`) : {}
  // The CPU work is the client's: with any server.
  return { book, injection, cpuWorkMs: parseCpuWork(cpuWork ?? DEFAULT_CPU_WORK) }
}
