// npm run bench:soak: a million requests over 2,000 connections, with delays, errors and faults
// mixed in, against the flag server in its own process. Reports the server's RSS at the start,
// middle and end of the run (target: drift ≤ 10%), whether it survived (target: no crash), each
// fault kind's count from the server's /metrics against rate × requests (target: within 4σ, and
// seen at all), and the throughput against Little's law. Every request is salted, so the server
// draws its fate per request, not per path. Loopback only, bounded by count and by time.

import { request } from 'undici'
import { startEmbeddedServer, type EmbeddedServer } from '../harness/core/embedded.js'
import { compareFaults, readFaultTally, type FaultComparison, type FaultTally } from '../harness/core/load/fault-tally.js'
import { SALT_FORM } from '../harness/core/load/flag-requests.js'
import { load } from '../harness/core/load/load.js'
import { rssBytes } from '../harness/core/load/proc-stats.js'
import type { LoadReport } from '../harness/core/load/report.js'
import { table } from '../harness/reports/format.js'
import { FAULT_RATE_NAMES, NO_INJECTION, parseInjection } from '../server/contract/injection.js'
import { FLAGS_PATH, SALT_HEADER } from '../server/contract/protocol.js'
import { atLeast, atMost, COUNT, info, int, PERCENT, runBench, unmeasured, type BenchOptions, type BenchRun, type Check } from './paired.js'

const OPTIONS = {
  amount: { kind: 'whole', env: 'BENCH_SOAK_AMOUNT', default: 1_000_000, min: 1, max: 100_000_000, help: 'requests in all' },
  connections: { kind: 'whole', env: 'BENCH_SOAK_CONNECTIONS', default: 2_000, min: 1, max: 100_000, help: 'connections' },
  /** A bound on the whole run, whatever the machine: the bench stops itself. */
  maxSeconds: { kind: 'whole', env: 'BENCH_SOAK_MAX_SECONDS', default: 600, min: 1, max: 86_400, help: 'stop the run after this many seconds, whatever is left' }
} as const
type Options = BenchOptions<typeof OPTIONS>

/** A fault count may stray this many standard deviations from rate × requests. */
const SIGMAS = 4

/** Each fault kind's rate in the mix, where it is not the rare SOAK_RATE; and a fast enough slow body. */
const SOAK_OPTIONS: Readonly<Record<string, string>> = { 'error-rate': '500:0.02,503:0.01', 'hang-rate': '0.001', 'slow-bps': '100000' }
const SOAK_RATE = '0.005'

/** Short delays, so a million requests take minutes, not hours; every fault kind of the contract, rarely. */
const MIX = [
  '--latency', 'lognormal:20ms,0.5', '--max-latency', '2s',
  ...Object.values(FAULT_RATE_NAMES).flatMap(name => [`--${name}`, SOAK_OPTIONS[name] ?? SOAK_RATE]),
  ...Object.entries(SOAK_OPTIONS).filter(([name]) => !Object.values(FAULT_RATE_NAMES).includes(name)).flatMap(([name, value]) => [`--${name}`, value])
]

const ABOUT = `Many requests over many connections against the flag server started with
${MIX.join(' ')}.
Each request carries ${SALT_HEADER}: ${SALT_FORM}, so the server draws every fate apart.
Targets: the server's RSS drifts ≤ 10% from start to end, it does not crash, and each fault kind
occurs (its count from the server's /metrics) within ${SIGMAS}σ of rate × the requests the server
saw, σ = √(np(1 − p)). The throughput over Little's law (C / mean latency) is shown beside.`

/** MIX read by the server's own rules: the rates each fault kind is checked against. */
const MIX_INJECTION = parseInjection(
  Object.fromEntries(Array.from({ length: MIX.length / 2 }, (_, i) => [(MIX[2 * i] ?? '').slice(2), MIX[2 * i + 1]])),
  NO_INJECTION, name => `--${name}`)

const SAMPLE_MS = 1000
/** The server grows into its load for the first seconds: the start is the first sample after. */
const SETTLED_MS = 5000
const MB = 1048576
const PROGRESS_EVERY = 50_000

type Sample = { tMs: number, mb: number }

/** RSS at a share of the run (0 start, 1 end), among the samples taken once the server settled. */
function rssAt (samples: readonly Sample[], share: number): number {
  const settled = samples.filter(s => s.tMs >= SETTLED_MS)
  // A run shorter than the settling time: every sample stands.
  const kept = settled.length > 0 ? settled : samples
  return kept[Math.min(kept.length - 1, Math.floor(share * (kept.length - 1)))]?.mb ?? NaN
}

async function soak (server: EmbeddedServer, options: Options, run: BenchRun): Promise<{ samples: Sample[], report: LoadReport, guarded: boolean }> {
  const samples: Sample[] = []
  const started = performance.now()
  const sampler = setInterval(() => {
    const bytes = rssBytes(server.pid)
    if (bytes !== null) samples.push({ tMs: performance.now() - started, mb: bytes / MB })
  }, SAMPLE_MS)
  // Ctrl-C and the time guard alike stop the load; what ran is reported.
  const guard = new AbortController()
  const timer = setTimeout(() => guard.abort(), options.maxSeconds * 1000)
  try {
    const report = await load({
      server: { kind: 'url', baseUrl: `${server.url}${FLAGS_PATH}`, label: null },
      seed: null,
      injection: {},
      connections: options.connections,
      open: null,
      durationMs: null,
      amount: options.amount,
      timeoutMs: 5000,
      signal: AbortSignal.any([run.signal, guard.signal]),
      reproduce: { script: 'bench:soak', argv: [] }
    }, { ended: ended => { if (ended % PROGRESS_EVERY === 0) run.progress(`${int(ended)} of ${int(options.amount)} ended`) } })
    if (report === null) throw new Error('stopped before the load began')
    return { samples, report, guarded: guard.signal.aborted }
  } finally {
    clearTimeout(timer)
    clearInterval(sampler)
  }
}

