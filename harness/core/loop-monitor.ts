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
//
// A tick is also late when the OS keeps the thread off the cores: on a busy machine an idle
// loop read p99 4.7 ms and busy 0.086. Linux counts, per thread, the time it waited runnable for
// a core (run_delay in /proc/thread-self/schedstat); read at each late tick, it is the part of
// that lateness the machine caused, and what is left is the loop's own. The monitor's own ticks
// are timed and taken out of busy likewise, so an idle loop reads about 0 on any machine.

import { closeSync, openSync, readSync } from 'node:fs'
import { performance, type EventLoopUtilization } from 'node:perf_hooks'

export interface LoopTiming {
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

/** The loop as callbacks met it, and beside it the machine's part, measured in the same run. */
export interface LoopFigures extends LoopTiming {
  /** Null where the OS does not say how long it held the thread (not Linux). */
  machine: {
    /** Share of the run the OS kept the thread waiting, runnable, for a core: the machine's noise floor. */
    heldShare: number
    /** The loop's own figures: the OS's holds and the monitor's own ticks taken out. */
    own: LoopTiming
  } | null
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
/** A tick later than this asks the OS how long it held the thread: shorter ones cost more to ask about than they weigh. */
const ASK_OVER_MS = 0.2

/**
 * How long this thread has waited for a core, in ms, as Linux counts it (schedstat's second
 * field, run_delay); null elsewhere. A pread of a procfs file: microseconds, no disk.
 */
function heldClock (): { read: () => number, close: () => void } | null {
  let fd: number
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r')
  } catch {
    return null
  }
  const buffer = Buffer.alloc(128)
  const read = (): number => Number(buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0)).split(' ')[1]) / 1e6
  if (!Number.isFinite(read())) {
    closeSync(fd)
    return null
  }
  return { read, close: () => closeSync(fd) }
}
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
  const held = heldClock()
  const heldAtStart = held?.read() ?? 0
  const blocks: number[] = []
  /** The same ticks' lateness less what the OS held the thread meanwhile: the loop's own blocks. */
  const ownBlocks: number[] = []
  const samples: LoopSample[] = []
  let lastTick = started
  let windowMax = 0
  let nextSample = started
  let rssPeak = 0
  let heapPeak = 0
  // Since the OS was last asked: how long it had held the thread then, the loop's active time, the monitor's own time.
  let heldBefore = heldAtStart
  let activeBefore = utilizationAtStart.active
  let monitorSince = 0
  /** Active time that was not the loop's own: the monitor's ticks, and the OS's holds while the loop was active. */
  let notOwnActive = 0

  /**
   * The OS's hold since the last ask. The loop was active for part of that interval and idle
   * for the rest, and only the active part inflates busy: at most the active time is taken out.
   */
  const askHeld = (): number => {
    if (held === null) return 0
    const heldNow = held.read()
    const active = performance.eventLoopUtilization().active
    const heldMs = heldNow - heldBefore
    notOwnActive += monitorSince + Math.min(heldMs, Math.max(0, active - activeBefore - monitorSince))
    heldBefore = heldNow
    activeBefore = active
    monitorSince = 0
    return heldMs
  }
  const sample = (now: number): void => {
    const { rss, heapUsed } = process.memoryUsage()
    rssPeak = Math.max(rssPeak, rss)
    heapPeak = Math.max(heapPeak, heapUsed)
    samples.push({ tMs: Math.round(now - started), delayMaxMs: round3(windowMax) })
    windowMax = 0
    nextSample = now + SAMPLE_MS
    // Asked at least this often, so a hold is set against the tick it delayed, not one long after.
    askHeld()
  }
  /** The loop was blocked for as long as the tick came late, the OS's hold aside for its own part. */
  const note = (now: number): void => {
    const late = now - lastTick - PERIOD_MS
    lastTick = now
    if (late <= 0) return
    blocks.push(late)
    windowMax = Math.max(windowMax, late)
    const own = late > ASK_OVER_MS ? late - askHeld() : late
    if (own > 0) ownBlocks.push(own)
  }
  sample(started)
  const ticker = setInterval(() => {
    const now = performance.now()
    note(now)
    if (now >= nextSample) sample(now)
    monitorSince += performance.now() - now
  }, PERIOD_MS)

  const timing = (found: readonly number[], runMs: number, utilization: number): LoopTiming => ({
    delayP50Ms: round3(delayQuantile(found, runMs, 0.5)),
    delayP99Ms: round3(delayQuantile(found, runMs, 0.99)),
    delayMaxMs: round3(longest(found)),
    utilization: Math.round(utilization * 1000) / 1000
  })

  return {
    stop: () => {
      clearInterval(ticker)
      // The block running now, if any: the tick after it will never come.
      const now = performance.now()
      note(now)
      sample(now)
      held?.close()
      const runMs = now - started
      const { active, idle, utilization } = performance.eventLoopUtilization(utilizationAtStart)
      const machine = held === null
        ? null
        : { heldShare: Math.round(Math.min(1, (heldBefore - heldAtStart) / runMs) * 1000) / 1000, own: timing(ownBlocks, runMs, Math.max(0, active - notOwnActive) / (active + idle)) }
      return {
        eventLoop: { ...timing(blocks, runMs, utilization), machine },
        memory: { rssPeakMb: mb(rssPeak), heapPeakMb: mb(heapPeak) },
        samples
      }
    }
  }
}
