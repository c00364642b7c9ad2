// npm run load: options → target server → one autocannon run over the flag GIFs → figures
// against Little's law → report. autocannon runs on this thread; the server never does.

import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import { NO_INJECTION, parseInjection } from '../../server/config.js'
import { formatDuration } from '../../server/duration.js'
import { exitWith, invalidOption, parsedOrExit } from '../../server/errors.js'
import { describeConfig } from '../report/terminal.js'
import { millis, table } from '../report/table.js'
import { openTarget, reproduceCommand, TargetError, type Target } from '../target.js'
import { LOAD_HELP, parseLoadArgs, type LoadOptions } from './cli.js'
import { flagRequests, requestsFor } from './flag-requests.js'
import { loadFigures, type LoadFigures } from './little.js'
import { runCannon } from './run-cannon.js'
import { CLOCK_TICKS_PER_S, cpuTicks, openFileLimit } from './proc-stats.js'

export interface LoadReport extends LoadFigures {
  command: string
  /** True when Ctrl-C (or SIGTERM) cut the run short: the figures cover what ran. */
  incomplete: boolean
  connections: number
  durationMs: number | null
  amount: number | null
  flags: number
  seed: number | null
  /** The fixed injected latency L behind boundRps, or null when the latency is not fixed. */
  fixedLatencyMs: number | null
  server: {
    url: string
    embedded: boolean
    config: Record<string, string> | null
    note: string | null
    /** The embedded server's CPU time over the run, in % of one core; null for another server. */
    cpuPercent: number | null
  }
  /** This process's CPU time over the run (autocannon's), in % of one core: near 100, it is the bottleneck. */
  loadCpuPercent: number
  node: string
  cores: number
}

function fail (message: string, code: number): never {
  return exitWith('flag-load', message, code)
}

/** L for the bound C/L: the injection in force (the server's, with our headers on top) when its latency is fixed. */
function fixedLatency (options: LoadOptions, target: Target): number | null {
  if (target.config === null && options.injection.latency === undefined) return null
  try {
    const base = target.embedded ? NO_INJECTION : parseInjection(target.config ?? {}, NO_INJECTION, name => name)
    const { latency } = parseInjection(target.embedded ? target.config ?? {} : options.injection, base, name => name)
    return latency.kind === 'fixed' && latency.ms > 0 ? latency.ms : null
  } catch {
    return null
  }
}

const int = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'
const ratio = (n: number | null): string => n === null || !Number.isFinite(n) ? '-' : n.toFixed(3)

