// npm run harness: options → target server → each mode's runs → figures → report.

import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { FlagsError } from '../server/errors.js'
import { expandCodes, HARNESS_HELP, parseHarnessArgs, type HarnessOptions } from './cli.js'
import { modeFigures, withSpeedups, type ModeFigures } from './figures.js'
import { openAsync } from './modes/async.js'
import type { ModeContext, ModeName, ModeRun, ModeSession } from './modes/mode.js'
import { openPooled } from './modes/pooled.js'
import { openSequential } from './modes/sequential.js'
import { progressBar, silentProgress, verboseLine } from './progress.js'
import type { HarnessReport } from './report/report.js'
import { terminalReport } from './report/terminal.js'
import { openTarget, TargetError, type Target } from './target.js'

const OPENERS: Record<ModeName, (context: ModeContext) => Promise<ModeSession>> = {
  sequential: openSequential,
  pooled: openPooled,
  async: openAsync
}

function fail (message: string, code: number): never {
  process.stderr.write(`flag-harness: ${message}\n`)
  process.exit(code)
}

/** The command that gives the same run again: the seed is added when the harness drew it. */
function reproduceCommand (argv: readonly string[], options: HarnessOptions, target: Target): string {
  const args = [...argv]
  if (target.embedded && options.seed === null) args.push('--seed', String(target.seed))
  return ['npm run harness --', ...args].join(' ')
}

async function measure (options: HarnessOptions, target: Target, codes: string[], interrupt: AbortSignal): Promise<ModeFigures[]> {
  const figures: ModeFigures[] = []
  const showProgress = process.stderr.isTTY && !options.json && !options.verbose
  for (const mode of options.modes) {
    if (interrupt.aborted) break
    const concurrency = mode === 'sequential' ? 1 : Math.min(options.maxReq, codes.length)
    const download = { timeoutMs: options.timeoutMs, headers: target.headers, saveDir: options.saveDir, syncSave: options.syncSave, cpuWorkMs: options.cpuWorkMs }
    // Opening pooled starts its worker threads, which takes a visible while.
    if (showProgress) process.stderr.write(`${mode.padEnd(10)} starting`)
    const session = await OPENERS[mode]({ baseUrl: target.baseUrl, codes, concurrency, download, interrupt })
    const runs: ModeRun[] = []
    try {
      for (let w = 0; w < options.warmup && !interrupt.aborted; w++) await session.run(() => {})
      for (let k = 0; k < options.repeat && !interrupt.aborted; k++) {
        const label = options.repeat > 1 ? `${mode} ${k + 1}/${options.repeat}` : mode
        const progress = showProgress ? progressBar(process.stderr, label, codes.length) : silentProgress
        runs.push(await session.run(record => {
          progress.tick(record)
          if (options.verbose) process.stderr.write(`${verboseLine(record)}\n`)
        }))
        progress.done()
      }
    } finally {
      await session.close()
    }
    // One event loop runs all the CPU work of sequential and async; pooled spreads it over its workers, as far as the cores go.
    const lanes = mode === 'pooled' ? Math.min(concurrency, availableParallelism()) : 1
    if (runs.length > 0) figures.push(modeFigures(mode, concurrency, codes, runs, options.timeoutMs, { workMs: options.cpuWorkMs, lanes }))
  }
  return withSpeedups(figures)
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  let options: HarnessOptions
  try {
    options = parseHarnessArgs(argv)
  } catch (error) {
    if (error instanceof FlagsError) fail(error.message, 2)
    throw error
  }
  if (options.help) {
    process.stdout.write(HARNESS_HELP)
    return
  }
  if (options.saveDir !== null) {
    await mkdir(options.saveDir, { recursive: true }).catch((error: NodeJS.ErrnoException) =>
      fail(`--save ${options.saveDir}: cannot create the folder (${error.code ?? error.message})`, 2))
  }

  const interrupt = new AbortController()
  let target: Target
  try {
    target = await openTarget(options)
  } catch (error) {
    if (error instanceof TargetError) fail(error.message, 1)
    throw error
  }
  // Ctrl-C: stop handing out requests and report what was measured; a second one quits at once.
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) target.stop().finally(() => process.exit(130))
    interrupt.abort()
  })
  process.on('SIGTERM', () => interrupt.abort())

  try {
    const served = options.codes.kind === 'all' ? await target.listCodes() : []
    const codes = expandCodes(options.codes, served, options.limit)
    const modes = await measure(options, target, codes, interrupt.signal)
    const report: HarnessReport = {
      seed: target.seed,
      server: { url: target.baseUrl, embedded: target.embedded, config: target.config, note: target.note },
      machine: { node: process.version, cpus: availableParallelism(), platform: `${process.platform}-${process.arch}` },
      command: reproduceCommand(argv, options, target),
      codes,
      cpuWorkMs: options.cpuWorkMs,
      syncSave: options.syncSave,
      incomplete: interrupt.signal.aborted || modes.length < options.modes.length || modes.some(m => !m.complete),
      modes
    }
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : terminalReport(report))
    process.exitCode = interrupt.signal.aborted ? 130 : 0
  } catch (error) {
    if (error instanceof TargetError) {
      process.stderr.write(`flag-harness: ${error.message}\n`)
      process.exitCode = 1
    } else {
      throw error
    }
  } finally {
    await target.stop()
  }
}

await main()
