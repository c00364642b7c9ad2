// The request log above fifty lines a second: a burst of known statuses and faults from the
// compiled server as a person runs it (a child process, port 0, --log json), its lines and
// summary lines adding up to the burst, then lines again once a second has fewer than fifty.

import t, { type Test } from 'tap'
import { Pool } from 'undici'
import { LINES_PER_SECOND, nearestRank } from '../../server/log.js'
import { spawnCompiled, type Running } from '../fixtures/run.js'

type Line = Record<string, unknown>

const isSummary = (line: Line): boolean => line.msg === 'summary'

/** Adds `of` into `into`, key by key. */
function addCounts (into: Record<string, number>, of: Record<string, number>): void {
  for (const [key, n] of Object.entries(of)) into[key] = (into[key] ?? 0) + n
}

t.test('nearestRank: the value at rank ceil(q·n)', async t => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
  t.equal(nearestRank(hundred, 0.5), 50, 'rank 50 of 1..100')
  t.equal(nearestRank(hundred, 0.99), 99, 'rank 99 of 1..100')
  t.equal(nearestRank([7], 0.99), 7, 'one value: itself')
  t.equal(nearestRank([], 0.5), 0, 'none: 0')
  // ceil(0.5 · 3) = 2: the middle one.
  t.equal(nearestRank([1, 2, 30], 0.5), 2)
})

/** The compiled server with its log on as JSON, and a pool of 50 connections to it. */
async function started (t: Test): Promise<{ running: Running, pool: Pool }> {
  const running = spawnCompiled('server/main.js', ['--host', '127.0.0.1', '--port', '0', '--seed', '1', '--log', 'json'])
  t.teardown(() => running.child.kill('SIGKILL'))
  const banner = await running.printed('stdout', /Ctrl-C stops it/)
  const pool = new Pool(/http:\/\/127\.0\.0\.1:\d+/.exec(banner)?.[0] ?? '', { connections: 50 })
  t.teardown(async () => await pool.close())
  return { running, pool }
}

/** `paths` asked for 50 at a time; the statuses seen, counted. */
async function burst (pool: Pool, paths: readonly string[]): Promise<Record<string, number>> {
  let next = 0
  const statuses: Record<string, number> = {}
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < paths.length) {
      const path = paths[next++] ?? ''
      const { statusCode, body } = await pool.request({ method: 'GET', path })
      await body.dump()
      addCounts(statuses, { [statusCode]: 1 })
    }
  }))
  return statuses
}

/** SIGTERM, exit 0, then every JSON line the server printed. */
async function stopAndRead (t: Test, running: Running): Promise<Line[]> {
  running.child.kill('SIGTERM')
  const { code, stdout } = await running.finished
  t.equal(code, 0, 'exit 0 after SIGTERM')
  return stdout.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line) as Line)
}

t.test('a burst of 1,000 requests: 50 lines, then one summary a second; lines again below 50 a second', async t => {
  t.equal(LINES_PER_SECOND, 50)
  const { running, pool } = await started(t)

  // Ten kinds of request, a hundred of each, every one delayed 20 ms: 200 × 600, 503 × 200,
  // 418 × 100, 404 × 100 (an unknown flag: no fault); faults none × 700, http-503 × 200,
  // http-418 × 100. Fifty at a time, 20 ms each: about 2,500 a second, fifty times the threshold.
  const kinds = ['', '', '', '', '', '', '&error-rate=503:1', '&error-rate=503:1', '&error-rate=418:1', 'unknown']
  const paths = Array.from({ length: 1000 }, (_, i) => {
    const kind = kinds[i % kinds.length] ?? ''
    return kind === 'unknown' ? '/flags/zz/zz.gif?latency=20ms' : `/flags/br/br.gif?latency=20ms${kind}`
  })
  t.same(await burst(pool, paths), { 200: 600, 503: 200, 418: 100, 404: 100 }, 'the client saw the burst as planned')

  // A summary of fewer than fifty requests (the quiet second after the burst) brings the lines back.
  await running.printed('stdout', /"requests":\d,|"requests":[1-4]\d,/)
  for (let i = 0; i < 3; i++) {
    const { statusCode, body } = await pool.request({ method: 'GET', path: '/flags/br/br.gif' })
    await body.dump()
    t.equal(statusCode, 200)
  }
  const lines = await stopAndRead(t, running)
  const lastSummary = Math.max(...lines.map((line, i) => isSummary(line) ? i : -1))
  const during = lines.slice(0, lastSummary + 1)
  const after = lines.slice(lastSummary + 1)

  t.ok(during.slice(0, LINES_PER_SECOND).every(line => line.msg === 'request'), 'the first fifty are request lines')
  t.ok(during.some(isSummary), 'then summary lines')
  const summed = { requests: 0, statuses: {} as Record<string, number>, faults: {} as Record<string, number>, clientGone: 0 }
  for (const line of during) {
    if (isSummary(line)) {
      summed.requests += line.requests as number
      addCounts(summed.statuses, line.statuses as Record<string, number>)
      addCounts(summed.faults, line.faults as Record<string, number>)
      summed.clientGone += line.clientGone as number
    } else {
      summed.requests++
      addCounts(summed.statuses, { [String(line.status)]: 1 })
      addCounts(summed.faults, { [line.fault as string]: 1 })
      if (line.clientGone === true) summed.clientGone++
    }
  }
  t.same(summed, {
    requests: 1000,
    statuses: { 200: 600, 503: 200, 418: 100, 404: 100 },
    faults: { none: 700, 'http-503': 200, 'http-418': 100 },
    clientGone: 0
  }, 'request lines and summaries add up to the burst: every request told once')
  const summaries = during.filter(isSummary)
  t.ok(summaries.every(line => line.requests === 0 || (line.delayP50Ms === 20 && line.delayP99Ms === 20)), 'every request delayed 20 ms: p50 and p99 20 ms')
  t.ok(summaries.every(line => (line.windowMs as number) >= 999), 'each summary covers a second')
  t.ok(summaries.every(line => Number.isInteger(line.inFlight) && (line.inFlight as number) >= 0 && (line.inFlight as number) <= 50), 'in flight: 0 to the 50 connections')
  t.ok(summaries.slice(0, -1).every(line => (line.requests as number) >= LINES_PER_SECOND), 'summaries go on while a second has fifty or more')
  t.ok((summaries.at(-1)?.requests as number) < LINES_PER_SECOND, 'the last has fewer than fifty')
  t.same(after.map(line => [line.msg, line.status, line.path]), [
    ['request', 200, '/flags/br/br.gif'],
    ['request', 200, '/flags/br/br.gif'],
    ['request', 200, '/flags/br/br.gif']
  ], 'below the rate: a line per request again')
})

t.test('stopped while summarizing: the last summary is written before the server exits', async t => {
  const { running, pool } = await started(t)
  // 500 requests to LOCAL as fast as 50 connections go: far above fifty a second, so the log is
  // still summarizing when SIGTERM comes right after them.
  t.same(await burst(pool, Array.from({ length: 500 }, () => '/flags/br/br.gif')), { 200: 500 })
  const lines = await stopAndRead(t, running)
  t.ok(isSummary(lines.at(-1) ?? {}), 'the last line is a summary')
  const told = lines.reduce((sum, line) => sum + (isSummary(line) ? line.requests as number : 1), 0)
  t.equal(told, 500, 'lines and summaries: every request told once, the last ones by the summary written at the exit')
  t.ok(lines.filter(isSummary).every(line => line.delayP50Ms === 0 && line.delayP99Ms === 0), 'LOCAL: no delay')
})
