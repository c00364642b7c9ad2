// The injection: what a site does to each request, as one typed value. One table of rules
// parses it at every edge (a command-line flag, an environment variable, the admin API, a
// per-request override) and turns it back into text only where text is needed: the wire
// (x-flags-* headers, a child server's arguments, the admin API) and reports.

import { DURATION_ACCEPTED, formatDuration, parseDuration } from './duration.js'
import { invalidOption, unknownOption } from './errors.js'

export type Latency =
  | { kind: 'fixed', ms: number }
  | { kind: 'uniform', minMs: number, maxMs: number }
  | { kind: 'normal', medianMs: number, spreadMs: number }
  | { kind: 'lognormal', medianMs: number, sigma: number }

export interface StatusRate { status: number, rate: number }

export interface Injection {
  latency: Latency
  /** Uniform ± jitter in ms, added to every drawn latency. */
  jitter: number
  /** Every delay, and every hang or slow body, ends by this many ms. */
  maxLatency: number
  errorRate: readonly StatusRate[]
  resetRate: number
  hangRate: number
  slowRate: number
  slowBps: number
  truncateRate: number
}

export type InjectionKey = keyof Injection

interface Rule<T> {
  accepted: string
  /** What the value is and what it does, for a command's --help; `metavar` names the value there. */
  help: string
  metavar: string
  /** undefined when the text is not a valid value. */
  parse: (text: string) => T | undefined
  format: (value: T) => string
}

const RATE_ACCEPTED = 'a number from 0 to 1, e.g. 0.25'

function parseRate (text: string): number | undefined {
  if (!/^(0|1|0?\.\d+|[01](\.\d+)?)$/.test(text.trim())) return undefined
  const rate = Number(text)
  return rate >= 0 && rate <= 1 ? rate : undefined
}

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

/**
 * A number as plain decimals, never 1e-7 (String's form below 1e-6): what parseRate and
 * parseSigma take back, so that a value the server shows or sends parses again.
 */
function formatDecimal (n: number): string {
  const [mantissa = '', exponent] = String(n).split('e')
  if (exponent === undefined) return mantissa
  const fractionDigits = (mantissa.split('.')[1] ?? '').length - Number(exponent)
  return n.toFixed(Math.min(100, Math.max(0, fractionDigits)))
}

function formatLatency (latency: Latency): string {
  switch (latency.kind) {
    case 'fixed': return formatDuration(latency.ms)
    case 'uniform': return `${formatDuration(latency.minMs)}..${formatDuration(latency.maxMs)}`
    case 'normal': return `normal:${formatDuration(latency.medianMs)},${formatDuration(latency.spreadMs)}`
    case 'lognormal': return `lognormal:${formatDuration(latency.medianMs)},${formatDecimal(latency.sigma)}`
  }
}

/** The book's slow server answers 418 (I'm a teapot); a bare rate keeps that. */
export const DEFAULT_ERROR_STATUS = 418

function parseErrorRate (text: string): StatusRate[] | undefined {
  const bare = parseRate(text)
  if (bare !== undefined) return bare === 0 ? [] : [{ status: DEFAULT_ERROR_STATUS, rate: bare }]
  const statuses: StatusRate[] = []
  for (const part of text.split(',')) {
    // Exactly STATUS:RATE: a third field (500:0.1:garbage) is refused, not dropped.
    const fields = part.split(':')
    if (fields.length !== 2) return undefined
    const [status = '', rateText = ''] = fields
    const code = Number(status)
    const rate = parseRate(rateText)
    if (!/^\d{3}$/.test(status.trim()) || code < 400 || code > 599 || rate === undefined) return undefined
    if (statuses.some(s => s.status === code)) return undefined
    statuses.push({ status: code, rate })
  }
  return statuses
}

function formatErrorRate (statuses: readonly StatusRate[]): string {
  return statuses.length === 0 ? '0' : statuses.map(s => `${s.status}:${formatDecimal(s.rate)}`).join(',')
}

function durationRule (max: number, help: string): Rule<number> {
  return {
    help,
    metavar: 'DURATION',
    accepted: `${DURATION_ACCEPTED}, at most ${formatDuration(max)}`,
    parse: text => {
      const ms = parseDuration(text)
      return ms !== undefined && ms <= max ? ms : undefined
    },
    format: formatDuration
  }
}

function rateRule (help: string): Rule<number> {
  return { help, metavar: 'RATE', accepted: RATE_ACCEPTED, parse: parseRate, format: formatDecimal }
}

/** One day: a bound on --max-latency so a typo cannot hold sockets for a year. */
const MAX_MAX_LATENCY_MS = 86_400_000

export const RULES: { readonly [K in InjectionKey]: Rule<Injection[K]> } = {
  latency: { help: '200ms | 500ms..5s (uniform) | normal:200ms,50ms | lognormal:200ms,0.5', metavar: 'SPEC', accepted: LATENCY_ACCEPTED, parse: parseLatency, format: formatLatency },
  jitter: durationRule(MAX_MAX_LATENCY_MS, '± uniform jitter added to the latency'),
  maxLatency: durationRule(MAX_MAX_LATENCY_MS, 'every delay, hang and slow body ends by then'),
  errorRate: {
    help: `0.25 (answered ${DEFAULT_ERROR_STATUS}) or STATUS:RATE pairs, e.g. 500:0.1,503:0.05`,
    metavar: 'RATE|LIST',
    accepted: `${RATE_ACCEPTED} (answered ${DEFAULT_ERROR_STATUS}), or STATUS:RATE pairs with statuses 400-599, e.g. 500:0.1,503:0.05`,
    parse: parseErrorRate,
    format: formatErrorRate
  },
  resetRate: rateRule('connection reset (TCP RST) instead of an answer'),
  hangRate: rateRule('no answer until --max-latency, then the connection closes'),
  slowRate: rateRule('body sent at --slow-bps bytes per second'),
  slowBps: {
    help: 'bytes per second of a slow body',
    metavar: 'N',
    accepted: 'a whole number of bytes per second from 1 to 1000000000',
    parse: text => /^\d+$/.test(text.trim()) && Number(text) >= 1 && Number(text) <= 1e9 ? Number(text) : undefined,
    format: String
  },
  truncateRate: rateRule('half the body, then the connection closes')
}

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

export const NO_INJECTION: Injection = Object.freeze({
  latency: Object.freeze({ kind: 'fixed', ms: 0 }),
  jitter: 0,
  maxLatency: 30_000,
  errorRate: Object.freeze([]),
  resetRate: 0,
  hangRate: 0,
  slowRate: 0,
  slowBps: 2048,
  truncateRate: 0
})

/** The share of requests that get some fault: it can't exceed 1. */
export function faultRateTotal (injection: Injection): number {
  const errors = injection.errorRate.reduce((sum, s) => sum + s.rate, 0)
  return errors + injection.resetRate + injection.hangRate + injection.slowRate + injection.truncateRate
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

/** `base` with `patch` on top, checked as a whole: the fault rates must still add up to at most 1. */
export function applyInjection (base: Injection, patch: InjectionPatch, spell: (name: string) => string): Injection {
  const injection: Injection = Object.freeze({ ...base, ...patch })
  const total = faultRateTotal(injection)
  if (total > 1 + 1e-9) {
    const names = ['error-rate', 'reset-rate', 'hang-rate', 'slow-rate', 'truncate-rate'].map(spell).join(' + ')
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
