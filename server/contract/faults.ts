// The fault kinds: one entry each, and everything else derives from this table (the typed
// injection and its options, flags, environment variables, admin fields and per-request
// overrides; the fate drawing; the metrics labels; the client's fault accounting; the help).
// The server's behaviour for each kind is a map keyed by FaultKind (server/inject.ts), so a
// kind added here without one does not compile.

import { durationRule, formatDecimal, parseRate, RATE_ACCEPTED, rateRule, type Rule, type RuleValue } from './rules.js'

export interface StatusRate { status: number, rate: number }

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

const ERROR_RATE: Rule<readonly StatusRate[]> = {
  accepted: `${RATE_ACCEPTED} (answered ${DEFAULT_ERROR_STATUS}), or STATUS:RATE pairs with statuses 400-599, e.g. 500:0.1,503:0.05`,
  metavar: 'RATE|LIST',
  help: `0.25 (answered ${DEFAULT_ERROR_STATUS}) or STATUS:RATE pairs, e.g. 500:0.1,503:0.05`,
  default: Object.freeze([]),
  parse: parseErrorRate,
  format: statuses => statuses.length === 0 ? '0' : statuses.map(s => `${s.status}:${formatDecimal(s.rate)}`).join(',')
}

const SLOW_BPS_DEFAULT = 2048
const SLOW_BPS: Rule<number> = {
  accepted: 'a whole number of bytes per second from 1 to 1000000000',
  metavar: 'N',
  help: 'bytes per second of a slow body',
  default: SLOW_BPS_DEFAULT,
  parse: text => /^\d+$/.test(text.trim()) && Number(text) >= 1 && Number(text) <= 1e9 ? Number(text) : undefined,
  format: String
}

/** A congested link's pause: long enough to see in a run of the lab, short beside the default 30 s cap. */
const STALL_FOR_DEFAULT_MS = 1000

/** One share of [0, 1) a kind's rate takes: a kind with a list of rates (an HTTP status each) takes several. */
interface Slice { rate: number, status?: number }

interface FaultSpec<Options extends Readonly<Record<string, Rule<unknown>>>> {
  /** Its options keyed as the injection keys them, the rate first: --stall-rate, ?stall-for=, FLAGS_STALL_FOR derive. */
  options: Options
  /** The shares of [0, 1) its rate takes when a fate is drawn. */
  slices: (values: { [K in keyof Options]: RuleValue<Options[K]> }) => readonly Slice[]
  /** What else the server's metrics count it as: a hang past --max-hung is answered 503, "hang-refused". */
  alsoCounted: readonly string[]
}

/** Written as a call so that each entry's options type its `slices`. */
function faultKind<Options extends Readonly<Record<string, Rule<unknown>>>> (spec: FaultSpec<Options>): FaultSpec<Options> {
  return spec
}

// The order is the drawing's: each kind's slices follow the ones before it in [0, 1), so a kind
// added at the end leaves every fate drawn before unchanged.
export const FAULTS = {
  http: faultKind({
    options: { errorRate: ERROR_RATE },
    slices: ({ errorRate }) => errorRate,
    alsoCounted: []
  }),
  reset: faultKind({
    options: { resetRate: rateRule('connection reset (TCP RST) instead of an answer') },
    slices: ({ resetRate }) => [{ rate: resetRate }],
    alsoCounted: []
  }),
  hang: faultKind({
    options: { hangRate: rateRule('no answer until --max-latency, then the connection closes') },
    slices: ({ hangRate }) => [{ rate: hangRate }],
    alsoCounted: ['hang-refused']
  }),
  slow: faultKind({
    options: { slowRate: rateRule('body sent at --slow-bps bytes per second'), slowBps: SLOW_BPS },
    slices: ({ slowRate }) => [{ rate: slowRate }],
    alsoCounted: []
  }),
  truncate: faultKind({
    options: { truncateRate: rateRule('half the body, then the connection closes') },
    slices: ({ truncateRate }) => [{ rate: truncateRate }],
    alsoCounted: []
  }),
  stall: faultKind({
    options: {
      stallRate: rateRule('half the body, a pause of --stall-for, then the rest'),
      stallFor: durationRule('how long a stalled body pauses', STALL_FOR_DEFAULT_MS)
    },
    slices: ({ stallRate }) => [{ rate: stallRate }],
    alsoCounted: []
  })
}

export type FaultKind = keyof typeof FAULTS
export const FAULT_KINDS = Object.keys(FAULTS) as FaultKind[]

type PlainKind = Exclude<FaultKind, 'http'>

/** A request's fault as drawn, one type per kind: an HTTP error carries its status. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'http', status: number }
  | { [K in PlainKind]: { kind: K } }[PlainKind]

type OptionsOf<K extends FaultKind> = typeof FAULTS[K]['options']
type FaultOptionKey = { [K in FaultKind]: keyof OptionsOf<K> }[FaultKind]

/** Every fault kind's options, typed: errorRate, resetRate, ..., stallFor. */
export type FaultOptions = {
  [O in FaultOptionKey]: { [K in FaultKind]: O extends keyof OptionsOf<K> ? RuleValue<OptionsOf<K>[O]> : never }[FaultKind]
}

/** How a fault is named in Server-Timing, in the metrics and in the client's records: none, http-418, reset, stall... */
export function faultName (fault: Fault): string {
  return fault.kind === 'http' ? `http-${fault.status}` : fault.kind
}
