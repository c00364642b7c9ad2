import t from 'tap'
import { littlesLaw } from '../../../../harness/core/load/little.js'

t.test('littlesLaw: throughput against C / mean latency and C / L', async t => {
  const figures = littlesLaw(1000, 45_000, 10_000, 220, 200)
  t.equal(figures.throughput, 4500, 'answers per second')
  t.equal(Math.round(figures.littlesLawRps), 4545, 'C / W')
  t.equal(figures.boundRps, 5000, 'C / L')
  t.equal(figures.boundRatio, 0.9, 'measured over the bound')
  t.equal(Math.round(figures.ratio * 1000), 990)
  t.same(littlesLaw(10, 0, 0, 0, null), { throughput: 0, littlesLawRps: NaN, ratio: NaN, boundRps: null, boundRatio: null }, 'nothing measured: no prediction')
})
