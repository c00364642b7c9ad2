// npm run server: parse, load the flags once, start the sites, close them on SIGINT/SIGTERM.

import { buildServer } from './app.js'
import { parseServerArgs, SERVER_COMMAND, type ServerPlan } from './cli.js'
import { EXIT, exitWith, parsedOrExit } from './command-line/exit.js'
import { onInterrupt } from './command-line/interrupt.js'
import { answeredHelpOrVersion } from './command-line/version.js'
import { formatDuration } from './contract/duration.js'
import { FlagsError } from './contract/errors.js'
import { describeInjection } from './contract/injection.js'
import { announceReady, type ReadySite } from './contract/ready.js'
import { TEXT_WIDTH, wrap } from './contract/text.js'
import { urlHost } from './contract/values.js'
import { loadFlags } from './flags.js'
import { listenSite, type Listening } from './listen.js'
import { createServerLog, type ServerLog } from './log.js'
import { RequestRecordFile } from './live/record.js'
import { ignoreClosedPipes } from './command-line/pipes.js'

function fail (message: string, code: number): never {
  return exitWith('flag-server', message, code)
}

function openRecord (file: string): RequestRecordFile {
  try {
    return new RequestRecordFile(file)
  } catch (error) {
    return fail(`--record ${file}: cannot write there (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT.usage)
  }
}

async function start (plan: ServerPlan, log: ServerLog | undefined, record: RequestRecordFile | undefined): Promise<{ sites: Listening[], ready: ReadySite[] }> {
  const flags = await loadFlags(plan.flagsDir)
  const sites: Listening[] = []
  const lines: string[] = []
  const ready: ReadySite[] = []
  for (const { config, port } of plan.sites) {
    const app = buildServer(config, flags, undefined, log, record)
    let listening: Listening
    try {
      listening = await listenSite(app, plan.host, port)
    } catch (error) {
      await Promise.all([app.close(), ...sites.map(async site => await site.close())])
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') fail(`--port ${port}: already in use (another flag server?); pick another with --port, or 0 for a free one`, EXIT.failed)
      fail(`--host ${plan.host}, --port ${port}: cannot listen (${code ?? (error as Error).message})`, EXIT.failed)
    }
    sites.push(listening)
    const origin = `http://${urlHost(plan.host)}:${listening.port}`
    ready.push({ name: config.name, origin })
    lines.push(`  ${config.name.padEnd(6)} ${origin}/flags  ${describeInjection(config.injection)}`)
  }
  const seed = plan.sites[0]?.config.seed
  const banner = wrap(`flag server: ${flags.codes.length} flags, seed ${seed} (--seed ${seed} repeats every delay and fault)`, TEXT_WIDTH, '  ')
  process.stdout.write(`${[...banner, ...lines].join('\n')}\nCtrl-C stops it.\n`)
  return { sites, ready }
}

/**
 * Stop accepting, give requests in flight the grace period, then cut what is left, and write
 * out the last request lines; a second signal quits at once.
 */
function closeOnSignals (sites: Listening[], graceMs: number, log: ServerLog | undefined, record: RequestRecordFile | undefined): void {
  onInterrupt(signal => {
    process.stdout.write(`${signal}: closing, requests in flight get up to ${formatDuration(graceMs)}\n`)
    const cut = setTimeout(() => {
      for (const site of sites) site.cut()
    }, graceMs)
    cut.unref()
    Promise.all(sites.map(async site => await site.close())).then(
      async () => {
        await log?.close()
        await record?.close()
        process.exit(EXIT.ok)
      },
      (error: Error) => fail(`closing: ${error.message}`, EXIT.failed)
    )
  })
}

async function main (): Promise<void> {
  ignoreClosedPipes()
  const plan = parsedOrExit('flag-server', () => parseServerArgs(process.argv.slice(2), process.env, process.stdout.isTTY))
  if (answeredHelpOrVersion(SERVER_COMMAND, plan)) return
  const log = plan.log === 'off' ? undefined : createServerLog(plan.log)
  const record = plan.record === null ? undefined : openRecord(plan.record)
  let started: Awaited<ReturnType<typeof start>>
  try {
    started = await start(plan, log, record)
  } catch (error) {
    if (error instanceof FlagsError) fail(error.message, EXIT.usage)
    throw error
  }
  closeOnSignals(started.sites, plan.graceMs, log, record)
  // Last: a parent that stops the server as soon as it is ready finds the signals handled.
  announceReady(started.ready)
}

await main()
