import t from 'tap'
import { idealSpeedup, verdicts, type LaneTime } from '../../../harness/race/lane-verdicts.js'

// 20 flags at a fixed 100 ms, no CPU work: sequential's ideal is 20 × 100 = 2000 ms; pooled's
// and async's, 20 at once, 100 ms.
const sequential: LaneTime = { mode: 'sequential', elapsedMs: 2100, idealMs: 2000 }
const pooled: LaneTime = { mode: 'pooled', elapsedMs: 120, idealMs: 100 }
const async: LaneTime = { mode: 'async', elapsedMs: 180, idealMs: 100 }

t.test('the ideal speedup: sequential\'s ideal over the lane\'s', async t => {
  t.equal(idealSpeedup(sequential, pooled), 20, '2000 / 100 ms')
  // 20 flags with 20 ms of CPU work each after a 100 ms wait: sequential 20 × (100 + 20) = 2400 ms;
  // async's 20 waits end together at 100 ms, then its one loop works 20 × 20 = 400 ms: 500 ms.
  t.equal(idealSpeedup({ ...sequential, idealMs: 2400 }, { ...async, idealMs: 500 }), 4.8, '2400 / 500 ms')
  // 2000 / 300 = 6.666..., kept to the thousandth as the harness's figures.
  t.equal(idealSpeedup(sequential, { ...pooled, idealMs: 300 }), 6.667)
  t.equal(idealSpeedup(sequential, { ...pooled, idealMs: null }), null, 'no ideal for the lane: none')
  t.equal(idealSpeedup({ ...sequential, idealMs: null }, pooled), null, 'no ideal for sequential: none')
  t.equal(idealSpeedup(undefined, pooled), null, 'no sequential lane: none')
})

t.test('a lane is ranked ahead only when it finished before the other\'s ideal', async t => {
  t.same(verdicts([sequential, pooled, async]), [
    // pooled's 120 ms is before sequential's ideal of 2000 ms: ahead.
    { modes: ['sequential', 'pooled'], ahead: 'pooled' },
    { modes: ['sequential', 'async'], ahead: 'async' },
    // pooled's 120 ms is not before async's ideal (100 ms), nor async's 180 before pooled's: the
    // 60 ms between them is within what the overhead makes of either from one race to the next.
    { modes: ['pooled', 'async'], ahead: 'spread' }
  ])
})

t.test('with CPU work: pooled ahead of async when it beats async\'s ideal', async t => {
  // 20 × 20 ms of work after 100 ms waits: async's one loop 100 + 400 = 500 ms; pooled's two
  // cores 100 + 400 / 2 = 300 ms. Pooled in 450 ms beat the 500 ms async could at best have taken.
  const worked = verdicts([{ mode: 'pooled', elapsedMs: 450, idealMs: 300 }, { mode: 'async', elapsedMs: 700, idealMs: 500 }])
  t.same(worked, [{ modes: ['pooled', 'async'], ahead: 'pooled' }])
  // In 520 ms it did not: async might have finished in its 500 ms.
  t.same(verdicts([{ mode: 'pooled', elapsedMs: 520, idealMs: 300 }, { mode: 'async', elapsedMs: 700, idealMs: 500 }]), [{ modes: ['pooled', 'async'], ahead: 'spread' }])
  // The rule is symmetric: the lane named second can be the one ahead.
  t.same(verdicts([{ mode: 'async', elapsedMs: 700, idealMs: 500 }, { mode: 'pooled', elapsedMs: 450, idealMs: 300 }]), [{ modes: ['async', 'pooled'], ahead: 'pooled' }])
})

t.test('without an ideal (no Server-Timing), no ranking at all', async t => {
  t.same(verdicts([sequential, { ...async, idealMs: null }]), [{ modes: ['sequential', 'async'], ahead: 'unknown' }])
  t.same(verdicts([]), [], 'no lane, no pair')
})
