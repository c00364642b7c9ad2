import t from 'tap'
import { burnCpu } from '../../../harness/core/cpu-work.js'
import { watchLoop } from '../../../harness/core/loop-monitor.js'

const idle = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

t.test('figures are present and sane', async t => {
  const watch = watchLoop()
  await idle(60)
  const { eventLoop, memory, samples } = watch.stop()
  t.ok(eventLoop.utilization >= 0 && eventLoop.utilization <= 1, `utilization ${eventLoop.utilization} in [0, 1]`)
  t.ok(eventLoop.delayP50Ms >= 0 && eventLoop.delayP99Ms >= eventLoop.delayP50Ms && eventLoop.delayMaxMs >= eventLoop.delayP99Ms, 'delays ordered p50 ≤ p99 ≤ max, none negative')
  t.ok(memory.rssPeakMb > 0 && memory.heapPeakMb > 0 && memory.heapPeakMb <= memory.rssPeakMb, 'memory peaks: heap within rss')
  t.ok(samples.length >= 2, 'samples over time')
  t.ok(samples.every((s, i) => i === 0 || s.tMs >= (samples[i - 1]?.tMs ?? 0)), 'in time order')
})

t.test('a blocked loop shows in the figures', async t => {
  const watch = watchLoop()
  await idle(20)
  burnCpu(80)
  await idle(20)
  const { eventLoop, samples } = watch.stop()
  t.ok(eventLoop.delayMaxMs >= 70, `the 80 ms block is the max delay (${eventLoop.delayMaxMs} ms)`)
  t.ok(samples.some(s => s.delayMaxMs >= 70), 'and shows in the samples over time')
  t.ok(eventLoop.utilization > 0.4, `the loop was busy most of the run (${eventLoop.utilization})`)
})
