// npm run race: serve the live race page, print its URL, close (and stop any embedded server) on Ctrl-C.

import { EXIT, parsedOrExit } from '../../server/command-line/exit.js'
import { onInterrupt } from '../../server/command-line/interrupt.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine } from '../../server/command-line/options.js'
import { answeredHelpOrVersion } from '../../server/command-line/version.js'
import { parsePort, urlHost } from '../../server/contract/values.js'
import { buildRaceApp } from './app.js'
import { ignoreClosedPipes } from '../../server/command-line/pipes.js'

const RACE_COMMAND: CommandLine = {
  program: 'flag-race',
  usage: 'npm run race -- [--port N] [--host ADDRESS]',
  about: 'Serves a page at /race that races the harness\'s three clients (sequential, pooled, async) at the same time (with CPU work, one after the other, each with the cores to itself), against the harness\'s own server or one of the book\'s sites, each flag shown as it lands. Each mode runs in a process of its own, started and warmed up before the race as npm run harness warms each mode: the three share only the server and the machine\'s cores. npm run harness runs them one after the other, for the clean figures. The page\'s URLs are all relative, so it works from wherever this server is reached (in Docker: --host 0.0.0.0 and a published port).',
  groups: [{
    heading: 'Options',
    rows: [
      { name: 'port', type: 'string', metavar: 'N', help: '0 to 65535; 0 picks a free port', default: '8080' },
      { name: 'host', type: 'string', metavar: 'ADDRESS', help: 'the address to bind (0.0.0.0 for every interface)', default: '127.0.0.1' },
      HELP_OPTION,
      VERSION_OPTION
    ]
  }],
  closing: 'Exit: 0 when closed by Ctrl-C (SIGINT) or SIGTERM, 1 when it cannot listen, 2 for bad options.'
}

function parseRaceArgs (argv: string[]): { port: number, host: string, help: boolean, version: boolean } {
  const { text, on } = readCommandLine(RACE_COMMAND, argv)
  const port = text('port')
  return { port: port === undefined ? 8080 : parsePort(port, '--port'), host: text('host') ?? '127.0.0.1', help: on('help'), version: on('version') }
}

async function main (): Promise<void> {
  ignoreClosedPipes()
  const options = parsedOrExit(RACE_COMMAND.program, () => parseRaceArgs(process.argv.slice(2)))
  if (answeredHelpOrVersion(RACE_COMMAND, options)) return
  const app = buildRaceApp()
  // A second Ctrl-C quits at once; the exit hooks still kill the embedded server and the lanes'
  // processes (which also end on their own when this process's IPC channel to them closes).
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
  // Every interface: a browser on this machine reaches it on loopback.
  const everywhere = options.host === '0.0.0.0' || options.host === '::'
  const shown = everywhere ? `http://127.0.0.1:${port}/race (listening on ${options.host})` : `http://${urlHost(options.host)}:${port}/race`
  process.stdout.write(`Race page: ${shown} (Ctrl-C to stop)\n`)
}

await main()
