// npm run harness: options → target server → each mode's runs → figures → report.

import { constants } from 'node:fs'
import { access, mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { availableParallelism } from 'node:os'
import { exitWith, parsedOrExit } from '../server/errors.js'
import { expandCodes, HARNESS_HELP, parseHarnessArgs } from './cli.js'
import { measureModes, measureSweep } from './measure.js'
import { htmlReport } from './report/html.js'
import type { HarnessReport } from './report/report.js'
import { terminalReport } from './report/terminal.js'
import { openTarget, reproduceCommand, TargetError, type Target } from './target.js'

function fail (message: string, code: number): never {
  return exitWith('flag-harness', message, code)
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const options = parsedOrExit('flag-harness', () => parseHarnessArgs(argv))
  if (options.help) {
    process.stdout.write(HARNESS_HELP)
    return
  }
  if (options.saveDir !== null) {
    await mkdir(options.saveDir, { recursive: true }).catch((error: NodeJS.ErrnoException) =>
      fail(`--save ${options.saveDir}: cannot create the folder (${error.code ?? error.message})`, 2))
  }

  if (options.htmlFile !== null) {
    // Known before the run, not after it: a run is too long to lose to a typo in a path.
    await access(dirname(resolve(options.htmlFile)), constants.W_OK).catch((error: NodeJS.ErrnoException) =>
      fail(`--report ${options.htmlFile}: cannot write there (${error.code ?? error.message})`, 2))
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
    const measurement = { options, target, codes, interrupt: interrupt.signal }
    const { modes, sweep } = options.sweep === null
      ? { modes: await measureModes(measurement), sweep: null }
      : await measureSweep(measurement, options.sweep)
    const serverLost = await target.lost()
    const report: HarnessReport = {
      seed: target.seed,
      server: { url: target.baseUrl, embedded: target.embedded, config: target.config, note: target.note },
      machine: { node: process.version, cpus: availableParallelism(), platform: `${process.platform}-${process.arch}` },
      command: reproduceCommand('harness', argv, options.seed !== null, target),
      codes,
      cpuWorkMs: options.cpuWorkMs,
      syncSave: options.syncSave,
      serverLost,
      incomplete: interrupt.signal.aborted || serverLost !== null || modes.some(m => !m.complete) ||
        (sweep === null ? modes.length < options.modes.length : sweep.points.length < sweep.concurrencies.length * 2),
      modes,
      sweep
    }
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : terminalReport(report, { timeline: options.timeline }))
    if (options.htmlFile !== null) {
      await writeFile(options.htmlFile, htmlReport(report)).catch((error: NodeJS.ErrnoException) => {
        process.stderr.write(`flag-harness: --report ${options.htmlFile}: cannot write (${error.code ?? error.message})\n`)
        process.exitCode = 1
      })
    }
    // Failed requests are counted, not fatal; a server gone mid-run is: the figures are cut.
    if (serverLost !== null) {
      process.stderr.write(`flag-harness: ${serverLost} during the run; the report covers what was measured\n`)
      process.exitCode = 1
    }
    if (interrupt.signal.aborted) process.exitCode = 130
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