function terminalReport (report: LoadReport): string {
  const out: string[] = []
  const how = report.amount !== null ? `${int(report.amount)} requests` : formatDuration(report.durationMs ?? 0)
  out.push(`Load: ${int(report.connections)} connections, ${how}, round-robin over ${report.flags} flags`)
  out.push(`${report.seed === null ? '' : `Seed ${report.seed}, `}Node ${report.node} on ${report.cores} CPUs`)
  out.push(`Server: ${report.server.url}${report.server.embedded ? ', started by the load tool' : ''}${report.server.cpuPercent === null ? '' : `; its CPU: ${Math.round(report.server.cpuPercent)}% of a core`}`)
  const injection = [describeConfig(report.server.config), report.server.note].filter(part => part !== null)
  if (injection.length > 0) out.push(`  ${injection.join('; ')}`)
  out.push(`Load generator (autocannon, this process): ${Math.round(report.loadCpuPercent)}% of a core`)
  out.push('')
  const l = report.latencyMs
  out.push(table(
    ['requests', 'elapsed', 'req/s', 'mean', 'p50', 'p90', 'p99', 'max', 'non-2xx', 'errors'],
    [[int(report.requests), `${(report.elapsedMs / 1000).toFixed(2)}s`, int(report.throughput), millis(l.mean), millis(l.p50), millis(l.p90), millis(l.p99), millis(l.max), int(report.non2xx), int(report.errors)]]
  ))
  out.push('')
  const c = int(report.connections)
  out.push(`Little's law: C / mean latency = ${c} / ${millis(l.mean)} = ${int(report.littlesLawRps)} req/s; measured / that = ${ratio(report.ratio)}`)
  if (report.boundRps !== null && report.fixedLatencyMs !== null) {
    out.push(`The bound:    C / L = ${c} / ${millis(report.fixedLatencyMs)} = ${int(report.boundRps)} req/s; measured / bound = ${ratio(report.boundRatio)}`)
  }
  if (report.incomplete) out.push('INCOMPLETE: interrupted; the figures cover what ran until then')
  return out.join('\n') + '\n'
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const options = parsedOrExit('flag-load', () => parseLoadArgs(argv))
  if (options.help) {
    process.stdout.write(LOAD_HELP)
    return
  }
  // This process holds a socket per connection, and so does an embedded server: as bench:server.
  const limit = openFileLimit()
  if (limit !== undefined && limit <= 2 * options.connections) {
    fail(invalidOption('--connections', String(options.connections), `at most ${Math.floor((limit - 1) / 2)} here, as "ulimit -n" is ${limit}: raise it (ulimit -n ${4 * options.connections})`).message, 2)
  }

  // Ctrl-C before the run: leave once the server is up (and stopped); during it: stop autocannon
  // and report; a second one quits at once.
  let interrupted = false
  let instance: autocannon.Instance | undefined
  let target: Target | undefined
  const interrupt = (): void => {
    if (interrupted) {
      (target === undefined ? Promise.resolve() : target.stop()).finally(() => process.exit(130))
      return
    }
    interrupted = true
    instance?.stop()
  }
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)

  let codes: string[]
  try {
    target = await openTarget(options)
    codes = await target.listCodes()
  } catch (error) {
    await target?.stop()
    if (error instanceof TargetError) fail(error.message, 1)
    throw error
  }
  try {
    if (interrupted) {
      process.exitCode = 130
      return
    }
    const { origin, pathname } = new URL(target.baseUrl)
    const opts: autocannon.Options = {
      url: origin,
      connections: options.connections,
      ...(options.amount === null ? { duration: (options.durationMs ?? 0) / 1000 } : { amount: options.amount }),
      headers: target.headers,
      ...requestsFor(flagRequests(codes, pathname), options.connections)
    }
    const pid = target.pid
    const ticksBefore = pid === null ? null : cpuTicks(pid)
    const cpuBefore = process.cpuUsage()
    const wallBefore = performance.now()
    const { result, elapsedMs } = await runCannon(opts, process.stderr.isTTY && !options.json, started => { instance = started })
    const ticksAfter = pid === null ? null : cpuTicks(pid)
    const wallS = (performance.now() - wallBefore) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const fixedLatencyMs = fixedLatency(options, target)

    const report: LoadReport = {
      command: reproduceCommand('load', argv, options.seed !== null, target),
      incomplete: interrupted,
      connections: options.connections,
      durationMs: options.durationMs,
      amount: options.amount,
      flags: codes.length,
      seed: target.seed,
      fixedLatencyMs,
      server: {
        url: target.baseUrl,
        embedded: target.embedded,
        config: target.config,
        note: target.note,
        cpuPercent: ticksBefore === null || ticksAfter === null ? null : 100 * (ticksAfter - ticksBefore) / CLOCK_TICKS_PER_S / wallS
      },
      loadCpuPercent: 100 * (cpu.user + cpu.system) / 1e6 / wallS,
      node: process.version,
      cores: availableParallelism(),
      ...loadFigures(result, elapsedMs, fixedLatencyMs)
    }
    process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : terminalReport(report))
    if (interrupted) process.exitCode = 130
  } finally {
    await target.stop()
  }
}

main().catch((error: Error) => fail(error.message, 1))
