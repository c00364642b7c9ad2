// --expect: thresholds on a report's figures, as k6's thresholds (`async.speedup>=15`,
// `errors==0`, `p99<250ms`). One small grammar, NAME OP VALUE, parsed once on the command line
// (a typo must not wait for the end of a run to be found), judged against the report at the end;
// a miss makes the command exit 3 (EXIT.missed).

import type { HarnessReport } from '../core/result.js'
import type { ModeFigures } from '../core/figures.js'
import { MODE_NAMES } from '../core/modes/registry.js'
import { usageError } from '../../server/contract/errors.js'
import type { LoadReport } from '../core/load/report.js'

export const OPS = ['<=', '>=', '==', '!=', '<', '>'] as const
export type Op = typeof OPS[number]

/**
 * What a figure is, which says what its VALUE may be written in: a duration (a unit ms, s or m,
 * or a bare number in `bare`, the unit its table shows), a ratio (bare, `x` for a speedup, `%`
 * for a share), a count or a rate (bare).
 */
export type FigureKind =
  | { kind: 'duration', bare: 'ms' | 's' }
  | { kind: 'ratio', suffix: 'x' | '%' }
  | { kind: 'count' }
  | { kind: 'rate' }

/** One --expect, parsed: the target in the figure's own unit (ms for a duration). */
export interface Expectation {
  /** As given: async.speedup>=15. */
  expression: string
  /** The figure's name, lower case: async.speedup, errors. */
  name: string
  op: Op
  target: number
  /** The unit of figure and target: ms (every duration), x, ratio, count, req/s. */
  unit: string
}

/** An expectation judged: the figure measured (null when it was not: the miss says so). */
export interface ExpectationResult extends Expectation {
  figure: number | null
  met: boolean
}

/** The figures a command's --expect can name, and how to say them in its --help and errors. */
export interface FigureCatalog {
  /** The kind of the figure `name` names (lower case), or undefined for no such figure. */
  kindOf: (name: string) => FigureKind | undefined
  /** The names, for the one-line usage error. */
  names: string
}

const EXPRESSION = /^([a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)?)\s*(<=|>=|==|!=|<|>)\s*((?:\d+(?:\.\d+)?|\.\d+)(?:ms|s|m|x|%)?)$/
const VALUE = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|x|%)?$/
const MS_PER: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

export const EXPECT_GRAMMAR = 'NAME OP VALUE, OP one of < <= > >= == !=, VALUE a number (a duration with ms, s or m; a bare one in the unit the table shows)'

function unitOf (kind: FigureKind): string {
  switch (kind.kind) {
    case 'duration': return 'ms'
    case 'ratio': return kind.suffix === 'x' ? 'x' : 'ratio'
    case 'count': return 'count'
    case 'rate': return 'req/s'
  }
}

/** The VALUE in the figure's own unit, or undefined when it cannot be written so for this kind. */
function targetOf (kind: FigureKind, amount: number, suffix: string | undefined): number | undefined {
  switch (kind.kind) {
    case 'duration': return amount * (MS_PER[suffix ?? kind.bare] ?? NaN)
    case 'ratio':
      if (suffix === undefined) return amount
      if (suffix === kind.suffix) return suffix === '%' ? amount / 100 : amount
      return undefined
    case 'count':
    case 'rate':
      return suffix === undefined ? amount : undefined
  }
}

/** One --expect, or a one-line usage error naming --expect, what is wrong and the grammar. */
export function parseExpectation (text: string, catalog: FigureCatalog): Expectation {
  const refuse = (why: string): Error => usageError(`--expect: invalid value ${JSON.stringify(text)} (${why}); accepted: ${EXPECT_GRAMMAR}; NAME: ${catalog.names}; e.g. --expect 'async.speedup>=15'`)
  const match = EXPRESSION.exec(text.trim().toLowerCase())
  if (match === null) throw refuse('not NAME OP VALUE')
  const [, name = '', op = '', value = ''] = match
  const kind = catalog.kindOf(name)
  if (kind === undefined) throw refuse(`no figure ${name}`)
  const [, amount = '', suffix] = VALUE.exec(value) ?? []
  const target = targetOf(kind, Number(amount), suffix)
  if (target === undefined || !Number.isFinite(target)) throw refuse(`${name} is ${describeKind(kind)}`)
  return { expression: text.trim(), name, op: op as Op, target, unit: unitOf(kind) }
}

