// One lane of the race, the program of its own process (forked by lanes.ts, spoken to over IPC):
// it opens one mode as the harness does (its client, or pooled's worker threads), says so, warms
// up when told (as measure() does: unmeasured runs, the first timed apart as the cold one), runs
// the flags once when told to go, sends each download's end as it happens, then the run's
// figures. When the channel closes (the race is over, or the race process ended however it
// ended), this process ends: nothing outlives the race.

import { modeFigures } from '../core/figures.js'
import type { ModeSession } from '../core/modes/mode.js'
import { cpuSlotsOf, MODES } from '../core/modes/registry.js'
import { MEASURE_DEFAULTS } from '../core/options.js'
import { wallClockMs } from '../core/record.js'
import type { FromLane, LaneJob, ToLane } from './lanes.js'

const send = process.send?.bind(process)
if (send === undefined) throw new Error('harness/race/lane.js is a lane of npm run race, forked by the race: not a program')
const tell = (message: FromLane): void => { send(message) }
process.once('disconnect', () => process.exit(0))

let opened: { job: LaneJob, session: ModeSession } | null = null
/** The first warm-up run's time: the cold one (new connections, the JIT cold, each worker's first request). */
let coldMs: number | null = null
let startupMs: number | null = null

function session (): { job: LaneJob, session: ModeSession } {
  if (opened === null) throw new Error('told to warm up or go before it was opened')
  return opened
}

async function open (job: LaneJob): Promise<void> {
  // Nothing cuts a lane's run but the end of its process.
  opened = { job, session: await MODES[job.mode].open({ baseUrl: job.baseUrl, codes: job.codes, concurrency: job.concurrency, download: job.download, interrupt: new AbortController().signal }) }
  tell({ type: 'opened', pid: process.pid })
}

/**
 * The harness's warm-up, kept out of the race. Asked right before the go, every lane at once, as
 * measure() runs a mode right after its warm-up: undici closes a keep-alive connection idle for
 * 4 s (its keepAliveTimeout), and a lane warmed as soon as it was open then waited for pooled's
 * threads (2.5 s or more on a slow machine) and their warm-up: it could meet the race with new
 * connections.
 */
async function warm (): Promise<void> {
  for (let w = 0; w < MEASURE_DEFAULTS.warmup; w++) {
    const run = await session().session.run(() => {}, 'race-warm-up')
    coldMs ??= run.endMs - run.startMs
    startupMs ??= run.startupMs
  }
  tell({ type: 'warmed', coldMs, startupMs })
}

async function go (): Promise<void> {
  const { job, session: mode } = session()
  const goAt = wallClockMs()
  const run = await mode.run(record => tell({ type: 'flag', cc: record.cc, outcome: record.outcome, reason: record.reason, atMs: record.endMs - goAt }), null)
  // The harness's figures for one run, its ideal as measure() reckons it.
  const slots = { io: job.concurrency, cpu: cpuSlotsOf(job.mode, job.concurrency) }
  const figures = modeFigures(job.mode, job.concurrency, job.codes, [run], job.download.timeoutMs, { workMs: job.cpuWorkMs, slots }, coldMs)
  tell({ type: 'done', figures })
  await mode.close()
}

const fail = (error: unknown): void => tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) })

process.on('message', (message: ToLane) => {
  switch (message.type) {
    case 'open': open(message.job).catch(fail); break
    case 'warm': warm().catch(fail); break
    case 'go': go().catch(fail)
  }
})
