import t from 'tap'
import { cpuTicks, openFileLimit } from '../../../../harness/core/load/proc-stats.js'

t.test('proc-stats: the open-file limit and a process\'s CPU ticks', async t => {
  const limit = openFileLimit()
  t.ok(limit === undefined || limit > 0)
  const ticks = cpuTicks(process.pid)
  t.ok(ticks === null || ticks >= 0)
  t.equal(cpuTicks(2 ** 30), null, 'no such process')
})
