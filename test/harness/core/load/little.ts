import t from 'tap'
import { littlesLaw } from '../../../../harness/core/load/little.js'

t.test('littlesLaw: throughput against C / mean latency and C / L', async t => {
  // 1,000 connections at 4,500 req/s, W = 220 ms, L = 200 ms: C/W = 1000 / 0.22 s ≈ 4,545 req/s,
  // so λW/C = 4500 × 0.22 / 1000 = 0.99; C/L = 5,000 req/s, 4,500 of it is 0.9.
  const figures = littlesLaw(1000, 4500, 220, 200)
  t.equal(figures.throughput, 4500, 'answers per second')
  t.equal(Math.round(figures.littlesLawRps), 4545, 'C / W')
  t.equal(figures.boundRps, 5000, 'C / L')
  t.equal(figures.boundRatio, 0.9, 'measured over the bound')
  t.equal(Math.round(figures.ratio * 1000), 990)
  t.same(littlesLaw(10, 0, NaN, null), { throughput: 0, littlesLawRps: NaN, ratio: NaN, boundRps: null, boundRatio: null }, 'nothing measured: no prediction')
})
