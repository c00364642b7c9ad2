import t from 'tap'
import { parseHarnessArgs } from '../../../harness/cli/args.js'
import { expandSweepRange } from '../../../harness/core/sweep.js'

t.test('ranges expand to the 1-2-5 series', async t => {
  t.same(expandSweepRange(1, 50), [1, 2, 5, 10, 20, 50])
  t.same(expandSweepRange(3, 200), [5, 10, 20, 50, 100, 200])
  t.same(expandSweepRange(7, 8), [])
})

t.test('--sweep on the command line', async t => {
  t.same(parseHarnessArgs(['--sweep', '20,1,5,5']).sweep?.concurrencies, [1, 5, 20], 'a list, sorted, once each')
  t.same(parseHarnessArgs(['--sweep', '1..20']).sweep?.concurrencies, [1, 2, 5, 10, 20], 'a range')
  t.equal(parseHarnessArgs([]).sweep, null)
  for (const bad of ['0', '1,x', '7..8', '1..2000', '']) {
    t.throws(() => parseHarnessArgs(['--sweep', bad]), { message: /^--sweep: invalid value .*; accepted: a comma-separated list of concurrencies/ }, `--sweep ${bad} is refused`)
  }
  t.throws(() => parseHarnessArgs(['--sweep', '1,2', '--mode', 'sequential']), { message: /^--mode: invalid value "sequential"; accepted: with --sweep, at least one of pooled, processes, async/ }, 'a sweep of sequential alone is refused')
})