function describeKind (kind: FigureKind): string {
  switch (kind.kind) {
    case 'duration': return `a duration: 200ms, 1.5s, or a bare number of ${kind.bare === 's' ? 'seconds' : 'milliseconds'}`
    case 'ratio': return kind.suffix === 'x' ? 'a ratio: 15 or 15x' : 'a ratio: 0.95 or 95%'
    case 'count': return 'a count: a bare number'
    case 'rate': return 'a rate in requests per second: a bare number'
  }
}

export function compare (figure: number, op: Op, target: number): boolean {
  switch (op) {
    case '<': return figure < target
    case '<=': return figure <= target
    case '>': return figure > target
    case '>=': return figure >= target
    case '==': return figure === target
    case '!=': return figure !== target
  }
}

/** Each expectation against `figureOf`; a figure not measured (null, NaN) misses. */
export function judge (expectations: readonly Expectation[], figureOf: (name: string) => number | null): ExpectationResult[] {
  return expectations.map(expectation => {
    const measured = figureOf(expectation.name)
    const figure = measured === null || !Number.isFinite(measured) ? null : measured
    return { ...expectation, figure, met: figure !== null && compare(figure, expectation.op, expectation.target) }
  })
}

export const missed = (results: readonly ExpectationResult[]): ExpectationResult[] => results.filter(result => !result.met)

function written (n: number, unit: string): string {
  const plain = String(Number(n.toFixed(3)))
  if (unit === 'ms') return `${plain}ms`
  if (unit === 'x') return `${plain}x`
  if (unit === 'req/s') return `${plain} req/s`
  return plain
}

const measuredText = (result: ExpectationResult): string => result.figure === null ? 'not measured' : written(result.figure, result.unit)

/** One line per expectation, after the report: `MISSED  async.speedup >= 100x: 19.3x`. */
export function expectationLine (result: ExpectationResult): string {
  return `${result.met ? 'met   ' : 'MISSED'}  ${result.name} ${result.op} ${written(result.target, result.unit)}: ${measuredText(result)}`
}

/** A miss on stderr, after a --json document: `--expect async.speedup>=100: missed, async.speedup is 19.3x`. */
export function missLine (result: ExpectationResult): string {
  return `--expect ${result.expression}: missed, ${result.name} ${result.figure === null ? 'was not measured' : `is ${measuredText(result)}`}`
}

// ---- the harness's figures -----------------------------------------------------------------

/** Per mode, MODE.NAME; the figure as the report holds it. */
const MODE_FIGURES: Record<string, { kind: FigureKind, of: (m: ModeFigures) => number | null }> = {
  speedup: { kind: { kind: 'ratio', suffix: 'x' }, of: m => m.speedup },
  efficiency: { kind: { kind: 'ratio', suffix: '%' }, of: m => m.efficiency },
  elapsed: { kind: { kind: 'duration', bare: 's' }, of: m => m.elapsedMs },
  ideal: { kind: { kind: 'duration', bare: 's' }, of: m => m.idealMs },
  p50: { kind: { kind: 'duration', bare: 'ms' }, of: m => m.latencyMs.p50 },
  p90: { kind: { kind: 'duration', bare: 'ms' }, of: m => m.latencyMs.p90 },
  p99: { kind: { kind: 'duration', bare: 'ms' }, of: m => m.latencyMs.p99 },
  max: { kind: { kind: 'duration', bare: 'ms' }, of: m => m.latencyMs.max },
  rps: { kind: { kind: 'rate' }, of: m => m.requestsPerSecond },
  ok: { kind: { kind: 'count' }, of: m => m.ok },
  404: { kind: { kind: 'count' }, of: m => m.notFound },
  errors: { kind: { kind: 'count' }, of: m => m.errors },
  'loop-p99': { kind: { kind: 'duration', bare: 'ms' }, of: m => m.eventLoop.delayP99Ms },
  'loop-max': { kind: { kind: 'duration', bare: 'ms' }, of: m => m.eventLoop.delayMaxMs },
  busy: { kind: { kind: 'ratio', suffix: '%' }, of: m => m.eventLoop.utilization }
}

