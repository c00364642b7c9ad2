// The injection: what a site does to each request, as one typed value. One table of rules
// parses it at every edge (a command-line flag, an environment variable, the admin API, a
// per-request override) and turns it back into text only where text is needed: the wire
// (x-flags-* headers, a child server's arguments, the admin API) and reports. The table is the
// latency's three options and then each fault kind's (faults.ts).

import { DEFAULT_ERROR_STATUS, FAULT_KINDS, FAULTS, type Fault, type FaultKind, type FaultOptions } from './faults.js'
import { durationRule, formatDecimal, type Rule } from './rules.js'
import { formatDuration, parseDuration } from './duration.js'
import { invalidOption, unknownOption } from './errors.js'

export type Latency =
  | { kind: 'fixed', ms: number }
  | { kind: 'uniform', minMs: number, maxMs: number }
  | { kind: 'normal', medianMs: number, spreadMs: number }
  | { kind: 'lognormal', medianMs: number, sigma: number }

interface LatencyOptions {
  latency: Latency
  /** Uniform ± jitter in ms, added to every drawn latency. */
  jitter: number
  /** Every delay, and every hang, slow body or stall, ends by this many ms. */
  maxLatency: number
}

export type Injection = LatencyOptions & FaultOptions

export type InjectionKey = keyof Injection

const LATENCY_ACCEPTED = 'a duration (200ms), a range (500ms..5s), normal:MEDIAN,SPREAD (normal:200ms,50ms) or lognormal:MEDIAN,SIGMA (lognormal:200ms,0.5)'

/** A plain decimal, as the durations take it: no 0x1, 1e0, Infinity or sign, which Number() would take. */
const DECIMAL = /^(\d+(\.\d+)?|\.\d+)$/

/** The sigma of lognormal:MEDIAN,SIGMA: a plain decimal from 0 to 5. */
function parseSigma (text: string): number | undefined {
  if (!DECIMAL.test(text.trim())) return undefined
  const sigma = Number(text)
  return sigma <= 5 ? sigma : undefined
}

/** normal:MEDIAN,SPREAD or lognormal:MEDIAN,SIGMA: exactly two arguments, nothing after them. */
function parseDistribution (kind: string, args: string): Latency | undefined {
  const parts = args.split(',')
  if (parts.length !== 2) return undefined
  const [median = '', spread = ''] = parts
  const medianMs = parseDuration(median)
  if (medianMs === undefined) return undefined
  if (kind === 'normal') {
    const spreadMs = parseDuration(spread)
    return spreadMs === undefined ? undefined : { kind, medianMs, spreadMs }
  }
  if (kind === 'lognormal') {
    const sigma = parseSigma(spread)
    return sigma === undefined ? undefined : { kind, medianMs, sigma }
  }
  return undefined
}

// Every part goes through parseDuration or parseSigma, whose patterns are anchored at both ends:
// split() with a limit, or destructuring fewer names than parts, used to drop what followed
// (normal:100ms,10ms:garbage was accepted).
function parseLatency (text: string): Latency | undefined {
  const colon = text.indexOf(':')
  if (colon !== -1) return parseDistribution(text.slice(0, colon), text.slice(colon + 1))
  const bounds = text.split('..')
  if (bounds.length === 2) {
    const [minMs, maxMs] = bounds.map(b => parseDuration(b))
    if (minMs === undefined || maxMs === undefined || minMs > maxMs) return undefined
    return { kind: 'uniform', minMs, maxMs }
  }
  const ms = parseDuration(text)
  return ms === undefined ? undefined : { kind: 'fixed', ms }
}

function formatLatency (latency: Latency): string {
  switch (latency.kind) {
    case 'fixed': return formatDuration(latency.ms)
    case 'uniform': return `${formatDuration(latency.minMs)}..${formatDuration(latency.maxMs)}`
    case 'normal': return `normal:${formatDuration(latency.medianMs)},${formatDuration(latency.spreadMs)}`
    case 'lognormal': return `lognormal:${formatDuration(latency.medianMs)},${formatDecimal(latency.sigma)}`
  }
}

const LATENCY_RULES: { readonly [K in keyof LatencyOptions]: Rule<LatencyOptions[K]> } = {
  latency: {
    accepted: LATENCY_ACCEPTED,
    metavar: 'SPEC',
    help: '200ms | 500ms..5s (uniform) | normal:200ms,50ms | lognormal:200ms,0.5',
    default: Object.freeze({ kind: 'fixed', ms: 0 }),
    parse: parseLatency,
    format: formatLatency
  },
  jitter: durationRule('± uniform jitter added to the latency', 0),
  maxLatency: durationRule('every delay, hang, slow body and stall ends by then', 30_000)
}

// Each fault kind's options are typed by its own entry in FAULTS, and FaultOptions is built from
// those very entries: the spread is what the type says.
export const RULES = Object.freeze(Object.assign({ ...LATENCY_RULES }, ...FAULT_KINDS.map(kind => FAULTS[kind].options))) as { readonly [K in InjectionKey]: Rule<Injection[K]> }

export const INJECTION_KEYS = Object.keys(RULES) as InjectionKey[]

/** The name people type: maxLatency → max-latency (flag --max-latency, query max-latency). */
export function optionName (key: InjectionKey): string {
  return key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
}

/** Every injection option's name: latency, jitter, max-latency, ... */
export const INJECTION_NAMES: readonly string[] = INJECTION_KEYS.map(optionName)

