// npm run race: serve the live race page, print its URL, close (and stop any embedded server) on Ctrl-C.

import { parseArgs } from 'node:util'
import { EXIT, onInterrupt, parseArgsError, parsedOrExit } from '../../server/contract/errors.js'
import { parsePort, urlHost } from '../../server/contract/values.js'
import { buildRaceApp } from './app.js'

const HELP = `Usage: npm run race -- [--port N] [--host ADDRESS]

Serves a page at /race that races the harness's three clients (sequential, pooled, async) at
the same time, against the harness's own server or one of the book's sites, each flag shown
as it lands. The modes share this process's event loop and the machine's cores, so the race
shows the shape; npm run harness gives the clean figures.

  --port N          0 to 65535; 0 picks a free port (default 8080)
  --host ADDRESS    the address to bind (default 127.0.0.1)
  -h, --help
`

function parseRaceArgs (argv: string[]): { port: number, host: string, help: boolean } {
  const options = { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const
  let values
  try {
    values = parseArgs({ args: argv, options, strict: true }).values
  } catch (error) {
    throw parseArgsError(error, Object.keys(options).map(name => `--${name}`))
  }
  const port = values.port === undefined ? 8080 : parsePort(values.port, '--port')
  return { port, host: values.host ?? '127.0.0.1', help: values.help === true }
}

async function main (): Promise<void> {
  const options = parsedOrExit('flag-race', () => parseRaceArgs(process.argv.slice(2)))
  if (options.help) {
    process.stdout.write(HELP)
    return
  }
  const app = buildRaceApp()
  // A second Ctrl-C quits at once; the embedded server's exit hook still kills it.
  onInterrupt(() => { app.close().then(() => process.exit(EXIT.ok), () => process.exit(EXIT.failed)) })
  try {
    await app.listen({ port: options.port, host: options.host })
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    process.stderr.write(`flag-race: cannot listen on ${options.host}:${options.port} (${code ?? message})\n`)
    process.exit(EXIT.failed)
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  process.stdout.write(`Race page: http://${urlHost(options.host)}:${port}/race (Ctrl-C to stop)\n`)
}

await main()
