// The benchmark's yardstick: Fastify with one route sending the very bytes the flag server sends
// for a flag (the same body and headers, Server-Timing included, from the server's own flag
// loader), and nothing else: no hooks, no fate, no injection. With --delay-ms it is the naive
// way to add latency, a plain timer before the reply, which the flag server must keep up with.
// It says it is ready as the flag server does (the contract's ready message), so that
// startEmbeddedServer runs it like the flag server.

import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { EXIT, exitWith, FlagsError, onInterrupt, parseArgsError, parsedOrExit } from '../server/contract/errors.js'
import { formatServerTiming } from '../server/contract/protocol.js'
import { defaultFlagsDir } from '../server/contract/project.js'
import { announceReady } from '../server/contract/ready.js'
import { parsePort, urlHost, wholeNumber } from '../server/contract/values.js'
// The one server module a tool may import (eslint.config.js says why): the same bytes.
import { loadFlags } from '../server/flags.js'

const PROGRAM = 'bare-server'
const KNOWN = ['--host', '--port', '--delay-ms', '--flags-dir']

const { host, port, delayMs, flagsDir } = parsedOrExit(PROGRAM, () => {
  let values: Record<string, string | undefined>
  try {
    ({ values } = parseArgs({
      options: { host: { type: 'string' }, port: { type: 'string' }, 'delay-ms': { type: 'string' }, 'flags-dir': { type: 'string' } },
      strict: true
    }))
  } catch (error) {
    throw parseArgsError(error, KNOWN)
  }
  return {
    host: values.host ?? '127.0.0.1',
    port: parsePort(values.port ?? '0', '--port'),
    delayMs: wholeNumber(values['delay-ms'] ?? '0', '--delay-ms', 0, 60_000),
    flagsDir: values['flags-dir'] ?? defaultFlagsDir()
  }
})
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
