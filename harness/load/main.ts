// npm run load: options → target server → one autocannon run over the flag GIFs → figures
// against Little's law → report. autocannon runs on this thread; the server never does.

import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import { EXIT, exitWith, interruptedExit, parsedOrExit } from '../../server/command-line/exit.js'
import { onInterrupt } from '../../server/command-line/interrupt.js'
import { answeredHelpOrVersion } from '../../server/command-line/version.js'
import { invalidOption } from '../../server/contract/errors.js'
import { NO_INJECTION } from '../../server/contract/injection.js'
import { SALT_HEADER } from '../../server/contract/protocol.js'
import { flagRequests, requestsFor, SALT_FORM } from '../core/load/flag-requests.js'
import { loadFigures } from '../core/load/little.js'
import { CLOCK_TICKS_PER_S, cpuTicks, openFileLimit } from '../core/load/proc-stats.js'
import { runCannon } from '../core/load/run-cannon.js'
import { openTarget, reproduceCommand, TargetError, type Target } from '../core/target.js'
import { expectationLine, judge, loadFigure, missed, missLine } from '../reports/expect.js'
import { LOAD_SCHEMA_VERSION, loadTerminalReport, type LoadReport } from '../reports/load.js'
import { LOAD_COMMAND, parseLoadArgs, type LoadOptions } from './args.js'

const PROGRAM = 'flag-load'

function fail (message: string, code: number): never {
  return exitWith(PROGRAM, message, code)
}

/** L for the bound C/L: the injection in force (the server's, with our overrides on top) when its latency is fixed. */
function fixedLatency (options: LoadOptions, target: Target): number | null {
  if (target.injection === null && options.injection.latency === undefined) return null
  // The embedded server was configured with our options: what it shows is all there is.
  const latency = target.embedded ? target.injection?.latency : options.injection.latency ?? (target.injection ?? NO_INJECTION).latency
  return latency?.kind === 'fixed' && latency.ms > 0 ? latency.ms : null
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const options = parsedOrExit(PROGRAM, () => parseLoadArgs(argv))
  if (answeredHelpOrVersion(LOAD_COMMAND, options)) return
  // This process holds a socket per connection, and so does an embedded server: as bench:server.
  const limit = openFileLimit()
  if (limit !== undefined && limit <= 2 * options.connections) {
    fail(invalidOption('--connections', String(options.connections), `at most ${Math.floor((limit - 1) / 2)} here, as "ulimit -n" is ${limit}: raise it (ulimit -n ${4 * options.connections})`).message, EXIT.usage)
  }

  // Ctrl-C or SIGTERM before the run: leave once the server is up (and stopped); during it: stop
  // autocannon and report, then exit 130 or 143; a second one quits at once (an embedded server
  // goes with this process).
  let interrupted = false
  let stoppedBy: NodeJS.Signals | null = null
  let instance: autocannon.Instance | undefined
  let target: Target | undefined
  onInterrupt(signal => {
    interrupted = true
    stoppedBy = signal
    instance?.stop()
  })

  let codes: string[]
  try {
    target = await openTarget(options)
    codes = await target.listCodes()
  } catch (error) {
    await target?.stop()
    if (error instanceof TargetError) fail(error.message, EXIT.failed)
    throw error
  }
  try {
    if (interrupted) {
      process.exitCode = interruptedExit(stoppedBy)
      return
    }
    const { origin, pathname } = new URL(target.baseUrl)
    const opts: autocannon.Options = {
      url: origin,
      connections: options.connections,
      ...(options.amount === null ? { duration: (options.durationMs ?? 0) / 1000 } : { amount: options.amount }),
      headers: target.headers,
      // Salted: the server draws each request's fate apart, so a rate is a share of the requests.
      ...requestsFor(flagRequests(codes, pathname), options.connections, { salted: true })
    }
    const pid = target.pid
    const ticksBefore = pid === null ? null : cpuTicks(pid)
    const cpuBefore = process.cpuUsage()
    const wallBefore = performance.now()
    const { result, elapsedMs } = await runCannon(opts, process.stderr.isTTY && !options.json ? process.stderr : null, started => { instance = started })
    const ticksAfter = pid === null ? null : cpuTicks(pid)
    const wallS = (performance.now() - wallBefore) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const fixedLatencyMs = fixedLatency(options, target)

    const report: LoadReport = {
      schemaVersion: LOAD_SCHEMA_VERSION,
      command: reproduceCommand('load', argv, options.seed !== null, target),
      incomplete: interrupted,
      connections: options.connections,
      durationMs: options.durationMs,
      amount: options.amount,
      flags: codes.length,
      seed: target.seed,
      fixedLatencyMs,
      fates: { drawn: 'per request', saltHeader: SALT_HEADER, salt: SALT_FORM },
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
    const results = judge(options.expectations, name => loadFigure(report, name))
    if (options.json) {
      process.stdout.write(JSON.stringify({ ...report, expectations: results }, null, 2) + '\n')
      for (const miss of missed(results)) process.stderr.write(`${PROGRAM}: ${missLine(miss)}\n`)
    } else {
      process.stdout.write(loadTerminalReport(report, { wide: options.wide }))
      if (results.length > 0) process.stdout.write(`\nExpectations (--expect):\n${results.map(expectationLine).join('\n')}\n`)
    }
    if (interrupted) process.exitCode = interruptedExit(stoppedBy)
    else if (missed(results).length > 0) process.exitCode = EXIT.missed
  } finally {
    await target.stop()
  }
}

main().catch((error: Error) => fail(error.message, EXIT.failed))
