// What the harness's own event loop went through during a run: how long it made callbacks
// wait, how busy it was (eventLoopUtilization), and what the process held in memory. A loop
// that waits on sockets stays idle and on time; synchronous work on it (--cpu-work,
// --sync-save) blocks it, and every callback due meanwhile waits.
//
// Not perf_hooks.monitorEventLoopDelay, for three reasons measured here: it records the time
// between two ticks of its 1 ms timer, so an idle loop reads 1.1 ms rather than 0; it weighs
// every tick alike, so twenty 20 ms blocks among a thousand idle ticks barely move its p99;
// and it records a block only at the tick after it, which never comes for a block that ends
// the run (six 30 ms blocks of CPU work at the end of an async run read as a max of 1.8 ms).
// So a 1 ms timer of our own notes how late each tick came beyond its period, the block still
// running when the run stops is counted at stop(), and the delays are weighted by time.

import { performance, type EventLoopUtilization } from 'node:perf_hooks'

export interface LoopFigures {
  /**
   * The wait that half (p50) and 99 in a hundred (p99) of the run's moments would have met: a
   * callback due at a random moment waits for the block in progress, if any, to end.
   */
  delayP50Ms: number
  delayP99Ms: number
  /** The longest block. */
  delayMaxMs: number
  /** Share of the run the loop spent running JavaScript rather than waiting, 0 to 1. */
  utilization: number
}

export interface MemoryFigures {
  rssPeakMb: number
  /** The main thread's V8 heap (worker threads have heaps of their own). */
  heapPeakMb: number
}

/** One point of the loop's delay over time, for the HTML report's chart. */
export interface LoopSample {
  /** From the start of the run. */
  tMs: number
  /** The longest block seen since the sample before. */
  delayMaxMs: number
}

export interface LoopWatch {
  stop: () => { eventLoop: LoopFigures, memory: MemoryFigures, samples: LoopSample[] }
}

/** The tick of the watching timer: a block shorter than this may go unseen. */
const PERIOD_MS = 1
/** How often memory and the delay over time are sampled: fine enough for a 100 ms run. */
const SAMPLE_MS = 10

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000
const mb = (bytes: number): number => Math.round(bytes / 1048576 * 10) / 10

/**
 * The delay a share `p` of a run's moments waited at most, for blocks of `blocks` ms in a run of
 * `runMs`: a moment inside a block of b waits what is left of it (uniform from 0 to b), a
 * moment outside any block waits nothing. So P(wait > x) = Σ max(0, b - x) / runMs, and the
 * answer is the smallest x where that is at most 1 - p.
 */
export function delayQuantile (blocks: readonly number[], runMs: number, p: number): number {
  const longer = (x: number): number => blocks.reduce((sum, b) => sum + Math.max(0, b - x), 0) / runMs
  if (runMs <= 0 || longer(0) <= 1 - p) return 0
  let low = 0
  let high = longest(blocks)
  for (let i = 0; i < 60; i++) {
    const middle = (low + high) / 2
    if (longer(middle) > 1 - p) low = middle
    else high = middle
  }
  return high
}

/** Math.max(...values) overflows the stack past some 100,000 values: a long run has that many ticks. */
function longest (values: readonly number[]): number {
  return values.reduce((max, value) => Math.max(max, value), 0)
}

export function watchLoop (): LoopWatch {
  const started = performance.now()
  const utilizationAtStart: EventLoopUtilization = performance.eventLoopUtilization()
  const blocks: number[] = []
  const samples: LoopSample[] = []
  let lastTick = started
  let windowMax = 0
  let nextSample = started
  let rssPeak = 0
  let heapPeak = 0

  const sample = (now: number): void => {
    const { rss, heapUsed } = process.memoryUsage()
    rssPeak = Math.max(rssPeak, rss)
    heapPeak = Math.max(heapPeak, heapUsed)
    samples.push({ tMs: Math.round(now - started), delayMaxMs: round3(windowMax) })
    windowMax = 0
    nextSample = now + SAMPLE_MS
  }
  /** The loop was blocked for as long as the tick came late. */
  const note = (now: number): void => {
    const late = now - lastTick - PERIOD_MS
    lastTick = now
    if (late <= 0) return
    blocks.push(late)
    windowMax = Math.max(windowMax, late)
  }
  sample(started)
  const ticker = setInterval(() => {
    const now = performance.now()
    note(now)
    if (now >= nextSample) sample(now)
  }, PERIOD_MS)

  return {
    stop: () => {
      clearInterval(ticker)
      // The block running now, if any: the tick after it will never come.
      const now = performance.now()
      note(now)
      sample(now)
      const runMs = now - started
      return {
        eventLoop: {
          delayP50Ms: round3(delayQuantile(blocks, runMs, 0.5)),
          delayP99Ms: round3(delayQuantile(blocks, runMs, 0.99)),
          delayMaxMs: round3(longest(blocks)),
          utilization: Math.round(performance.eventLoopUtilization(utilizationAtStart).utilization * 1000) / 1000
        },
        memory: { rssPeakMb: mb(rssPeak), heapPeakMb: mb(heapPeak) },
        samples
      }
    }
  }
}
