// The benchmark's yardstick: Fastify with one route serving the same GIF bytes as the flag
// server, and nothing else (no hooks, no fate, no injection). With --delay-ms it is the naive
// way to add latency, a plain timer before the reply, which the flag server must keep up with.

import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { defaultFlagsDir, loadFlags } from '../server/flags.js'

function fail (message: string): never {
  process.stderr.write(`bare-server: ${message}\n`)
  process.exit(2)
}

function wholeNumber (text: string, option: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max) fail(`--${option}: invalid value ${JSON.stringify(text)}; accepted: a whole number from 0 to ${max}`)
  return Number(text)
}

let values: Record<string, string | undefined>
try {
  ({ values } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' }, 'delay-ms': { type: 'string' }, 'flags-dir': { type: 'string' } },
    strict: true
  }))
} catch (error) {
  fail(`${(error as Error).message}; accepted: --host, --port, --delay-ms, --flags-dir`)
}
const host = values.host ?? '127.0.0.1'
const port = wholeNumber(values.port ?? '0', 'port', 65535)
const delayMs = wholeNumber(values['delay-ms'] ?? '0', 'delay-ms', 60_000)
const flags = await loadFlags(values['flags-dir'] ?? defaultFlagsDir()).catch((error: Error) => fail(error.message))

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get<{ Params: { cc: string, file: string } }>('/flags/:cc/:file', async (request, reply) => {
  const found = flags.files.get(`${request.params.cc}/${request.params.file}`)
  if (found === undefined) return await reply.code(404).send({ error: 'not found' })
  if (delayMs > 0) await sleep(delayMs)
  return await reply.type(found.contentType).send(found.body)
})

try {
  await app.listen({ host, port })
} catch (error) {
  fail(`--host ${host}, --port ${port}: cannot listen (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
}
const bound = (app.server.address() as AddressInfo).port
const urlHost = host.includes(':') ? `[${host}]` : host
// The flag server's start-up line, so that the embedded harness finds the URL the same way.
process.stdout.write(`  ${'BARE'.padEnd(6)} http://${urlHost}:${bound}/flags  delay ${delayMs}ms\n`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0), () => process.exit(1))
  })
}
