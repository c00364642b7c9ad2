// One lane of the race, the program of its own process (forked by lanes.ts, spoken to over IPC):
// it opens one mode as the harness does (its client, or pooled's worker threads), says it is
// ready (after a warm-up run, if asked), runs the flags once when told to go, sends each download's end as it happens, then the
// run's figures. When the channel closes (the race is over, or the race process ended however it
// ended), this process ends: nothing outlives the race.

import { modeFigures } from '../core/figures.js'
import type { ModeSession } from '../core/modes/mode.js'
import { cpuSlotsOf, MODES } from '../core/modes/registry.js'
import { wallClockMs } from '../core/record.js'
import type { FromLane, LaneJob, ToLane } from './lanes.js'

const send = process.send?.bind(process)
if (send === undefined) throw new Error('harness/race/lane.js is a lane of npm run race, forked by the race: not a program')
const tell = (message: FromLane): void => { send(message) }
process.once('disconnect', () => process.exit(0))

let opened: { job: LaneJob, session: ModeSession } | null = null

async function open (job: LaneJob): Promise<void> {
  // Nothing cuts a lane's run but the end of its process.
  const session = await MODES[job.mode].open({ baseUrl: job.baseUrl, codes: job.codes, concurrency: job.concurrency, download: job.download, interrupt: new AbortController().signal })
  opened = { job, session }
  // The harness's warm-up: new connections, the JIT cold, each worker's first request, kept out of the race.
  if (job.warmup) await session.run(() => {}, 'race-warm-up')
  tell({ type: 'ready', pid: process.pid })
}

async function go (): Promise<void> {
  if (opened === null) throw new Error('told to go before it was opened')
  const { job, session } = opened
  const goAt = wallClockMs()
  const run = await session.run(record => tell({ type: 'flag', cc: record.cc, outcome: record.outcome, reason: record.reason, atMs: record.endMs - goAt }), null)
  // The harness's figures for one run, its ideal as measure() reckons it.
  const slots = { io: job.concurrency, cpu: cpuSlotsOf(job.mode, job.concurrency) }
  const figures = modeFigures(job.mode, job.concurrency, job.codes, [run], job.download.timeoutMs, { workMs: job.cpuWorkMs, slots })
  tell({ type: 'done', figures })
  await session.close()
}

const fail = (error: unknown): void => tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) })

process.on('message', (message: ToLane) => {
  if (message.type === 'open') open(message.job).catch(fail)
  else go().catch(fail)
})