/** A line per fault kind: its rate, rate × requests, the tolerance, and the count. */
function faultTable (tally: FaultTally, faults: readonly FaultComparison[]): string {
  const rows = faults.map(({ kind, rate, expected, tolerance, seen, seenAs }) => {
    // A hang past --max-hung is answered 503 and counted as hang-refused: a hang all the same.
    const others = Object.entries(seenAs).map(([other, n]) => `${int(n)} of them ${other}`)
    return [kind, String(rate), int(expected), `± ${int(tolerance)}`, `${int(seen)}${others.length > 0 ? ` (${others.join(', ')})` : ''}`]
  })
  return `Faults, per request: the server saw ${int(tally.requests)} flag requests; expected = rate × that, ± ${SIGMAS}σ\n` +
    table(['kind', 'rate', 'expected', 'tolerance', 'seen'], rows)
}

/** A check per fault kind: |seen − expected| within the tolerance, or, never seen, a miss of "seen ≥ 1". */
function faultCheck ({ kind, rate, expected, tolerance, seen }: FaultComparison, requests: number): Check {
  const measured = `${int(seen)} seen, ${int(expected)} expected (${rate} × ${int(requests)}), ± ${int(tolerance)} (${SIGMAS}σ)`
  return seen >= 1
    ? atMost(`fault ${kind}: |seen − expected|`, Math.abs(seen - expected), tolerance, measured, COUNT)
    : atLeast(`fault ${kind}: seen`, seen, 1, measured, COUNT)
}

async function healthy (server: EmbeddedServer): Promise<boolean> {
  const status = await request(`${server.url}/healthz`).then(async res => { await res.body.dump(); return res.statusCode }, () => 0)
  return server.diedEarly() === null && status === 200
}

await runBench({ program: 'bench:soak', about: ABOUT, options: OPTIONS }, async (options, run) => {
  run.progress('starting the flag server')
  const server = await startEmbeddedServer(['--seed', '1', ...MIX])
  run.onQuit(server.stop)
  try {
    const { samples, report, guarded } = await soak(server, options, run)
    const alive = await healthy(server)
    const tally = alive ? await readFaultTally(server.url).catch(() => null) : null
    const faults = tally === null ? null : compareFaults(tally, MIX_INJECTION, SIGMAS)
    const [start, middle, end] = [rssAt(samples, 0), rssAt(samples, 0.5), rssAt(samples, 1)]
    const drift = (end - start) / start
    const checks: Check[] = [
      info('requests', `${int(report.requests)} (${int(report.non2xx)} non-2xx, ${int(report.errors)} errors, ${int(report.timeouts)} timeouts) in ${(report.elapsedMs / 1000).toFixed(1)} s`, report.requests, COUNT),
      // A run its guard stopped did not soak what it promised: its figures are no pass.
      atMost('cut short by the time guard', guarded ? 1 : 0, 0, guarded ? `stopped after ${options.maxSeconds} s, before ${int(options.amount)} requests` : `all ${int(options.amount)} requests within ${options.maxSeconds} s`, COUNT),
      atMost('server RSS drift, start to end (absolute)', Math.abs(drift), 0.10, `${start.toFixed(1)} / ${middle.toFixed(1)} / ${end.toFixed(1)} MB at start / middle / end`, PERCENT),
      atMost('crashes', alive ? 0 : 1, 0, alive ? 'healthz 200 after the run' : server.diedEarly() ?? 'healthz did not answer 200', COUNT),
      ...(tally === null || faults === null
        ? [unmeasured('fault kinds', 'no /metrics from the server after the run', `each within ${SIGMAS}σ of rate × requests`)]
        : faults.map(fault => faultCheck(fault, tally.requests))),
      info('throughput / Little\'s law (C / mean latency)', `${int(report.throughput)} / ${int(report.littlesLawRps)} req/s`, report.ratio)
    ]
    const head = `Soak: ${int(options.amount)} requests, ${int(options.connections)} connections, server ${MIX.join(' ')}\n` +
      `Fates: drawn per request, salted (${SALT_HEADER}: ${SALT_FORM})`
    const text = tally === null || faults === null ? head : `${head}\n\n${faultTable(tally, faults)}`
    const fates = { drawn: 'per request', saltHeader: SALT_HEADER, salt: SALT_FORM }
    const details = { mix: MIX.join(' '), fates, serverRequests: tally?.requests ?? null, faults, elapsedMs: report.elapsedMs, requests: report.requests, non2xx: report.non2xx, errors: report.errors, timeouts: report.timeouts, rssMb: { start, middle, end }, drift, alive, throughput: report.throughput, littlesLawRps: report.littlesLawRps, ratio: report.ratio }
    return { text, details, checks }
  } finally {
    await server.stop()
  }
})
