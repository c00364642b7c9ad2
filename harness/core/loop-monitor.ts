// What the harness's own event loop went through during a run: how late its timers fired
// (perf_hooks.monitorEventLoopDelay), how busy it was (eventLoopUtilization), and what the
// process held in memory. A loop that waits on sockets stays idle and on time; synchronous
// work on it (--cpu-work, --sync-save) shows as delay and utilization.

import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks'

export interface LoopFigures {
  delayP50Ms: number
  delayP99Ms: number
  delayMaxMs: number
  /** Share of the run the loop spent running JavaScript rather than waiting, 0 to 1. */
  utilization: number
}

export interface MemoryFigures {
  rssPeakMb: number
  heapPeakMb: number
}

/** One point of the loop's delay over time, for the HTML report's chart. */
export interface LoopSample {
  /** From the start of the run. */
  tMs: number
  /** How late the sampler's own tick came: the loop was blocked that long. */
  delayMaxMs: number
}

export interface LoopWatch {
  stop: () => { eventLoop: LoopFigures, memory: MemoryFigures, samples: LoopSample[] }
}

/** monitorEventLoopDelay's finest resolution: the delay is measured by a 1 ms timer. */
const RESOLUTION_MS = 1
/** How often memory and the delay over time are sampled: fine enough for a 100 ms run. */
const SAMPLE_MS = 10

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3
const mb = (bytes: number): number => Math.round(bytes / 1048576 * 10) / 10

export function watchLoop (): LoopWatch {
  const whole = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  whole.enable()
  const started = performance.now()
  let lastTick = started
  const utilizationAtStart: EventLoopUtilization = performance.eventLoopUtilization()
  let rssPeak = 0
  let heapPeak = 0
  const samples: LoopSample[] = []
  const sample = (): void => {
    const { rss, heapUsed } = process.memoryUsage()
    rssPeak = Math.max(rssPeak, rss)
    heapPeak = Math.max(heapPeak, heapUsed)
    // The sampler's own lateness: a second delay histogram reset per tick would miss a block
    // that ends just before the tick, as its timer records it only afterwards.
    const now = performance.now()
    samples.push({ tMs: Math.round(now - started), delayMaxMs: Math.round(Math.max(0, now - lastTick - SAMPLE_MS) * 1000) / 1000 })
    lastTick = now
  }
  sample()
  const sampler = setInterval(sample, SAMPLE_MS)
  return {
    stop: () => {
      clearInterval(sampler)
      sample()
      whole.disable()
      const count = whole.count
      return {
        eventLoop: {
          delayP50Ms: count === 0 ? 0 : ms(whole.percentile(50)),
          delayP99Ms: count === 0 ? 0 : ms(whole.percentile(99)),
          delayMaxMs: count === 0 ? 0 : ms(whole.max),
          utilization: Math.round(performance.eventLoopUtilization(utilizationAtStart).utilization * 1000) / 1000
        },
        memory: { rssPeakMb: mb(rssPeak), heapPeakMb: mb(heapPeak) },
        samples
      }
    }
  }
}