/** The environment variable for an option: max-latency → FLAGS_MAX_LATENCY. */
export function envName (name: string): string {
  return `FLAGS_${name.replace(/-/g, '_').toUpperCase()}`
}

function parseValue<K extends InjectionKey> (key: K, text: string): Injection[K] | undefined {
  const rule: Rule<Injection[K]> = RULES[key]
  return rule.parse(text)
}

function formatValue<K extends InjectionKey> (key: K, injection: InjectionPatch): string {
  const rule: Rule<Injection[K]> = RULES[key]
  return rule.format(injection[key] as Injection[K])
}

const KEY_BY_NAME = new Map(INJECTION_KEYS.map(key => [optionName(key), key]))

/** Every option at its rule's default: no delay and no fault. (Keyed by INJECTION_KEYS, so every key of Injection is there.) */
export const NO_INJECTION: Injection = Object.freeze(Object.fromEntries(INJECTION_KEYS.map(key => [key, RULES[key].default]))) as unknown as Injection

/** A fault a site draws, with its share of [0, 1), and what else the metrics count it as. */
export interface FaultShare {
  fault: Fault
  rate: number
  alsoCounted: readonly string[]
}

const SHARES = new WeakMap<Injection, readonly FaultShare[]>()

/**
 * The faults `injection` draws, in drawing order, those with no share left out. Worked out once
 * per injection (a site's, or one a request's override made) and kept while it lives.
 */
export function faultShares (injection: Injection): readonly FaultShare[] {
  let shares = SHARES.get(injection)
  if (shares === undefined) {
    shares = Object.freeze(FAULT_KINDS.flatMap(kind => FAULTS[kind].slices(injection).filter(({ rate }) => rate > 0).map(({ rate, status }) => {
      const fault: Fault = kind === 'http' ? { kind, status: status ?? DEFAULT_ERROR_STATUS } : { kind }
      return Object.freeze({ fault: Object.freeze(fault), rate, alsoCounted: FAULTS[kind].alsoCounted })
    })))
    SHARES.set(injection, shares)
  }
  return shares
}

/** The share of requests that get some fault: it can't exceed 1. */
export function faultRateTotal (injection: Injection): number {
  return faultShares(injection).reduce((sum, { rate }) => sum + rate, 0)
}

/** Only the options someone gave, typed: what a client asks of a server on top of its own. */
export type InjectionPatch = Partial<Injection>

/**
 * Parse the options in `raw` (keyed by option name: latency, max-latency, ...), each by its
 * rule. `spell` turns an option name into the way its source spells it, for the error message.
 * Only the keys in `allowed` may appear.
 */
export function parseInjectionPatch (
  raw: Readonly<Record<string, unknown>>,
  spell: (name: string) => string,
  allowed: readonly InjectionKey[] = INJECTION_KEYS
): InjectionPatch {
  const patch: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(raw)) {
    const key = KEY_BY_NAME.get(name)
    if (key === undefined || !allowed.includes(key)) throw unknownOption(spell(name), allowed.map(k => spell(optionName(k))))
    const parsed = typeof value === 'string' || typeof value === 'number' ? parseValue(key, String(value)) : undefined
    if (parsed === undefined) throw invalidOption(spell(name), value, RULES[key].accepted)
    patch[key] = parsed
  }
  return Object.freeze(patch) as InjectionPatch
}

/** Each fault kind's rate option (its first): http's is error-rate, reset's reset-rate, ... */
export const FAULT_RATE_NAMES = Object.fromEntries(FAULT_KINDS.map(kind => [kind, optionName(Object.keys(FAULTS[kind].options)[0] as InjectionKey)])) as { readonly [K in FaultKind]: string }

/** `base` with `patch` on top, checked as a whole: the fault rates must still add up to at most 1. */
export function applyInjection (base: Injection, patch: InjectionPatch, spell: (name: string) => string): Injection {
  const injection: Injection = Object.freeze({ ...base, ...patch })
  const total = faultRateTotal(injection)
  if (total > 1 + 1e-9) {
    const names = Object.values(FAULT_RATE_NAMES).map(spell).join(' + ')
    throw invalidOption(names, Number(total.toFixed(6)), 'rates that add up to at most 1')
  }
  return injection
}

/** parseInjectionPatch, then applyInjection on top of `base`. */
export function parseInjection (
  raw: Readonly<Record<string, unknown>>,
  base: Injection,
  spell: (name: string) => string,
  allowed: readonly InjectionKey[] = INJECTION_KEYS
): Injection {
  return applyInjection(base, parseInjectionPatch(raw, spell, allowed), spell)
}

/**
 * The options given, as option name → text: the one way back to text, for the wire (the admin
 * API, x-flags-* headers, a child server's arguments) and for reports.
 */
export function formatInjection (injection: InjectionPatch): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of INJECTION_KEYS) {
    if (injection[key] !== undefined) out[optionName(key)] = formatValue(key, injection)
  }
  return out
}

const PLAIN_TEXT = formatInjection(NO_INJECTION)

/**
 * A short human line with only what differs from no injection: "latency 500ms..5s, error-rate
 * 418:0.25". It reads the text form, so a report can describe what a server said of itself
 * without parsing it again.
 */
export function describeInjectionText (text: Readonly<Record<string, string>>): string {
  return Object.entries(text)
    .filter(([name, value]) => name === 'latency' || value !== PLAIN_TEXT[name])
    .map(([name, value]) => `${name} ${value}`)
    .join(', ')
}

export function describeInjection (injection: Injection): string {
  return describeInjectionText(formatInjection(injection))
}
