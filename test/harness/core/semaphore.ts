// The Semaphore with fewer permits than tasks (C < N), measured where it matters: requests in
// flight at a real HTTP server. The server holds every request until the test releases it, so
// what is counted depends on the gates, not on the machine's speed.

import { setImmediate as nextTurn } from 'node:timers/promises'
import t from 'tap'
import { Pool } from 'undici'
import { Semaphore } from '../../../harness/core/semaphore.js'
import { startGatedServer } from '../../fixtures/gated-server.js'

const C = 3
const N = 10

t.test(`with C = ${C} and N = ${N} requests: exactly C in flight at the server, dispatched first in, first out`, async t => {
  const server = await startGatedServer(t)
  // More connections than requests: the semaphore, not the pool, must be what holds them back.
  const pool = new Pool(server.url, { connections: N })
  t.teardown(async () => await pool.destroy())
  const semaphore = new Semaphore(C)

  const started: number[] = []
  const runs = Array.from({ length: N }, async (_, i) => await semaphore.run(async () => {
    started.push(i)
    const { statusCode, body } = await pool.request({ method: 'GET', path: `/${i}` })
    await body.dump()
    return { i, statusCode }
  }))

  const inFlight: number[] = []
  for (let done = 0; done < N; done++) {
    // Every task the semaphore lets start does so in this turn's microtasks: after a turn of
    // the loop, `started` is complete, and the server has it all once every one has arrived.
    await nextTurn()
    await server.arrived(started.length)
    inFlight.push(server.inFlight())
    // The latest arrival, not the oldest: which holder finishes must not change who goes next.
    const last = server.held.at(-1)
    if (last === undefined) break
    last.release()
    t.same(await runs[Number(last.path.slice(1))], { i: Number(last.path.slice(1)), statusCode: 200 }, `request ${last.path} answered`, { diagnostic: false })
  }

  t.same(inFlight, Array.from({ length: N }, (_, done) => Math.min(C, N - done)), `in flight before each release: C until fewer than C are left (saw ${inFlight.join(', ')})`)
  t.equal(server.maxInFlight(), C, `the most at once at the server is exactly C = ${C}`)
  t.same(started, Array.from({ length: N }, (_, i) => i), 'tasks start in the order they were given')
  // The first C leave together, in whatever order their connections deliver them; then one at a time.
  t.same([...server.arrivals.slice(0, C)].sort(), Array.from({ length: C }, (_, i) => `/${i}`).sort(), 'the first C to arrive are the first C given')
  t.same(server.arrivals.slice(C), Array.from({ length: N - C }, (_, i) => `/${C + i}`), 'the rest arrive in the order given, one per release')
})

t.test('a task that fails passes its permit on, and run() rejects with its error', async t => {
  const semaphore = new Semaphore(1)
  let secondRan = false
  const first = semaphore.run(async () => { throw new Error('the task fails') })
  const second = semaphore.run(async () => { secondRan = true; return 'second' })
  await t.rejects(first, /the task fails/, 'the error comes back')
  await nextTurn()
  t.ok(secondRan, 'the waiting task has run: the failed one gave its permit back')
  t.equal(await second, 'second', 'run() resolves with the task\'s value')
})

t.test('a permit freed with nobody waiting is there for the next caller', async t => {
  const semaphore = new Semaphore(1)
  t.equal(await semaphore.run(async () => 1), 1, 'first')
  let ran = false
  // Synchronously: with a permit free, the task starts in the call, without waiting its turn.
  const next = semaphore.run(async () => { ran = true; return 2 })
  t.ok(ran, 'the next task starts at once')
  t.equal(await next, 2, 'and completes')
})
