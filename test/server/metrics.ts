import t from 'tap'
import { request } from 'undici'
import { meanLoopDelayMs, readLoopDelay } from '../../harness/core/load/server-gauge.js'
import { injectionOf, startSite } from '../fixtures/site.js'

/** A series' value in the Prometheus text, or NaN when it is missing. */
function series (text: string, name: string): number {
  const line = text.split('\n').find(l => l.startsWith(`${name} `))
  return line === undefined ? NaN : Number(line.slice(name.length + 1))
}

async function timed (url: string): Promise<number> {
  const start = performance.now()
  const res = await request(url)
  await res.body.arrayBuffer()
  return performance.now() - start
}

t.test('flags_response_seconds: a fixed 200 ms latency lands in the (0.2, 0.25] bucket', async t => {
  // The server waits out each answer's 200 ms by performance.now() from the route (inject.ts),
  // which runs after the request arrived: every flag request answered takes more than 0.2 s, so
  // the le="0.2" bucket holds none of them. Its time runs inside the client's, which also holds
  // the sending and the reading: each one the client saw in under 250 ms is counted in (0.2,
  // 0.25] at least — all N on a quiet machine (each about 201 ms). A busy machine only moves
  // answers up; the count holds every answer, whatever its bucket (two rounds of N: the first
  // opens the connections). /metrics itself, another route, is not timed.
  const N = 20
  const base = await startSite(t, { injection: injectionOf({ latency: '200ms' }) })
  const round = async (): Promise<number[]> => await Promise.all(Array.from({ length: N }, async () => await timed(`${base}/flags/br/br.gif`)))
  const scrape = async (): Promise<string> => await (await request(`${base}/metrics`)).body.text()
  // A first round opens the N connections and warms the route; the second is the one read.
  await round()
  const before = await scrape()
  const took = await round()
  const text = await scrape()
  const delta = (name: string): number => series(text, name) - series(before, name)
  const under250 = took.filter(ms => ms < 250).length
  const inBucket = delta('flags_response_seconds_bucket{le="0.25"}') - delta('flags_response_seconds_bucket{le="0.2"}')
  t.comment(`client times ${Math.min(...took).toFixed(1)}..${Math.max(...took).toFixed(1)} ms; ${inBucket} in (0.2, 0.25]`)
  t.equal(series(text, 'flags_response_seconds_bucket{le="0.2"}'), 0, 'none at or under 0.2 s')
  t.ok(inBucket >= under250, `${inBucket} in (0.2, 0.25]: at least the ${under250} the client saw in under 250 ms`)
  t.equal(series(text, 'flags_response_seconds_count'), 2 * N, 'every flag request counted once, /metrics not')
  t.equal(series(text, 'flags_response_seconds_bucket{le="+Inf"}'), 2 * N, '+Inf holds them all')
  t.ok(delta('flags_response_seconds_sum') > 0.2 * N, 'the sum grew by more than N × 0.2 s')
  t.match(text, /^# TYPE flags_response_seconds histogram$/m)
})

t.test('flags_event_loop_delay_seconds: a summary in seconds, present and ≥ 0', async t => {
  // The monitor ticks every 10 ms and counts from its second tick: asked again until it has (a
  // busy machine may hold the server past its first ticks); a monitor that never counts fails
  // the test by tap's timeout.
  const base = await startSite(t)
  let text = ''
  while (!(series(text, 'flags_event_loop_delay_seconds_count') > 0)) {
    await new Promise(resolve => setTimeout(resolve, 20))
    text = await (await request(`${base}/metrics`)).body.text()
  }
  t.match(text, /^# TYPE flags_event_loop_delay_seconds summary$/m)
  for (const q of ['0.5', '0.99', '1']) {
    const value = series(text, `flags_event_loop_delay_seconds{quantile="${q}"}`)
    t.ok(value >= 0, `quantile ${q}: ${value} s`)
  }
  t.ok(series(text, 'flags_event_loop_delay_seconds_sum') >= 0, 'a sum ≥ 0')
})

t.test('flags_event_loop_delay_seconds, known answer: the server\'s loop blocked for 200 ms', async t => {
  // The site runs in this process: blocking this thread blocks its loop. The monitor records the
  // time between two of its 10 ms ticks; the two around the block are at least 200 ms apart, so
  // one tick reads at least 200 − 10 = 190 ms late: the max is at least 0.19 s and the sum grows
  // by at least that. The sweep's figure (meanLoopDelayMs) spreads it over the ticks between its
  // two readings: at least 190 ms / their count. A busy machine only adds delay.
  const base = await startSite(t)
  await new Promise(resolve => setTimeout(resolve, 50))
  const before = await readLoopDelay(base)
  const start = performance.now()
  while (performance.now() - start < 200);
  await new Promise(resolve => setTimeout(resolve, 50))
  const after = await readLoopDelay(base)
  const text = await (await request(`${base}/metrics`)).body.text()
  t.ok(series(text, 'flags_event_loop_delay_seconds{quantile="1"}') >= 0.19, `max ${series(text, 'flags_event_loop_delay_seconds{quantile="1"}')} s, at least 0.19`)
  if (before === null || after === null) return t.fail('the summary read')
  t.ok(after.sumS - before.sumS >= 0.19, `the sum grew by ${(after.sumS - before.sumS).toFixed(3)} s, at least 0.19`)
  const ticks = after.count - before.count
  t.ok((meanLoopDelayMs(before, after) ?? 0) >= 190 / ticks, `the sweep's mean over the ${ticks} ticks: ${meanLoopDelayMs(before, after)?.toFixed(1)} ms, at least 190 / ${ticks}`)
})
