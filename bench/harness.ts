// npm run bench:harness: how close each client comes to the ideal, measured in one run.
//
// 1. 20 flags at a fixed 200 ms, 5 repeats after a warm-up: sequential against 20 × 200 ms,
//    async and pooled (C = W = 20) against 200 ms, and the run-to-run spread (max / min).
// 2. All 194 flags, no delay: what the clients themselves cost, sequential and async.
// 3. The async client's request rate over autocannon's, same server, same connections.
//
// The harness runs as it does for a person (node dist/harness/main.js --json), each run in its
// own process, against a server in another: nothing here shares an event loop with what it times.

import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import autocannon from 'autocannon'
import { startEmbeddedServer } from '../harness/embedded.js'
import type { HarnessReport } from '../harness/report/report.js'
import { table } from '../harness/report/table.js'
import { projectRoot } from '../server/flags.js'

const run = promisify(execFile)
const LATENCY_MS = 200
const REPEATS = 5
const RATE_SECONDS = Number(process.env.BENCH_DURATION ?? 5)

interface Check { case: string, measured: string, target: string, met: boolean }

async function harness (args: string[]): Promise<HarnessReport> {
  const { stdout } = await run(process.execPath, [join(projectRoot(), 'dist', 'harness', 'main.js'), '--json', ...args], { maxBuffer: 64 * 1024 * 1024 })
  return JSON.parse(stdout) as HarnessReport
}

function mode (report: HarnessReport, name: string): HarnessReport['modes'][number] {
  const found = report.modes.find(m => m.mode === name)
  if (found === undefined) throw new Error(`no ${name} in the report`)
  return found
}

function progress (line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${line}\n`)
}

async function fixedLatency (checks: Check[]): Promise<void> {
  progress(`1/3: 20 flags at ${LATENCY_MS} ms, ${REPEATS} repeats`)
  const report = await harness(['--latency', `${LATENCY_MS}ms`, '--repeat', String(REPEATS), '-m', '20'])
  const bounds: Record<string, [number, number]> = { sequential: [20 * LATENCY_MS, 1.03], async: [LATENCY_MS, 1.05], pooled: [LATENCY_MS, 1.10] }
  for (const [name, [bound, factor]] of Object.entries(bounds)) {
    const m = mode(report, name)
    const ratio = m.elapsedMs / bound
    const startup = m.startupMs === null ? '' : ` (pool start-up ${m.startupMs.toFixed(0)} ms, apart)`
    checks.push({ case: `${name}, 20 flags, ${LATENCY_MS} ms`, measured: `${m.elapsedMs.toFixed(1)} ms = ${ratio.toFixed(3)} × ${bound} ms${startup}`, target: `≤ ${factor} ×`, met: ratio <= factor })
  }
  for (const m of report.modes) {
    const spread = Math.max(...m.runsMs) / Math.min(...m.runsMs)
    checks.push({ case: `${m.mode}, spread over ${REPEATS} runs`, measured: `max/min ${spread.toFixed(3)} (${m.runsMs.map(ms => ms.toFixed(0)).join(', ')} ms)`, target: '≤ 1.02', met: spread <= 1.02 })
  }
}

async function noDelay (checks: Check[]): Promise<void> {
  progress('2/3: all 194 flags, no delay')
  const report = await harness(['--latency', '0ms', '-a', '--repeat', String(REPEATS), '--mode', 'sequential,async'])
  for (const [name, targetMs] of [['async', 50], ['sequential', 150]] as const) {
    const m = mode(report, name)
    checks.push({ case: `${name}, 194 flags, no delay`, measured: `${m.elapsedMs.toFixed(1)} ms`, target: `≤ ${targetMs} ms`, met: m.elapsedMs <= targetMs })
  }
}

async function rateAgainstAutocannon (checks: Check[]): Promise<void> {
  progress(`3/3: async client vs autocannon, 20 connections, ${RATE_SECONDS} s of autocannon`)
  const server = await startEmbeddedServer(['--latency', '0ms'])
  try {
    // Ten warm-up runs: a request rate measured before the JIT has settled says little.
    const report = await harness(['-s', server.url, '-e', '--mode', 'async', '-m', '20', '--repeat', String(REPEATS), '--warmup', '10'])
    const async = mode(report, 'async')
    const paths = report.codes.map(cc => `/flags/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`)
    const result = await autocannon({ url: server.url, connections: 20, duration: RATE_SECONDS, requests: paths.map(path => ({ method: 'GET', path })) })
    const ratio = async.requestsPerSecond / result.requests.average
    checks.push({
      case: 'async req/s over autocannon\'s, 20 connections',
      measured: `${async.requestsPerSecond.toFixed(0)} / ${result.requests.average.toFixed(0)} = ${ratio.toFixed(2)}`,
      target: '≥ 0.8',
      met: ratio >= 0.8
    })
  } finally {
    await server.stop()
  }
}

const checks: Check[] = []
await fixedLatency(checks)
await noDelay(checks)
await rateAgainstAutocannon(checks)
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`)
} else {
  process.stdout.write(`${table(['case', 'measured', 'target', 'met'], checks.map(c => [c.case, c.measured, c.target, c.met ? 'yes' : 'NO']))}\n`)
}
