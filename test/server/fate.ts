import t from 'tap'
import { fate, fateUniforms, fixedFate, serverTiming } from '../../server/fate.js'
import { NO_INJECTION, parseInjection } from '../../server/contract/injection.js'
import { injectionOf } from '../fixtures/site.js'

const PATHS = Array.from({ length: 20_000 }, (_, i) => `/flags/${i.toString(36)}/${i.toString(36)}.gif`)

function stats (values: number[]): { mean: number, median: number, min: number, max: number, sd: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const mean = values.reduce((s, v) => s + v, 0) / values.length
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length)
  return { mean, median: sorted[Math.floor(sorted.length / 2)] ?? NaN, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, sd }
}

t.test('a fate depends on the seed, the path and the salt only', async t => {
  const injection = injectionOf({ latency: '500ms..5s', 'error-rate': '0.25', 'reset-rate': '0.1' })
  t.same(fate(7, '/flags/br/br.gif', '', injection), fate(7, '/flags/br/br.gif', '', injection), 'same inputs, same fate')
  const differ = (f: (p: string) => unknown, g: (p: string) => unknown): number => PATHS.slice(0, 200).filter(p => JSON.stringify(f(p)) !== JSON.stringify(g(p))).length
  t.ok(differ(p => fate(7, p, '', injection), p => fate(8, p, '', injection)) > 190, 'another seed draws other fates')
  t.ok(differ(p => fate(7, p, '', injection), p => fate(7, p, 'class-b', injection)) > 190, 'another salt draws other fates')
  t.ok(differ(p => fate(Number.MAX_SAFE_INTEGER, p, '', injection), p => fate(Number.MAX_SAFE_INTEGER - 2 ** 32, p, '', injection)) > 190, 'the high bits of the seed count too')
})

t.test('uniforms are uniform and independent', async t => {
  const draws = PATHS.map(p => fateUniforms(1, p, ''))
  for (let i = 0; i < 4; i++) {
    const s = stats(draws.map(d => d[i] ?? NaN))
    t.ok(Math.abs(s.mean - 0.5) < 0.01, `uniform ${i}: mean ${s.mean.toFixed(4)} is near 1/2`)
    t.ok(s.min >= 0 && s.max < 1, `uniform ${i} stays in [0, 1)`)
  }
  const n = draws.length
  const mean = (i: number): number => draws.reduce((s, d) => s + (d[i] ?? 0), 0) / n
  const m0 = mean(0)
  const m3 = mean(3)
  const covariance = draws.reduce((s, d) => s + ((d[0] ?? 0) - m0) * ((d[3] ?? 0) - m3), 0) / n
  t.ok(Math.abs(covariance / (1 / 12)) < 0.03, `latency and fault draws are uncorrelated (r = ${(covariance * 12).toFixed(4)})`)
})

t.test('distribution parameters hold for a fixed seed over many paths', async t => {
  const delays = (options: Record<string, string>): number[] => PATHS.map(p => fate(2024, p, '', injectionOf(options)).delayMs)

  const fixed = stats(delays({ latency: '200ms' }))
  t.same([fixed.min, fixed.max], [200, 200], 'fixed latency is exact')

  const uniform = stats(delays({ latency: '500ms..5s' }))
  t.ok(uniform.min >= 500 && uniform.max <= 5000, 'uniform stays within its range')
  t.ok(Math.abs(uniform.mean - 2750) < 30, `uniform mean ${uniform.mean.toFixed(1)} ms is near 2750 ms`)
  t.ok(Math.abs(uniform.sd - 4500 / Math.sqrt(12)) < 30, `uniform sd ${uniform.sd.toFixed(1)} is near ${(4500 / Math.sqrt(12)).toFixed(1)}`)

  const normal = stats(delays({ latency: 'normal:1s,100ms' }))
  t.ok(Math.abs(normal.median - 1000) < 5, `normal median ${normal.median.toFixed(1)} ms is near 1000 ms`)
  t.ok(Math.abs(normal.sd - 100) < 3, `normal sd ${normal.sd.toFixed(1)} ms is near 100 ms`)

  const lognormal = delays({ latency: 'lognormal:200ms,0.5' })
  t.ok(Math.abs(stats(lognormal).median - 200) < 5, `lognormal median ${stats(lognormal).median.toFixed(1)} ms is near 200 ms`)
  const logs = stats(lognormal.map(ms => Math.log(ms)))
  t.ok(Math.abs(logs.sd - 0.5) < 0.02, `lognormal sigma ${logs.sd.toFixed(3)} is near 0.5`)

  const jittered = stats(delays({ latency: '100ms', jitter: '20ms' }))
  t.ok(jittered.min >= 80 && jittered.max <= 120, 'jitter stays within ±20 ms')
  t.ok(Math.abs(jittered.mean - 100) < 1, 'jitter is centred')
})

