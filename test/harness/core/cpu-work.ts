import t from 'tap'
import { burnCpu, prepareCpuWork } from '../../../harness/core/cpu-work.js'

t.test('on an idle loop, the work takes at least the time asked', async t => {
  prepareCpuWork()
  for (const ms of [1, 5, 20, 50]) {
    const start = performance.now()
    burnCpu(ms)
    const took = performance.now() - start
    t.ok(took >= ms, `asked ${ms} ms, took ${took.toFixed(2)} ms`)
  }
})

t.test('the work blocks the loop: a timer due meanwhile fires late', async t => {
  const start = performance.now()
  const fired = new Promise<number>(resolve => setTimeout(() => resolve(performance.now() - start), 1))
  burnCpu(30)
  t.ok(await fired >= 30, 'the 1 ms timer waited for the 30 ms of work')
})

t.test('no work asked, none done', async t => {
  const start = performance.now()
  burnCpu(0)
  t.ok(performance.now() - start < 5, 'returns at once')
})
