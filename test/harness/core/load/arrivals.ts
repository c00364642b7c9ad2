import t from 'tap'
import { arrivalOffsets, rampOffsets } from '../../../../harness/core/load/arrivals.js'

const take = (next: () => number, n: number): number[] => Array.from({ length: n }, next)

t.test('uniform: the i-th arrival at i / rate', async t => {
  // 2,000/s: one every 0.5 ms; the millionth at 999,999 × 0.5 ms = 499,999.5 ms, exactly.
  const next = arrivalOffsets('uniform', 2000, 1)
  t.same(take(next, 4), [0, 0.5, 1, 1.5])
  let last = 0
  for (let i = 4; i < 1_000_000; i++) last = next()
  t.equal(last, 499_999.5, 'no rounding error built up')
})

t.test('the warm-up ramp: the rate rising evenly from 0 to the target', async t => {
  // To 1,000/s over 1,000 ms: the arrivals by t are λt²/2T = t²/2000 (t in ms), so the k-th is
  // due at √(2000k) ms: 0, 44.72, 63.25, ..., the 499th at √998000 = 999.0 ms; the 500th would
  // be at 1,000 ms, the schedule's own start: 500 arrivals, λT/2. The last gap, √998000 −
  // √996000 = 998.9995 − 997.9980 = 1.0015 ms, about the target's 1 ms.
  const next = rampOffsets(1000, 1000)
  const offsets: number[] = []
  for (let offset = next(); offset !== null; offset = next()) offsets.push(offset)
  t.equal(offsets.length, 500)
  t.same(offsets.slice(0, 3).map(x => Math.round(x * 100) / 100), [0, 44.72, 63.25])
  t.equal(Math.round((offsets.at(-1) ?? 0) * 10) / 10, 999)
  t.equal(Math.round(((offsets.at(-1) ?? 0) - (offsets.at(-2) ?? 0)) * 10000) / 10000, 1.0015, 'the last gap: about the target rate\'s')
  t.equal(next(), null, 'and no more')
  t.equal(rampOffsets(1000, 0)(), null, 'no warm-up: no arrival')
})

t.test('poisson: one seed, one schedule; gaps of mean 1/rate, spread as an exponential', async t => {
  // 100,000 gaps at 1,000/s: an exponential's mean is 1 ms and so is its standard deviation, so
  // the mean of 100,000 is 1 ms ± 1/√100000 ≈ 0.0032 ms (σ); 5σ is 0.016 ms. The share of gaps
  // above the mean is e^−1 ≈ 0.368, ± √(0.368 × 0.632 / 100000) ≈ 0.0015 (σ).
  const a = take(arrivalOffsets('poisson', 1000, 42), 100_001)
  t.same(take(arrivalOffsets('poisson', 1000, 42), 100_001), a, 'the same seed: the same offsets')
  t.not(take(arrivalOffsets('poisson', 1000, 43), 10).join(), a.slice(0, 10).join(), 'another seed: another schedule')
  t.equal(a[0], 0, 'the first arrival at the start')
  const gaps = a.slice(1).map((x, i) => x - (a[i] ?? 0))
  const mean = (a.at(-1) ?? 0) / gaps.length
  t.ok(Math.abs(mean - 1) <= 0.016, `mean gap ${mean} ms`)
  const above = gaps.filter(g => g > 1).length / gaps.length
  t.ok(Math.abs(above - Math.exp(-1)) <= 5 * 0.0015, `share above the mean ${above}`)
  t.ok(gaps.every(g => g >= 0), 'never backwards')
  t.same(take(arrivalOffsets('poisson', 1000, 2 ** 40 + 5), 3), take(arrivalOffsets('poisson', 1000, 2 ** 40 + 5), 3), 'a seed past 32 bits')
})