t.test('delays are clamped to [0, max-latency]', async t => {
  const wide = stats(PATHS.map(p => fate(3, p, '', injectionOf({ latency: 'normal:100ms,1s', 'max-latency': '1.5s' })).delayMs))
  t.equal(wide.min, 0, 'never below zero')
  t.equal(wide.max, 1500, 'never above --max-latency')
  t.equal(fate(3, '/x', '', injectionOf({ latency: '1m', 'max-latency': '2s' })).delayMs, 2000, 'a fixed latency above the cap is capped')
})

t.test('fault rates hold, by kind', async t => {
  const injection = injectionOf({ 'error-rate': '500:0.1,503:0.05', 'reset-rate': '0.05', 'hang-rate': '0.02', 'slow-rate': '0.03', 'truncate-rate': '0.04' })
  const counts = new Map<string, number>()
  for (const p of PATHS) {
    const { fault } = fate(11, p, '', injection)
    const name = fault.kind === 'http' ? `http-${fault.status}` : fault.kind
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  const expected: Record<string, number> = { 'http-500': 0.1, 'http-503': 0.05, reset: 0.05, hang: 0.02, slow: 0.03, truncate: 0.04, none: 0.71 }
  for (const [name, rate] of Object.entries(expected)) {
    const seen = (counts.get(name) ?? 0) / PATHS.length
    // Five standard errors of a binomial proportion over 20,000 draws.
    const tolerance = 5 * Math.sqrt(rate * (1 - rate) / PATHS.length)
    t.ok(Math.abs(seen - rate) <= tolerance, `${name}: ${seen.toFixed(4)} is within ${tolerance.toFixed(4)} of ${rate}`)
  }
  t.equal(PATHS.filter(p => fate(11, p, '', injectionOf({})).fault.kind !== 'none').length, 0, 'no rates, no faults')
  t.equal(PATHS.filter(p => fate(11, p, '', injectionOf({ 'reset-rate': '1' })).fault.kind !== 'reset').length, 0, 'rate 1, every request')
})

t.test('a stall takes its share after the other kinds, and leaves their fates as they were', async t => {
  const before = injectionOf({ 'error-rate': '500:0.1', 'reset-rate': '0.05', 'truncate-rate': '0.05' })
  const injection = injectionOf({ 'error-rate': '500:0.1', 'reset-rate': '0.05', 'truncate-rate': '0.05', 'stall-rate': '0.2' })
  const drawn = PATHS.map(p => [fate(5, p, '', before).fault, fate(5, p, '', injection).fault] as const)
  t.equal(drawn.filter(([was, is]) => was.kind !== 'none' && JSON.stringify(was) !== JSON.stringify(is)).length, 0, 'every fault drawn before is drawn again')
  t.equal(drawn.filter(([was, is]) => is.kind === 'stall' && was.kind !== 'none').length, 0, 'a stall only where none was')
  // The stall's slice is [0.2, 0.4) of u: 0.2 of the draws, within five standard errors over 20,000.
  const seen = drawn.filter(([, is]) => is.kind === 'stall').length / PATHS.length
  const tolerance = 5 * Math.sqrt(0.2 * 0.8 / PATHS.length)
  t.ok(Math.abs(seen - 0.2) <= tolerance, `stall: ${seen.toFixed(4)} is within ${tolerance.toFixed(4)} of 0.2`)
})

t.test('Server-Timing carries the fate', async t => {
  t.equal(serverTiming({ delayMs: 812.5, fault: { kind: 'http', status: 418 } }), 'delay;dur=812.5, fault;desc="http-418"')
  t.equal(serverTiming({ delayMs: 1 / 3, fault: { kind: 'none' } }), 'delay;dur=0.333, fault;desc="none"')
})

t.test('a fixed fate: what fate() draws for every seed, path and salt, when nothing is left to chance', async t => {
  const fixed = fixedFate(parseInjection({ latency: '200ms' }, NO_INJECTION, name => name))
  t.same(fixed, { delayMs: 200, fault: { kind: 'none' } })
  for (const [seed, path, salt] of [[1, '/flags/br/br.gif', ''], [7, '/flags/zz/zz.gif', 'a.1'], [99, '/x', 'run-2']] as const) {
    t.same(fate(seed, path, salt, parseInjection({ latency: '200ms' }, NO_INJECTION, name => name)), fixed, `the same as fate() for ${path} ${salt}`)
  }
  t.same(fixedFate(parseInjection({ latency: '40s' }, NO_INJECTION, name => name))?.delayMs, 30_000, 'capped by --max-latency, as fate() is')
  t.same(fixedFate(NO_INJECTION), { delayMs: 0, fault: { kind: 'none' } }, 'no injection: no delay, no fault')
  for (const drawn of [{ latency: '100ms..200ms' }, { latency: '200ms', jitter: '5ms' }, { latency: '0ms', 'error-rate': '0.01' }, { 'hang-rate': '0.5' }]) {
    t.equal(fixedFate(parseInjection(drawn, NO_INJECTION, name => name)), null, `${JSON.stringify(drawn)} draws`)
  }
})
