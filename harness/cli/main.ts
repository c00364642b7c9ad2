// npm run harness: the command line → measure() → the reports. Progress and --verbose lines
// are listeners on the core's events; this file only parses, prints and exits.

import { mkdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { EXIT, exitWith, interruptedExit, parsedOrExit } from '../../server/command-line/exit.js'
import { onInterrupt } from '../../server/command-line/interrupt.js'
import { helpWidth } from '../../server/command-line/help.js'
import { answeredHelpOrVersion } from '../../server/command-line/version.js'
import { checkWritable, writeOutput } from '../../server/command-line/output-file.js'
import { measure, type MeasureListeners } from '../core/measure.js'
import { TargetError } from '../core/target.js'
import { expectationLine, harnessFigure, judge, missed, missLine } from '../reports/expect.js'
import { htmlReport } from '../reports/html.js'
import { csvHeader, csvRows } from '../reports/csv.js'
import { flagUrl } from '../../server/contract/protocol.js'
import { headerText, terminalReport } from '../reports/terminal.js'
import { HARNESS_COMMAND, parseHarnessArgs, type HarnessArgs } from './args.js'
import { progressBar, silentProgress, verboseLine, type Progress } from './progress.js'
import { ignoreClosedPipes } from '../../server/command-line/pipes.js'

const PROGRAM = 'flag-harness'

function fail (message: string, code: number): never {
  return exitWith(PROGRAM, message, code)
}

/** A bar per measured run on a terminal, a line per request with --verbose, nothing when piped. */
function progressListeners (args: HarnessArgs, codes: () => number): MeasureListeners {
  if (args.verbose) return { record: (at, record, run) => process.stderr.write(`${at.mode}${run.warmup ? ' (warm-up)' : ''}: ${verboseLine(record)}\n`) }
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

/**
 * mkdir -p, a level at a time: Node's recursive mkdir retries for ever (at 100% CPU) where a
 * folder exists yet refuses a child with ENOENT, as /proc does; here that ENOENT is the answer.
 */
async function makeFolder (path: string): Promise<void> {
  try {
    await mkdir(path)
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException
    if (code === 'EEXIST' && (await stat(path)).isDirectory()) return
    if (code !== 'ENOENT' || dirname(path) === path) throw error
    await makeFolder(dirname(path))
    await mkdir(path)
  }
}

/** Known before the run, not after it: a run is too long to lose to a typo in a path. */
async function checkOutputs (args: HarnessArgs): Promise<void> {
  if (args.saveDir !== null) {
    await makeFolder(args.saveDir).catch((error: NodeJS.ErrnoException) =>
      fail(`--save ${args.saveDir}: cannot create the folder (${error.code ?? error.message})`, EXIT.usage))
  }
  for (const [option, file] of [['--report', args.htmlFile], ['--csv', args.csvFile]] as const) {
    if (file !== null) await checkWritable(PROGRAM, option, file)
  }
}

type Listener = (...args: unknown[]) => void

/** Every listener of each set hears each event, in the order the sets are given. */
function combined (...sets: MeasureListeners[]): MeasureListeners {
  const events = new Set(sets.flatMap(set => Object.keys(set) as Array<keyof MeasureListeners>))
  return Object.fromEntries([...events].map(event => [event, (...args: unknown[]) => {
    for (const set of sets) (set[event] as Listener | undefined)?.(...args)
  }]))
}

/** --csv: each measured run's rows, gathered as it ends. */
function csvListener (args: HarnessArgs, rows: string[]): MeasureListeners {
  if (args.csvFile === null) return {}
  let pathOf = (cc: string): string => cc
  return {
    start: ({ target }) => {
      const base = new URL(target.baseUrl).pathname.replace(/\/$/, '')
      pathOf = cc => flagUrl(base, cc)
    },
    runEnd: (at, run, info) => rows.push(csvRows(at, info, run, pathOf))
  }
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  ignoreClosedPipes()
  const args = parsedOrExit(PROGRAM, () => parseHarnessArgs(argv))
  if (answeredHelpOrVersion(HARNESS_COMMAND, args)) return
  await checkOutputs(args)

  // Ctrl-C or SIGTERM: stop handing out requests and report what was measured, then exit 130 or
  // 143; a second one quits at once (the embedded server goes with this process: its exit hook
  // kills it).
  const interrupt = new AbortController()
  let stoppedBy: NodeJS.Signals | null = null
  onInterrupt(signal => {
    stoppedBy = signal
    interrupt.abort()
  })

  const { help, version, verbose, json, timeline, wide, expectations, htmlFile, csvFile, ...options } = args
  let codes = 0
  const width = helpWidth()
  // The header first, as the run starts: what is measured shows while it runs (not with --json).
  const start: MeasureListeners['start'] = plan => {
    codes = plan.codes.length
    if (!json) process.stdout.write(`${headerText(plan.header, width)}\n`)
  }
  const csv = [csvHeader()]
  const listeners = combined(progressListeners(args, () => codes), { start }, csvListener(args, csv))
  let report
  try {
    report = await measure({ ...options, signal: interrupt.signal, reproduce: { script: 'harness', argv } }, listeners)
  } catch (error) {
    if (error instanceof TargetError) fail(error.message, EXIT.failed)
    throw error
  }
  const results = judge(expectations, name => harnessFigure(report, name))
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...report, expectations: results }, null, 2)}\n`)
    // The document holds every verdict; a person piping it still learns what missed.
    for (const miss of missed(results)) process.stderr.write(`${PROGRAM}: ${missLine(miss)}\n`)
  } else {
    process.stdout.write(terminalReport(report, { timeline, wide, width, headerShown: true }))
    if (results.length > 0) process.stdout.write(`\nExpectations (--expect):\n${results.map(expectationLine).join('\n')}\n`)
  }
  if (htmlFile !== null) await writeOutput(PROGRAM, '--report', 'the HTML report', htmlFile, htmlReport(report))
  if (csvFile !== null) await writeOutput(PROGRAM, '--csv', 'every request as CSV', csvFile, csv.join(''))
  // Failed requests are counted, not fatal; a server gone mid-run is: the figures are cut.
  if (report.serverLost !== null) {
    process.stderr.write(`${PROGRAM}: ${report.serverLost} during the run; the report covers what was measured\n`)
    process.exitCode = EXIT.failed
  }
  if (interrupt.signal.aborted) process.exitCode = interruptedExit(stoppedBy)
  // A missed threshold speaks only for a run that completed: a cut one already says why.
  else if (process.exitCode === undefined && missed(results).length > 0) process.exitCode = EXIT.missed
}

await main()
