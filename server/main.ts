// npm run server: parse, load the flags once, start the sites, close them on SIGINT/SIGTERM.

import { buildServer } from './app.js'
import { parseServerArgs, SERVER_HELP, type ServerPlan } from './cli.js'
import { describeInjection } from './config.js'
import { formatDuration } from './duration.js'
import { exitWith, FlagsError, parsedOrExit } from './errors.js'
import { loadFlags } from './flags.js'
import { listenSite, type Listening } from './listen.js'

function fail (message: string, code: number): never {
  return exitWith('flag-server', message, code)
}

function urlHost (host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

async function start (plan: ServerPlan): Promise<Listening[]> {
  const flags = await loadFlags(plan.flagsDir)
  const sites: Listening[] = []
  const lines: string[] = []
  for (const { config, port } of plan.sites) {
    const app = buildServer(config, flags)
    let listening: Listening
    try {
      listening = await listenSite(app, plan.host, port)
    } catch (error) {
      await Promise.all([app.close(), ...sites.map(async site => await site.close())])
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') fail(`--port ${port}: already in use (another flag server?); pick another with --port, or 0 for a free one`, 1)
      fail(`--host ${plan.host}, --port ${port}: cannot listen (${code ?? (error as Error).message})`, 1)
    }
    sites.push(listening)
    lines.push(`  ${config.name.padEnd(6)} http://${urlHost(plan.host)}:${listening.port}/flags  ${describeInjection(config.injection)}`)
  }
  const seed = plan.sites[0]?.config.seed
  process.stdout.write(`flag server: ${flags.codes.length} flags, seed ${seed} (--seed ${seed} repeats every delay and fault)\n${lines.join('\n')}\nCtrl-C stops it.\n`)
  return sites
}

/** Stop accepting, give requests in flight the grace period, then cut what is left. */
function closeOnSignals (sites: Listening[], graceMs: number): void {
  let closing = false
  const close = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(130)
    closing = true
    process.stdout.write(`${signal}: closing, requests in flight get up to ${formatDuration(graceMs)}\n`)
    const cut = setTimeout(() => {
      for (const site of sites) site.cut()
    }, graceMs)
    cut.unref()
    Promise.all(sites.map(async site => await site.close())).then(
      () => process.exit(0),
      (error: Error) => fail(`closing: ${error.message}`, 1)
    )
  }
  process.on('SIGINT', close)
  process.on('SIGTERM', close)
}

async function main (): Promise<void> {
  const plan = parsedOrExit('flag-server', () => parseServerArgs(process.argv.slice(2), process.env))
  if (plan.help) {
    process.stdout.write(SERVER_HELP)
    return
  }
  let sites: Listening[]
  try {
    sites = await start(plan)
  } catch (error) {
    if (error instanceof FlagsError) fail(error.message, 2)
    throw error
  }
  closeOnSignals(sites, plan.graceMs)
}

await main()
