// A rolling update, in small: keep-alive clients busy against the compiled server when it gets
// SIGTERM. Before the fix, answers during the grace period kept their keep-alive, the server
// closed each connection as it went idle, and a client's next request, already on its way, was
// reset or answered with Fastify's 503 (docs/SCALING.md: 10 to 43 errors per
// `docker service update --force`). Now every answer from the signal on says
// "Connection: close": the client's next request opens a new connection, which a stopped
// server refuses and a load balancer sends to another replica.

import t from 'tap'
import { Client, errors } from 'undici'
import { spawnCompiled } from '../fixtures/run.js'

const CLIENTS = 20

interface Tally { ok: number, refused: number, closing: number, other: string[] }

/** One keep-alive client asking again as soon as it is answered, until a new connection is refused. */
async function busyClient (origin: string, tally: Tally, signalled: () => boolean): Promise<void> {
  const client = new Client(origin, { pipelining: 1 })
  try {
    for (;;) {
      try {
        const res = await client.request({ path: '/flags/br/br.gif', method: 'GET' })
        await res.body.dump()
        if (res.statusCode !== 200) tally.other.push(`status ${res.statusCode}`)
        else tally.ok++
        if (signalled() && res.headers.connection === 'close') tally.closing++
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ECONNREFUSED') {
          tally.refused++
          return
        }
        tally.other.push(error instanceof errors.UndiciError ? `${error.code}: ${error.message}` : String(code ?? error))
        return
      }
    }
  } finally {
    await client.destroy()
  }
}

t.test('SIGTERM under keep-alive load: every request sent is answered 200, the next ones refused, none lost', async t => {
  const running = spawnCompiled('server/main.js', ['--port', '0', '--host', '127.0.0.1', '--latency', '30ms', '--log', 'off'])
  t.teardown(() => running.child.kill('SIGKILL'))
  const banner = await running.printed('stdout', /Ctrl-C stops it/)
  const origin = /(http:\/\/127\.0\.0\.1:\d+)\/flags/.exec(banner)?.[1] ?? 'no origin printed'
  const tally: Tally = { ok: 0, refused: 0, closing: 0, other: [] }
  let signalled = false
  const clients = Array.from({ length: CLIENTS }, async () => await busyClient(origin, tally, () => signalled))
  // Each client has had a few answers on its connection: they are all kept alive.
  while (tally.ok < CLIENTS * 5) await new Promise(resolve => setTimeout(resolve, 10))
  signalled = true
  running.child.kill('SIGTERM')
  await Promise.all(clients)
  const exit = await running.finished
  t.equal(exit.code, 0, 'the server exits 0')
  t.same(tally.other, [], 'no request reset, cut or answered other than 200')
  t.equal(tally.refused, CLIENTS, `each client's last request found the server gone (ECONNREFUSED), after ${tally.ok} answers`)
  t.ok(tally.closing >= 1, `answers after the signal say "Connection: close" (${tally.closing} seen)`)
})
