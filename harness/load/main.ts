// npm run load: the command line → load() → the report. Progress is a listener on the core's
// events; this file only parses, prints and exits.

import { EXIT, exitWith, interruptedExit, parsedOrExit } from '../../server/command-line/exit.js'
import { onInterrupt } from '../../server/command-line/interrupt.js'
import { helpWidth } from '../../server/command-line/help.js'
import { answeredHelpOrVersion } from '../../server/command-line/version.js'
import { checkWritable, writeOutput } from '../../server/command-line/output-file.js'
import { invalidOption } from '../../server/contract/errors.js'
import { DEFAULT_LOAD_TIMEOUT_MS, load, type LoadListeners } from '../core/load/load.js'
import { openFileLimit } from '../core/load/proc-stats.js'
import { TargetError } from '../core/target.js'
import { expectationLine, judge, loadFigure, missed, missLine } from '../reports/expect.js'
import { sweep } from '../core/load/sweep.js'
import { loadTerminalReport, sweepTerminalReport } from '../reports/load.js'
import { loadHtmlReport, sweepHtmlReport } from '../reports/load-html.js'
import { LOAD_COMMAND, parseLoadArgs, type LoadOptions } from './args.js'
import { ignoreClosedPipes } from '../../server/command-line/pipes.js'

const PROGRAM = 'flag-load'

/** Redraw at most this often: a fast run ends tens of thousands of requests a second. */
const REDRAW_MS = 100

function fail (message: string, code: number): never {
  return exitWith(PROGRAM, message, code)
}

/** On a terminal, one line redrawn as requests end: how many, of how many, how long; nothing when piped. */
function progressListeners (options: LoadOptions): LoadListeners {
  if (!process.stderr.isTTY || options.json) return {}
  const of = options.amount === null ? '' : ` of ${options.amount}`
  let startedAt = 0
  let drawnAt = 0
  return {
    start: () => { startedAt = performance.now() },
    ended: ended => {
      const now = performance.now()
      if (now - drawnAt < REDRAW_MS && ended !== options.amount) return
      drawnAt = now
      process.stderr.write(`\r\x1b[K${ended} requests${of} ended, ${((now - startedAt) / 1000).toFixed(1)}s`)
    }
  }
}

/** The job's result; a server that cannot be used is a one-line failure, exit 1. */
async function targetOrFail<T> (job: Promise<T>): Promise<T> {
  try {
    return await job
  } catch (error) {
    if (error instanceof TargetError) fail(error.message, EXIT.failed)
    throw error
  }
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  ignoreClosedPipes()
  const options = parsedOrExit(PROGRAM, () => parseLoadArgs(argv))
  if (answeredHelpOrVersion(LOAD_COMMAND, options)) return
  // This process holds a socket per connection, and so does an embedded server: as bench:server.
  const limit = openFileLimit()
  const [option, connections] = options.open === null ? ['--connections', options.connections] : ['--max-connections', options.open.maxConnections]
  if (limit !== undefined && limit <= 2 * connections) {
    fail(invalidOption(option, String(connections), `at most ${Math.floor((limit - 1) / 2)} here, as "ulimit -n" is ${limit}: raise it (ulimit -n ${4 * connections})`).message, EXIT.usage)
  }
  if (options.htmlFile !== null) await checkWritable(PROGRAM, '--report', options.htmlFile)

  // Ctrl-C or SIGTERM before the run: leave once the server is up (and stopped); during it: stop
  // the load and report, then exit 130 or 143; a second one quits at once (an embedded server
  // goes with this process).
  const interrupt = new AbortController()
  let stoppedBy: NodeJS.Signals | null = null
  onInterrupt(signal => {
    stoppedBy = signal
    interrupt.abort()
  })

  const { help, version, json, wide, expectations, sweepRates, htmlFile, ...job } = options
  const writeReport = async (html: string): Promise<void> => {
    if (htmlFile !== null) await writeOutput(PROGRAM, '--report', 'the HTML report', htmlFile, html)
  }
  const jobOptions = { ...job, timeoutMs: DEFAULT_LOAD_TIMEOUT_MS, signal: interrupt.signal, reproduce: { script: 'load', argv } }
  if (sweepRates !== null && job.open !== null) {
    const { arrivals, maxConnections, warmupMs } = job.open
    const swept = await targetOrFail(sweep({ ...jobOptions, rates: sweepRates, arrivals, maxConnections, warmupMs }, progressListeners(options)))
    if (process.stderr.isTTY && !json) process.stderr.write('\r\x1b[K')
    if (swept !== null) {
      process.stdout.write(json ? JSON.stringify(swept, null, 2) + '\n' : sweepTerminalReport(swept, { width: helpWidth() }))
      await writeReport(sweepHtmlReport(swept))
    }
    if (interrupt.signal.aborted) process.exitCode = interruptedExit(stoppedBy)
    return
  }
  const report = await targetOrFail(load(jobOptions, progressListeners(options)))
  if (process.stderr.isTTY && !json) process.stderr.write('\r\x1b[K')
  if (report === null) {
    process.exitCode = interruptedExit(stoppedBy)
    return
  }
  const results = judge(expectations, name => loadFigure(report, name))
  if (json) {
    process.stdout.write(JSON.stringify({ ...report, expectations: results }, null, 2) + '\n')
    for (const miss of missed(results)) process.stderr.write(`${PROGRAM}: ${missLine(miss)}\n`)
  } else {
    process.stdout.write(loadTerminalReport(report, { wide, width: helpWidth() }))
    if (results.length > 0) process.stdout.write(`\nExpectations (--expect):\n${results.map(expectationLine).join('\n')}\n`)
  }
  await writeReport(loadHtmlReport(report))
  if (interrupt.signal.aborted) process.exitCode = interruptedExit(stoppedBy)
  else if (process.exitCode === undefined && missed(results).length > 0) process.exitCode = EXIT.missed
}

main().catch((error: Error) => fail(error.message, EXIT.failed))
