import t from 'tap'
import { idealMakespan } from '../../../harness/core/ideal.js'

t.test('list scheduling in dispatch order', async t => {
  t.equal(idealMakespan([200, 200, 200], 1), 600, 'one slot: the sum')
  t.equal(idealMakespan(Array(20).fill(200), 20), 200, 'as many slots as requests: the longest')
  t.equal(idealMakespan(Array(20).fill(200), 5), 800, '20 equal delays over 5 slots: 4 rounds')
  t.equal(idealMakespan([500, 100, 100, 100, 100, 100], 2), 500, 'short ones fill the other slot while the long one runs')
  t.equal(idealMakespan([100, 100, 500], 2), 600, 'dispatch order matters: the long one starts last')
  t.equal(idealMakespan([], 4), 0, 'nothing to do')
  t.equal(idealMakespan([300, 100], 50), 300, 'more slots than requests')
})

t.test('speedup grows with concurrency until the number of requests caps it (Little\'s law)', async t => {
  const delays = Array(20).fill(100)
  const speedups = [1, 2, 5, 10, 20, 50].map(c => 2000 / idealMakespan(delays, c))
  t.same(speedups, [1, 2, 5, 10, 20, 20])
})
