// npm run harness: the command line → measure() → the reports. Progress and --verbose lines
// are listeners on the core's events; this file only parses, prints and exits.

import { constants } from 'node:fs'
import { access, mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { EXIT, exitWith, onInterrupt, parsedOrExit } from '../../server/contract/errors.js'
import { measure, type MeasureListeners } from '../core/measure.js'
import { TargetError } from '../core/target.js'
import { htmlReport } from '../reports/html.js'
import { terminalReport } from '../reports/terminal.js'
import { HARNESS_HELP, parseHarnessArgs, type HarnessArgs } from './args.js'
import { progressBar, silentProgress, verboseLine, type Progress } from './progress.js'

const PROGRAM = 'flag-harness'

function fail (message: string, code: number): never {
  return exitWith(PROGRAM, message, code)
}

/** A bar per measured run on a terminal, a line per request with --verbose, nothing when piped. */
function progressListeners (args: HarnessArgs, codes: () => number): MeasureListeners {
  if (args.verbose) return { record: (_lane, record, run) => process.stderr.write(`${run.warmup ? '(warm-up) ' : ''}${verboseLine(record)}\n`) }
  if (!process.stderr.isTTY || args.json) return {}
  const name = ({ mode, concurrency }: { mode: string, concurrency: number }): string => mode === 'sequential' ? mode : `${mode} ${concurrency}`
  let bar: Progress = silentProgress
  return {
    // Opening pooled starts its worker threads, which takes a visible while.
    opening: lane => process.stderr.write(`${name(lane).padEnd(12)} starting`),
    runStart: (lane, run) => {
      const which = run.warmup ? ' warm-up' : run.of > 1 ? ` ${run.index + 1}/${run.of}` : ''
      bar = progressBar(process.stderr, `${name(lane)}${which}`, codes())
    },
    record: (_lane, record) => bar.tick(record),
    runEnd: () => bar.done()
  }
}

/** Known before the run, not after it: a run is too long to lose to a typo in a path. */
async function checkOutputs (args: HarnessArgs): Promise<void> {
  if (args.saveDir !== null) {
    await mkdir(args.saveDir, { recursive: true }).catch((error: NodeJS.ErrnoException) =>
      fail(`--save ${args.saveDir}: cannot create the folder (${error.code ?? error.message})`, EXIT.usage))
  }
  if (args.htmlFile !== null) {
    await access(dirname(resolve(args.htmlFile)), constants.W_OK).catch((error: NodeJS.ErrnoException) =>
      fail(`--report ${args.htmlFile}: cannot write there (${error.code ?? error.message})`, EXIT.usage))
  }
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const args = parsedOrExit(PROGRAM, () => parseHarnessArgs(argv))
  if (args.help) {
    process.stdout.write(HARNESS_HELP)
    return
  }
  await checkOutputs(args)

  // Ctrl-C: stop handing out requests and report what was measured; a second one quits at once
  // (the embedded server goes with this process: its exit hook kills it).
  const interrupt = new AbortController()
  onInterrupt(() => interrupt.abort())

  const { help, verbose, json, timeline, htmlFile, ...options } = args
  let codes = 0
  const listeners: MeasureListeners = { ...progressListeners(args, () => codes), start: plan => { codes = plan.codes.length } }
  let report
  try {
    report = await measure({ ...options, together: false, signal: interrupt.signal, reproduce: { script: 'harness', argv } }, listeners)
  } catch (error) {
    if (error instanceof TargetError) fail(error.message, EXIT.failed)
    throw error
  }
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : terminalReport(report, { timeline }))
  if (htmlFile !== null) {
    await writeFile(htmlFile, htmlReport(report)).catch((error: NodeJS.ErrnoException) => {
      process.stderr.write(`${PROGRAM}: --report ${htmlFile}: cannot write (${error.code ?? error.message})\n`)
      process.exitCode = EXIT.failed
    })
  }
  // Failed requests are counted, not fatal; a server gone mid-run is: the figures are cut.
  if (report.serverLost !== null) {
    process.stderr.write(`${PROGRAM}: ${report.serverLost} during the run; the report covers what was measured\n`)
    process.exitCode = EXIT.failed
  }
  if (interrupt.signal.aborted) process.exitCode = EXIT.interrupted
}

await main()
