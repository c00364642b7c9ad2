// npm run bench:soak: a million requests over 2,000 connections, with delays, errors and faults
// mixed in, against the flag server in its own process. Reports the server's RSS at the start,
// middle and end of the run (target: drift ≤ 10%), whether it survived (target: no crash) and
// the throughput against Little's law. Loopback only, bounded by count and by time.

import { request } from 'undici'
import { startEmbeddedServer } from '../harness/embedded.js'
import { flagRequests, requestsFor } from '../harness/load/flag-requests.js'
import { loadFigures } from '../harness/load/little.js'
import { rssBytes } from '../harness/load/proc-stats.js'
import { runCannon } from '../harness/load/run-cannon.js'
import { table } from '../harness/report/table.js'

const AMOUNT = Number(process.env.BENCH_SOAK_AMOUNT ?? 1_000_000)
const CONNECTIONS = Number(process.env.BENCH_SOAK_CONNECTIONS ?? 2_000)
/** A bound on the whole run, whatever the machine: the bench stops itself. */
const MAX_SECONDS = Number(process.env.BENCH_SOAK_MAX_SECONDS ?? 600)
/** Short delays, so a million requests take minutes, not hours; every fault kind, rarely. */
const MIX = [
  '--latency', 'lognormal:20ms,0.5', '--max-latency', '2s', '--error-rate', '500:0.02,503:0.01',
  '--reset-rate', '0.005', '--truncate-rate', '0.005', '--slow-rate', '0.005', '--slow-bps', '100000', '--hang-rate', '0.001'
]
const SAMPLE_MS = 1000
const MB = 1048576

function progress (line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`)
}

const server = await startEmbeddedServer(['--seed', '1', ...MIX])
try {
  const codes = ((await (await request(`${server.url}/flags`)).body.json()) as { codes: string[] }).codes
  const rss: Array<{ tMs: number, mb: number }> = []
  const started = performance.now()
  const sampler = setInterval(() => {
    const bytes = rssBytes(server.pid)
    if (bytes !== null) rss.push({ tMs: performance.now() - started, mb: bytes / MB })
  }, SAMPLE_MS)
  let done = 0
  const { result, elapsedMs } = await runCannon({
    url: server.url,
    connections: CONNECTIONS,
    amount: AMOUNT,
    timeout: 5,
    ...requestsFor(flagRequests(codes), CONNECTIONS)
  }, false, instance => {
    const guard = setTimeout(() => instance.stop(), MAX_SECONDS * 1000)
    instance.on('done', () => clearTimeout(guard))
    instance.on('response', () => { if (++done % 50_000 === 0) progress(`soak: ${done.toLocaleString('en-US')} of ${AMOUNT.toLocaleString('en-US')} answered`) })
  })
  clearInterval(sampler)
  progress('')
  const health = await request(`${server.url}/healthz`).then(async res => { await res.body.dump(); return res.statusCode }, () => 0)
  const alive = server.diedEarly() === null && health === 200
  // The first sample after the connections are up stands for the start: before it, the server is still growing into its load.
  const settled = rss.filter(s => s.tMs >= 5000)
  const at = (share: number): number => settled[Math.min(settled.length - 1, Math.floor(share * (settled.length - 1)))]?.mb ?? NaN
  const [start, middle, end] = [at(0), at(0.5), at(1)]
  const drift = (end - start) / start
  const figures = loadFigures(result, elapsedMs, null)
  const rows = [
    ['requests', `${result.requests.total.toLocaleString('en-US')} (${result.non2xx.toLocaleString('en-US')} non-2xx, ${result.errors.toLocaleString('en-US')} errors, ${result.timeouts.toLocaleString('en-US')} timeouts)`, '', ''],
    ['elapsed', `${(elapsedMs / 1000).toFixed(1)} s`, '', ''],
    ['server RSS start / middle / end', `${start.toFixed(1)} / ${middle.toFixed(1)} / ${end.toFixed(1)} MB`, '', ''],
    ['RSS drift, start to end', `${(drift * 100).toFixed(1)}%`, '≤ 10%', Math.abs(drift) <= 0.10 ? 'met' : 'MISSED'],
    ['crashes', alive ? '0' : `1 (${server.diedEarly() ?? `healthz ${health}`})`, '0', alive ? 'met' : 'MISSED'],
    ['throughput / Little\'s law (C / mean latency)', `${Math.round(figures.throughput).toLocaleString('en-US')} / ${Math.round(figures.littlesLawRps).toLocaleString('en-US')} = ${figures.ratio.toFixed(3)}`, '', '']
  ]
  const json = { amount: AMOUNT, connections: CONNECTIONS, mix: MIX.join(' '), elapsedMs, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, rssMb: { start, middle, end }, drift, alive, throughput: figures.throughput, littlesLawRps: figures.littlesLawRps, ratio: figures.ratio }
  process.stdout.write(process.argv.includes('--json')
    ? `${JSON.stringify(json, null, 2)}\n`
    : `Soak: ${AMOUNT.toLocaleString('en-US')} requests, ${CONNECTIONS.toLocaleString('en-US')} connections, server ${MIX.join(' ')}\n${table(['measure', 'value', 'target', ''], rows)}\n`)
} finally {
  await server.stop()
}