/** Without a mode: summed over the modes run. */
const TOTAL_FIGURES: Record<string, (m: ModeFigures) => number> = { ok: m => m.ok, 404: m => m.notFound, errors: m => m.errors }

export const HARNESS_FIGURES: FigureCatalog = {
  kindOf: name => {
    const [mode, figure] = name.includes('.') ? name.split('.') : [null, name]
    if (mode === null) return figure !== undefined && figure in TOTAL_FIGURES ? { kind: 'count' } : undefined
    if (!(MODE_NAMES as readonly string[]).includes(mode ?? '') || figure === undefined) return undefined
    return MODE_FIGURES[figure]?.kind
  },
  // Spelt out: an object lists an integer key (404) first.
  names: `MODE.FIGURE (MODE: ${MODE_NAMES.join(', ')}; FIGURE: speedup, efficiency, elapsed, ideal, p50, p90, p99, max, rps, ok, 404, errors, loop-p99, loop-max, busy) or a total over the modes (ok, 404, errors)`
}

/** The mode an expectation names, or null for a total. */
export function modeOf (expectation: Expectation): string | null {
  return expectation.name.includes('.') ? expectation.name.split('.')[0] ?? null : null
}

/** A harness figure by its --expect name: null when that mode has no row, or no such figure (speedup without sequential). */
export function harnessFigure (report: Pick<HarnessReport, 'modes'>, name: string): number | null {
  if (!name.includes('.')) {
    const total = TOTAL_FIGURES[name]
    return total === undefined ? null : report.modes.reduce((sum, m) => sum + total(m), 0)
  }
  const [mode, figure = ''] = name.split('.')
  const row = report.modes.find(m => m.mode === mode)
  return row === undefined ? null : MODE_FIGURES[figure]?.of(row) ?? null
}

// ---- the load mode's figures ----------------------------------------------------------------

const LOAD_FIGURES: Record<string, { kind: FigureKind, of: (r: LoadReport) => number | null }> = {
  rps: { kind: { kind: 'rate' }, of: r => r.open?.achievedRps ?? r.throughput },
  requests: { kind: { kind: 'count' }, of: r => r.requests },
  ok: { kind: { kind: 'count' }, of: r => r.ok },
  non2xx: { kind: { kind: 'count' }, of: r => r.non2xx },
  errors: { kind: { kind: 'count' }, of: r => r.errors },
  timeouts: { kind: { kind: 'count' }, of: r => r.timeouts },
  elapsed: { kind: { kind: 'duration', bare: 's' }, of: r => r.elapsedMs },
  mean: { kind: { kind: 'duration', bare: 'ms' }, of: r => r.latencyMs.mean },
  p50: { kind: { kind: 'duration', bare: 'ms' }, of: r => r.latencyMs.p50 },
  p90: { kind: { kind: 'duration', bare: 'ms' }, of: r => r.latencyMs.p90 },
  p99: { kind: { kind: 'duration', bare: 'ms' }, of: r => r.latencyMs.p99 },
  max: { kind: { kind: 'duration', bare: 'ms' }, of: r => r.latencyMs.max },
  /** Measured req/s over Little's law's C / mean latency. */
  littles: { kind: { kind: 'ratio', suffix: '%' }, of: r => r.ratio },
  /** Measured req/s over the bound C / L (a fixed latency only). */
  bound: { kind: { kind: 'ratio', suffix: '%' }, of: r => r.boundRatio },
  /** The open loop's achieved rate over its target. */
  achieved: { kind: { kind: 'ratio', suffix: '%' }, of: r => r.open === null ? null : r.open.achievedRps / r.open.targetRps },
  /** The open loop generator's send lateness, p99. */
  lateness: { kind: { kind: 'duration', bare: 'ms' }, of: r => r.open?.lateness.p99 ?? null },
  /** The open loop's arrivals never sent. */
  dropped: { kind: { kind: 'count' }, of: r => r.open?.dropped ?? null }
}

export const LOAD_FIGURE_CATALOG: FigureCatalog = {
  kindOf: name => LOAD_FIGURES[name]?.kind,
  names: Object.keys(LOAD_FIGURES).join(', ')
}

export function loadFigure (report: LoadReport, name: string): number | null {
  return LOAD_FIGURES[name]?.of(report) ?? null
}
