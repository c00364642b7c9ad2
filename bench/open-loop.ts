// npm run bench:openloop: can the open loop keep to its schedule at a rate that matters? Each
// round measures autocannon's closed-loop rate on the embedded flag server (no delay), then
// drives the same server with npm run load's open loop (load(), in this process) at 0.8 × that
// rate: the target rate is a ratio to something measured in the same round, a moment before.
// Targets: the achieved rate ≥ 0.99 × the target rate (so the open loop reaches 0.8 ×
// autocannon's), the median of the rounds; its lateness p99 and its CPU per request beside
// autocannon's are shown.

import { availableParallelism } from 'node:os'
import { startEmbeddedServer, type EmbeddedServer } from '../harness/core/embedded.js'
import { drive, waitForQuiet, type DriveFigures } from '../harness/core/load/drive.js'
import { loadGenerator } from '../harness/core/load/generators.js'
import { DEFAULT_LOAD_TIMEOUT_MS, load } from '../harness/core/load/load.js'
import type { LoadReport } from '../harness/core/load/report.js'
import { table } from '../harness/reports/format.js'
import { FLAGS_PATH, flagUrl } from '../server/contract/protocol.js'
import {
  atLeast, fixed, info, int, medianOf, MS, perRoundText, ROUND_OPTIONS, runBench, servedCodes, type BenchOptions, type BenchRun, type Unit
} from './paired.js'

const OPTIONS = {
  duration: { ...ROUND_OPTIONS.duration, default: 5, help: 'seconds of each measured run' },
  warmup: { ...ROUND_OPTIONS.warmup, default: 2, help: 'seconds of autocannon\'s warm-up before its window' },
  rounds: { ...ROUND_OPTIONS.rounds, default: 3, help: 'rounds of one autocannon run and one open-loop run at 0.8 × its rate' },
  connections: { kind: 'whole', env: 'BENCH_CONNECTIONS', default: 20, min: 1, max: 1000, help: 'autocannon\'s connections' }
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `autocannon's closed-loop rate on the embedded flag server (no delay), then npm run load's
open loop on the same server at 0.8 × that rate, in each round. Target: the open loop's achieved
rate ≥ 0.99 × its target (so ≥ 0.8 × autocannon's), the median of the rounds; its send lateness
p99 and its CPU per request beside autocannon's are shown.`

/** The open loop's rate, as a share of autocannon's in the same round: the 0.8 ×. */
const SHARE = 0.8
const ACHIEVED = 0.99
const MICROS: Unit = { digits: 1, targetDigits: 0, suffix: ' µs', scale: 1 }

interface Round { cannon: DriveFigures, open: LoadReport | null }

async function autocannonRun (server: EmbeddedServer, codes: readonly string[], options: Options, run: BenchRun): Promise<DriveFigures> {
  const window = { url: server.url, connections: options.connections, paths: codes.map(cc => flagUrl(FLAGS_PATH, cc)), warmup: { seconds: options.warmup }, durationS: options.duration }
  return await drive(server.pid, loadGenerator('autocannon', { workers: 0, core: null }), window, run.signal)
}

async function openRun (server: EmbeddedServer, ratePerS: number, options: Options, run: BenchRun): Promise<LoadReport | null> {
  return await load({
    server: { kind: 'url', baseUrl: `${server.url}${FLAGS_PATH}`, label: null },
    seed: null,
    injection: {},
    connections: options.connections,
    open: { ratePerS, arrivals: 'uniform', maxConnections: 1000 },
    durationMs: options.duration * 1000,
    amount: null,
    timeoutMs: DEFAULT_LOAD_TIMEOUT_MS,
    signal: run.signal,
    reproduce: { script: 'bench:openloop', argv: [] }
  })
}

/** The open loop's CPU per request ended: its share of a core over the run, times the run, over the requests. */
function openUsPerRequest (report: LoadReport): number {
  return report.requests > 0 ? report.loadCpuPercent / 100 * report.elapsedMs * 1000 / report.requests : NaN
}

function text (options: Options, rounds: Round[]): string {
  const rows = rounds.map(({ cannon, open }, i) => [
    String(i + 1), int(cannon.rps), fixed(cannon.generatorUsPerAnswer, 1),
    int(open?.open?.targetRps ?? NaN), int(open?.open?.achievedRps ?? NaN), fixed(open?.open?.lateness.p99 ?? null, 2), fixed(open === null ? null : openUsPerRequest(open), 1), int(open?.open?.dropped ?? NaN)
  ])
  return [
    `open loop vs autocannon: Node ${process.version}, ${availableParallelism()} cores, embedded server on 127.0.0.1, no delay; autocannon ${options.connections} connections, ${options.warmup} s warm-up, ${options.duration} s; the open loop ${options.duration} s at ${SHARE} × autocannon's rate of the round, uniform arrivals`,
    '',
    table(['round', 'autocannon req/s', 'µs/req', 'open target/s', 'achieved/s', 'lateness p99 ms', 'µs/req', 'dropped'], rows)
  ].join('\n')
}

await runBench({ program: 'bench:openloop', about: ABOUT, options: OPTIONS }, async (options, run) => {
  run.progress('starting the flag server')
  const server = await startEmbeddedServer(['--seed', '1', '--latency', '0ms'])
  run.onQuit(server.stop)
  try {
    const codes = await servedCodes(server.url)
    const rounds: Round[] = []
    // Not alternating: the open loop's rate is the closed loop's of the same round, so it comes second.
    for (let i = 0; i < options.rounds && !run.signal.aborted; i++) {
      await waitForQuiet([server.pid])
      run.progress(`round ${i + 1}: autocannon`)
      const cannon = await autocannonRun(server, codes, options, run)
      if (run.signal.aborted || cannon.rps <= 0) break
      await waitForQuiet([server.pid])
      run.progress(`round ${i + 1}: the open loop at ${int(SHARE * cannon.rps)}/s`)
      rounds.push({ cannon, open: await openRun(server, SHARE * cannon.rps, options, run) })
    }
    const achieved = rounds.map(({ open }) => open?.open === null || open?.open === undefined ? NaN : open.open.achievedRps / open.open.targetRps)
    const median = (values: number[]): number => medianOf(values.filter(Number.isFinite))
    const checks = [
      atLeast(`open loop achieved ≥ ${ACHIEVED} × its target (${SHARE} × autocannon's rate)`, median(achieved), ACHIEVED, perRoundText(achieved)),
      info('open loop send lateness p99', 'median of rounds', median(rounds.map(({ open }) => open?.open?.lateness.p99 ?? NaN)), MS),
      info('open loop CPU per request', 'this process\'s CPU over the run ÷ requests ended, median of rounds', median(rounds.map(({ open }) => open === null ? NaN : openUsPerRequest(open))), MICROS),
      info('autocannon CPU per answer', 'this process\'s CPU over the window ÷ 2xx answers, median of rounds', median(rounds.map(({ cannon }) => cannon.generatorUsPerAnswer ?? NaN)), MICROS)
    ]
    return { text: text(options, rounds), details: { share: SHARE, achievedPerRound: achieved, rounds }, checks }
  } finally {
    await server.stop()
  }
})
