// npm run bench:client: the harness's async client against autocannon, the same embedded flag
// server (no delay) and the same number of connections, in alternating rounds. Both are warmed
// alike (W passes over every flag on their own connections) before they are measured; what
// the client's request rate costs it in CPU is reported beside. Target: async req/s ≥ 0.8 ×
// autocannon's, the median of the paired ratios.

import { availableParallelism } from 'node:os'
import { startEmbeddedServer, type EmbeddedServer } from '../harness/core/embedded.js'
import { drive, waitForQuiet, type DriveFigures } from '../harness/core/load/drive.js'
import { loadGenerator } from '../harness/core/load/generators.js'
import { measure } from '../harness/core/measure.js'
import { MEASURE_DEFAULTS } from '../harness/core/options.js'
import { table } from '../harness/reports/format.js'
import { FLAGS_PATH, flagUrl } from '../server/contract/protocol.js'
import {
  atLeast, fixed, info, int, medianOf, pairedRatio, perRoundText, ROUND_OPTIONS, runBench, runPaired, servedCodes, type BenchOptions, type BenchRun, type Unit
} from './paired.js'

const OPTIONS = {
  duration: { ...ROUND_OPTIONS.duration, default: 5, help: 'seconds of autocannon\'s measured run' },
  rounds: { ...ROUND_OPTIONS.rounds, default: 3, help: 'rounds of one async measurement and one autocannon run, the order alternating' },
  repeat: { kind: 'whole', env: 'BENCH_REPEAT', default: 5, min: 1, max: 100, help: 'the async client\'s measured passes over every flag, per round' },
  warmupRuns: { kind: 'whole', env: 'BENCH_WARMUP_RUNS', default: 50, min: 0, max: 1000, help: 'passes over every flag before measuring (runs for the client, as many requests for autocannon): ten left the client JIT still settling, its rate rising round by round' },
  connections: { kind: 'whole', env: 'BENCH_CONNECTIONS', default: 20, min: 1, max: 194, help: 'the async client\'s requests at once, autocannon\'s connections' }
} as const
type Options = BenchOptions<typeof OPTIONS>

const ABOUT = `The harness's async client (measure(), in this process) against autocannon on the same
embedded flag server (no delay) with as many connections, warmed alike, in alternating rounds.
Target: async req/s ≥ 0.8 × autocannon's, the median of the per-round ratios; the client's CPU
per request (process.cpuUsage over its measured runs) is shown beside.`

const TARGET = 0.8
const MICROS: Unit = { digits: 1, targetDigits: 0, suffix: ' µs', scale: 1 }

interface ClientRound { rps: number, cpuUsPerRequest: number }

/** One round of the async client: W warm-up passes, K measured ones; CPU counted over the measured ones only. */
async function asyncRound (server: EmbeddedServer, options: Options, run: BenchRun): Promise<ClientRound> {
  let cpuStart = process.cpuUsage()
  let cpuUs = 0
  let requests = 0
  const report = await measure({
    ...MEASURE_DEFAULTS,
    server: { kind: 'url', baseUrl: `${server.url}${FLAGS_PATH}`, label: null },
    codes: { kind: 'all' },
    maxReq: options.connections,
    modes: ['async'],
    repeat: options.repeat,
    warmup: options.warmupRuns,
    signal: run.signal,
    reproduce: { script: 'bench:client', argv: process.argv.slice(2) }
  }, {
    // The measured runs only: the warm-up runs warm the client's JIT, as autocannon's warm-up does its own.
    runStart: (_lane, info) => { if (!info.warmup) cpuStart = process.cpuUsage() },
    runEnd: (_lane, measured, info) => {
      if (info.warmup) return
      const used = process.cpuUsage(cpuStart)
      cpuUs += used.user + used.system
      requests += measured.records.length
    }
  })
  return { rps: report.modes[0]?.requestsPerSecond ?? NaN, cpuUsPerRequest: requests > 0 ? cpuUs / requests : NaN }
}

async function autocannonRound (server: EmbeddedServer, codes: readonly string[], options: Options, run: BenchRun): Promise<DriveFigures> {
  const window = {
    url: server.url,
    connections: options.connections,
    paths: codes.map(cc => flagUrl(FLAGS_PATH, cc)),
    warmup: { requests: options.warmupRuns * codes.length },
    durationS: options.duration
  }
  return await drive(server.pid, loadGenerator('autocannon', { workers: 0, core: null }), window, run.signal)
}

function text (options: Options, codes: number, client: ClientRound[], cannon: DriveFigures[], ratio: { perRound: number[] }): string {
  const rounds = Math.max(client.length, cannon.length)
  const rows = Array.from({ length: rounds }, (_, i) => [
    String(i + 1), int(client[i]?.rps ?? NaN), fixed(client[i]?.cpuUsPerRequest ?? NaN, 1),
    int(cannon[i]?.rps ?? NaN), fixed(cannon[i]?.generatorUsPerAnswer ?? null, 1), fixed(ratio.perRound[i] ?? NaN, 3)
  ])
  return [
    `async client vs autocannon: Node ${process.version}, ${availableParallelism()} cores, embedded server on 127.0.0.1, no delay, ${codes} flags, ${options.connections} connections`,
    `each round: ${options.warmupRuns} warm-up passes; async ${options.repeat} measured passes (req/s of the median), autocannon ${options.duration} s (steady state)`,
    '',
    table(['round', 'async req/s', 'async µs/req', 'autocannon req/s', 'autocannon µs/req', 'ratio'], rows)
  ].join('\n')
}

await runBench({ program: 'bench:client', about: ABOUT, options: OPTIONS }, async (options, run) => {
  run.progress('starting the flag server')
  const server = await startEmbeddedServer(['--seed', '1', '--latency', '0ms'])
  run.onQuit(server.stop)
  try {
    const codes = await servedCodes(server.url)
    // The same quiet start for both: the server has closed the other side's sockets.
    const quiet = async (step: string, who: string): Promise<void> => {
      await waitForQuiet([server.pid])
      run.progress(`${step}: ${who}`)
    }
    const { a: client, b: cannon } = await runPaired(options.rounds, run.signal, {
      a: async step => { await quiet(step, 'async client'); return await asyncRound(server, options, run) },
      b: async step => { await quiet(step, 'autocannon'); return await autocannonRound(server, codes, options, run) }
    })
    const ratio = pairedRatio(client.map(r => r.rps), cannon.map(r => r.rps))
    const median = (values: number[]): number => medianOf(values.filter(Number.isFinite))
    const checks = [
      atLeast(`async req/s ≥ ${TARGET} × autocannon's (${options.connections} connections)`, ratio.ratio, TARGET, perRoundText(ratio.perRound)),
      info('async client CPU per request', 'process.cpuUsage over the measured runs ÷ requests, median of rounds', median(client.map(r => r.cpuUsPerRequest)), MICROS),
      info('autocannon CPU per answer', 'this process\'s CPU over the window ÷ 2xx answers, median of rounds', median(cannon.map(r => r.generatorUsPerAnswer ?? NaN)), MICROS)
    ]
    return { text: text(options, codes.length, client, cannon, ratio), details: { codes: codes.length, ratio: ratio.ratio, ratioPerRound: ratio.perRound, client, autocannon: cannon }, checks }
  } finally {
    await server.stop()
  }
})
