// The benchmark's yardstick: Fastify with one route sending the very bytes the flag server sends
// for a flag (the same body and headers, Server-Timing included, from the server's own flag
// loader), and nothing else: no hooks, no fate, no injection. With --delay-ms it is the naive
// way to add latency, a plain timer before the reply, which the flag server must keep up with.
// It says it is ready as the flag server does (the contract's ready message), so that
// startEmbeddedServer runs it like the flag server.

import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import { EXIT, exitWith, parsedOrExit } from '../server/command-line/exit.js'
import { onInterrupt } from '../server/command-line/interrupt.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine } from '../server/command-line/options.js'
import { answeredHelpOrVersion } from '../server/command-line/version.js'
import { FlagsError } from '../server/contract/errors.js'
import { formatServerTiming } from '../server/contract/protocol.js'
import { defaultFlagsDir } from '../server/contract/project.js'
import { announceReady } from '../server/contract/ready.js'
import { parsePort, urlHost, wholeNumber } from '../server/contract/values.js'
// The one server module a tool may import (eslint.config.js says why): the same bytes.
import { loadFlags } from '../server/flags.js'

const COMMAND: CommandLine = {
  program: 'bare-server',
  usage: 'node dist/bench/bare-server.js [options]',
  about: 'The benches\' yardstick: bare Fastify sending the flag server\'s bytes, nothing else (the benches start it).',
  groups: [{
    heading: 'Options',
    rows: [
      { name: 'host', type: 'string', metavar: 'HOST', help: 'address to bind', default: '127.0.0.1' },
      { name: 'port', type: 'string', metavar: 'N', help: '0 to 65535; 0 picks a free port', default: '0' },
      { name: 'delay-ms', type: 'string', metavar: 'N', help: 'a plain timer before each reply, in ms (0 to 60000)', default: '0' },
      { name: 'flags-dir', type: 'string', metavar: 'DIR', help: 'where the flags are', default: 'the project\'s flags/' },
      HELP_OPTION,
      VERSION_OPTION
    ]
  }],
  closing: 'Exit: 0 when closed by SIGINT or SIGTERM, 1 when it cannot listen, 2 for bad options.'
}
const PROGRAM = COMMAND.program

const { host, port, delayMs, flagsDir, asked } = parsedOrExit(PROGRAM, () => {
  const { text, on } = readCommandLine(COMMAND, process.argv.slice(2))
  return {
    host: text('host') ?? '127.0.0.1',
    port: parsePort(text('port') ?? '0', '--port'),
    delayMs: wholeNumber(text('delay-ms') ?? '0', '--delay-ms', 0, 60_000),
    flagsDir: text('flags-dir') ?? defaultFlagsDir(),
    asked: { help: on('help'), version: on('version') }
  }
})
if (answeredHelpOrVersion(COMMAND, asked)) process.exit(EXIT.ok)
const flags = await loadFlags(flagsDir).catch((error: Error) => exitWith(PROGRAM, error.message, error instanceof FlagsError ? EXIT.usage : EXIT.failed))
/** What the flag server says of a request it delayed by delayMs and did nothing else to. */
const timing = formatServerTiming({ delayMs, fault: 'none' })

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get<{ Params: { cc: string, file: string } }>('/flags/:cc/:file', async (request, reply) => {
  const found = flags.files.get(`${request.params.cc}/${request.params.file}`)
  if (found === undefined) return await reply.code(404).send({ error: 'not found' })
  if (delayMs > 0) await sleep(delayMs)
  return await reply.headers(found.headers).header('server-timing', timing).send(found.body)
})

try {
  await app.listen({ host, port })
} catch (error) {
  exitWith(PROGRAM, `--host ${host}, --port ${port}: cannot listen (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT.failed)
}
const origin = `http://${urlHost(host)}:${(app.server.address() as AddressInfo).port}`
// For a person, in the flag server's form.
process.stdout.write(`  ${'BARE'.padEnd(6)} ${origin}/flags  delay ${delayMs}ms\n`)

onInterrupt(() => { app.close().then(() => process.exit(EXIT.ok), () => process.exit(EXIT.failed)) })
// Last: a parent that stops the server as soon as it is ready finds the signals handled.
announceReady([{ name: 'BARE', origin }])
