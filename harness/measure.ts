// The measuring core: open a mode, warm it up, run it K times, turn the runs into figures.
// main.ts only parses, prints and exits; the benchmarks and tests can call this as they are.

import { availableParallelism } from 'node:os'
import type { HarnessOptions } from './cli.js'
import { modeFigures, withSpeedups, type ModeFigures } from './figures.js'
import { openAsync } from './modes/async.js'
import type { ModeContext, ModeName, ModeRun, ModeSession } from './modes/mode.js'
import { openPooled } from './modes/pooled.js'
import { openSequential } from './modes/sequential.js'
import { progressBar, silentProgress, verboseLine } from './progress.js'
import type { Sweep } from './report/report.js'
import { sweepPoint } from './sweep.js'
import type { Target } from './target.js'

export const OPENERS: Record<ModeName, (context: ModeContext) => Promise<ModeSession>> = {
  sequential: openSequential,
  pooled: openPooled,
  async: openAsync
}

export interface Measurement {
  options: HarnessOptions
  target: Target
  codes: string[]
  interrupt: AbortSignal
}

async function measureMode ({ options, target, codes, interrupt }: Measurement, mode: ModeName, concurrency: number): Promise<ModeFigures | null> {
  const showProgress = process.stderr.isTTY && !options.json && !options.verbose
  const download = { timeoutMs: options.timeoutMs, headers: target.headers, saveDir: options.saveDir, syncSave: options.syncSave, cpuWorkMs: options.cpuWorkMs }
  const name = mode === 'sequential' ? mode : `${mode} ${concurrency}`
  // Opening pooled starts its worker threads, which takes a visible while.
  if (showProgress) process.stderr.write(`${name.padEnd(12)} starting`)
  const session = await OPENERS[mode]({ baseUrl: target.baseUrl, codes, concurrency, download, interrupt })
  const runs: ModeRun[] = []
  try {
    for (let w = 0; w < options.warmup && !interrupt.aborted; w++) await session.run(() => {})
    for (let k = 0; k < options.repeat && !interrupt.aborted; k++) {
      const label = options.repeat > 1 ? `${name} ${k + 1}/${options.repeat}` : name
      const progress = showProgress ? progressBar(process.stderr, label, codes.length) : silentProgress
      runs.push(await session.run(record => {
        progress.tick(record)
        if (options.verbose) process.stderr.write(`${verboseLine(record)}\n`)
      }))
      progress.done()
    }
  } finally {
    await session.close()
  }
  // One event loop runs all the CPU work of sequential and async; pooled spreads it over its workers, as far as the cores go.
  const lanes = mode === 'pooled' ? Math.min(concurrency, availableParallelism()) : 1
  return runs.length === 0 ? null : modeFigures(mode, concurrency, codes, runs, options.timeoutMs, { workMs: options.cpuWorkMs, lanes })
}

/** Each mode of --mode, in order, at -m (capped by the number of codes). */
export async function measureModes (measurement: Measurement): Promise<ModeFigures[]> {
  const figures: ModeFigures[] = []
  for (const mode of measurement.options.modes) {
    if (measurement.interrupt.aborted) break
    const concurrency = mode === 'sequential' ? 1 : Math.min(measurement.options.maxReq, measurement.codes.length)
    const measured = await measureMode(measurement, mode, concurrency)
    if (measured !== null) figures.push(measured)
  }
  return withSpeedups(figures)
}

/** --sweep: sequential once as the baseline, then pooled and async at each concurrency. */
export async function measureSweep (measurement: Measurement, concurrencies: readonly number[]): Promise<{ modes: ModeFigures[], sweep: Sweep | null }> {
  const sequential = await measureMode(measurement, 'sequential', 1)
  if (sequential === null) return { modes: [], sweep: null }
  const points: Sweep['points'] = []
  for (const concurrency of concurrencies) {
    for (const mode of ['pooled', 'async'] as const) {
      if (measurement.interrupt.aborted) break
      // More workers or connections than codes would only sit idle.
      const measured = await measureMode(measurement, mode, Math.min(concurrency, measurement.codes.length))
      if (measured !== null) points.push(sweepPoint(mode, concurrency, measured, sequential))
    }
  }
  return { modes: withSpeedups([sequential]), sweep: { concurrencies: [...concurrencies], sequentialMs: sequential.elapsedMs, points } }
}
