// autocannon as drive()'s generator, held to a request rate: the measured window holds the
// rate's requests, not as many as the server could answer.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { autocannonGenerator } from '../../../../harness/core/load/autocannon-generator.js'

t.test('a rate of 200/s for a 2 s window: about 400 answers', async t => {
  const server = createServer((_req, res) => res.end('GIF89a'))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let cuts = 0
  const seen = await autocannonGenerator().run({ url, connections: 4, paths: ['/a', '/b'], warmup: { seconds: 1 }, durationS: 2, ratePerS: 200 }, () => { cuts++ }, new AbortController().signal)
  t.equal(cuts, 1, 'the window was cut once')
  // Known answer: autocannon spends 200/s as 50 a second on each of the 4 connections, each in a
  // burst at the top of its second; the window is cut half a second off the bursts and stopped 2 s
  // later (within 0.1 s), so it holds two whole bursts: 2 × 200 = 400. An answer this server
  // gives at once would be thousands in 2 s without the rate. Tolerance: one connection's budget
  // (50), for a burst a timer late by over 0.4 s on a loaded machine would push across an edge.
  t.ok(Math.abs(seen.answered - 400) <= 50, `answered ${seen.answered}, 400 within 50`)
  // The rate achieved: those answers over the time from the cut to the stop, 2 s or more (a timer
  // is never early by a millisecond): 400 / 2 s = 200/s at most, less by as much as the stop was late.
  t.ok(seen.rps !== null && seen.rps > 0 && seen.rps <= seen.answered / 1.999, `achieved ${seen.rps?.toFixed(1) ?? '-'}/s: ${seen.answered} over 2 s or more`)
  t.equal(seen.non2xx, 0, 'every answer 2xx')
  t.same(seen.errorKinds, {}, 'no error')
})
