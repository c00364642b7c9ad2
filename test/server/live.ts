// The live view's feed over a real site: what a page hears of each flag request (arrival, end,
// fate, run), the admin API's rules on /live, and a slow page that misses frames but never
// loses count of what it missed.

import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { FRAME_MS, LiveFeed, MAX_UNSENT_BYTES, RUN_GAP_MS } from '../../server/live/feed.js'
import { FrameColumns, type LiveArrival, type LiveEnd, type LiveFrame, type WireFrame } from '../../server/live/frame.js'
import { decodeFrame } from '../../server/live/page/decode-frame.js'
import { SiteMetrics } from '../../server/metrics.js'
import { openRequestOf, tracker } from '../../server/requests.js'
import { projectFlags, startSite } from '../fixtures/site.js'

/** A page's event stream: every frame it got so far, and a wait for the ones to come. */
interface Stream { frames: LiveFrame[], until: (done: (frames: LiveFrame[]) => boolean) => Promise<void>, close: () => void }

async function watch (t: Test, url: string): Promise<Stream> {
  const frames: LiveFrame[] = []
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).on('error', reject))
  t.equal(res.headers['content-type'], 'text/event-stream')
  let text = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    text += chunk
    let end
    while ((end = text.indexOf('\n\n')) !== -1) {
      frames.push(decodeFrame(JSON.parse(text.slice('data: '.length, end)) as WireFrame))
      text = text.slice(end + 2)
    }
  })
  const close = (): void => { res.destroy() }
  t.teardown(close)
  const until = async (done: (frames: LiveFrame[]) => boolean): Promise<void> => {
    while (!done(frames)) await sleep(20)
  }
  await until(f => f.length > 0)
  return { frames, until, close }
}

const arrivals = (frames: LiveFrame[]): LiveArrival[] => frames.flatMap(f => f.arrivals)
const ends = (frames: LiveFrame[]): LiveEnd[] => frames.flatMap(f => f.ends)

t.test('a page hears each flag request from its arrival to its end, its fate, its run', async t => {
  const base = await startSite(t, { name: 'LIVE' })
  const page = await watch(t, `${base}/live/events`)
  t.match(page.frames[0], { site: 'LIVE', injection: 'latency 0ms', gapMs: RUN_GAP_MS, arrivals: [], ends: [], dropped: 0 }, 'a first, empty frame names the site and its injection')

  // Not flag files: the page leaves them out (the harness asks for /flags and /healthz first).
  await fetch(`${base}/flags`).then(async r => await r.text())
  await fetch(`${base}/healthz`).then(async r => await r.text())
  const asked = ['br', 'cn', 'in'].map(cc => `${base}/flags/${cc}/${cc}.gif?latency=300ms`)
  const answered = await Promise.all(asked.map(async url => await fetch(url).then(async r => ({ status: r.status, bytes: (await r.arrayBuffer()).byteLength }))))
  t.same(answered.map(a => a.status), [200, 200, 200])
  await page.until(f => ends(f).length === 3)
  // 300ms each: a frame (every 250ms) showed each in flight before its end came.
  t.same(arrivals(page.frames).map(a => a.path).sort(), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/in/in.gif'], 'each shown in flight first')
  const seen = ends(page.frames)
  t.same(seen.map(a => a.path).sort(), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/in/in.gif'], 'the three flags, their paths without the query')
  t.same(seen.map(a => [a.run, a.client]), [[1, '127.0.0.1'], [1, '127.0.0.1'], [1, '127.0.0.1']], 'one run, from the loopback')
  t.same(seen.map(a => a.index).sort(), [0, 1, 2], 'numbered in arrival order')
  t.equal(Math.min(...seen.map(a => a.atMs)), 0, 'the run starts at its first arrival')
  const flags = await projectFlags()
  for (const end of seen) {
    const cc = end.path.split('/')[2] as string
    t.match(end, { run: 1, status: 200, fault: 'none', fate: 'ok', delayMs: 300 }, `${cc}: answered 200, after the 300ms it was told to wait`)
    // Known answer: the body is the flag's file, as the flag set holds it.
    t.equal(end.bytes, flags.files.get(`${cc}/${cc}.gif`)?.ok.body.length, `${cc}: its bytes are its file's`)
    t.ok(end.endMs - end.atMs >= 300, `${cc}: its bar lasts the 300ms delay at least (${(end.endMs - end.atMs).toFixed(1)}ms)`)
  }

  // After a gap with nothing in flight, a new run; the fates of the errors.
  await sleep(RUN_GAP_MS + 100)
  const faults = [['/flags/us/us.gif?error-rate=1', 418], ['/flags/zz/zz.gif', 404], ['/flags/fr/fr.gif?reset-rate=1', 'reset']] as const
  for (const [path] of faults) await fetch(`${base}${path}`).then(async r => await r.arrayBuffer(), () => null)
  await page.until(f => ends(f).length === 6)
  const second = ends(page.frames).slice(3)
  t.same(second.map(a => [a.run, a.index]), [[2, 0], [2, 1], [2, 2]], 'a second run, numbered from 0 again')
  t.equal(second[0]?.atMs, 0, 'timed from its own start')
  t.match(ends(page.frames).slice(3), [
    { run: 2, status: 418, fault: 'http-418', fate: 'http error' },
    { run: 2, status: 404, fault: 'none', fate: 'http error' },
    { run: 2, status: 'none', fault: 'reset', fate: 'reset', bytes: 0 }
  ], 'an HTTP error (drawn or a 404) and a reset, named as the page colours them')
})

t.test('a frame travels as columns, each string once, and reads back as requests', async t => {
  const columns = new FrameColumns()
  const arrival = { run: 3, index: 0, connection: 7, client: '127.0.0.1', path: '/flags/br/br.gif', at: 0 }
  columns.addEnd(arrival, 31234, 200, 'none', 'ok', 300, 1234)
  columns.addEnd({ ...arrival, index: 1, connection: 8, path: '/flags/cn/cn.gif', at: 150 }, 2000, 'none', 'reset', 'reset', 0, 0)
  columns.addArrival({ ...arrival, index: 2, at: 1999 })
  const wire: WireFrame = { site: 'S', injection: 'i', gapMs: 2000, strings: columns.strings, arrivals: columns.arrivals, ends: columns.ends, dropped: 0 }
  // Known answer: the strings in the order first met, each once: the client, none, ok, reset
  // (a fault and a fate of the same name, one entry); the paths as they are.
  t.same(wire.strings, ['127.0.0.1', 'none', 'ok', 'reset'])
  t.same(wire.ends.client, [0, 0], 'one client, once')
  t.same(wire.ends.fault, [1, 3])
  t.same(wire.ends.fate, [2, 3])
  t.same(wire.ends.path, ['/flags/br/br.gif', '/flags/cn/cn.gif'])
  t.same(wire.ends.status, [200, 0], 'none travels as 0')
  t.equal(columns.size, 3, 'two ends and an arrival held')
  // Times in hundredths of a ms: 31234 is 312.34 ms; the arrival at 1999, 19.99 ms.
  t.same(decodeFrame(JSON.parse(JSON.stringify(wire)) as WireFrame), {
    site: 'S',
    injection: 'i',
    gapMs: 2000,
    arrivals: [{ run: 3, index: 2, connection: 7, client: '127.0.0.1', path: '/flags/br/br.gif', atMs: 19.99 }],
    ends: [
      { run: 3, index: 0, connection: 7, client: '127.0.0.1', path: '/flags/br/br.gif', atMs: 0, endMs: 312.34, status: 200, fault: 'none', fate: 'ok', delayMs: 300, bytes: 1234 },
      { run: 3, index: 1, connection: 8, client: '127.0.0.1', path: '/flags/cn/cn.gif', atMs: 1.5, endMs: 20, status: 'none', fault: 'reset', fate: 'reset', delayMs: 0, bytes: 0 }
    ],
    dropped: 0
  }, 'decoded, each request whole, as the page reads it')
})

t.test('a page hears only what arrives while it watches', async t => {
  const base = await startSite(t)
  await fetch(`${base}/flags/br/br.gif`).then(async r => await r.arrayBuffer())
  const page = await watch(t, `${base}/live/events`)
  await fetch(`${base}/flags/cn/cn.gif`).then(async r => await r.arrayBuffer())
  await page.until(f => ends(f).length === 1)
  t.same(ends(page.frames).map(a => [a.run, a.index, a.path]), [[1, 0, '/flags/cn/cn.gif']], 'the request before it came is not in its picture')
})

t.test('/live keeps the admin API\'s rules', async t => {
  const open = await startSite(t)
  for (const path of ['/live', '/live/page.js', '/live/decode-frame.js', '/live/events']) {
    const port = new URL(open).port
    const refused = await new Promise<IncomingMessage>((resolve, reject) => get({ host: '127.0.0.1', port, path, headers: { host: 'rebound.example' } }, resolve).on('error', reject))
    t.equal(refused.statusCode, 403, `${path}: another name in Host is refused on a loopback bind`)
    refused.resume()
  }
  const page = await fetch(`${open}/live`)
  t.equal(page.status, 200)
  t.match(await page.text(), /<script type="module" src="live\/page.js">/, 'the page loads its script beside it')
  t.equal((await fetch(`${open}/live/page.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8')
  t.match(await fetch(`${open}/live/decode-frame.js`).then(async r => await r.text()), /export function decodeFrame/, 'and the module the script imports')

  const guarded = await startSite(t, { admin: { enabled: true, token: 'sesame' } })
  const without = await fetch(`${guarded}/live`)
  t.equal(without.status, 401, 'with an admin token, none is refused')
  t.equal(((await without.json()) as { error: string }).error, 'live view: missing or wrong token; send Authorization: Bearer <token> (or ?token=<token>)')
  t.equal((await fetch(`${guarded}/live?token=wrong`)).status, 401, 'a wrong one too')
  t.equal((await fetch(`${guarded}/live?token=sesame`)).status, 200, 'the token in the query, as the page passes it to its stream')
  t.equal((await fetch(`${guarded}/live`, { headers: { authorization: 'Bearer sesame' } })).status, 200, 'or in the header')

  const off = await startSite(t, { admin: { enabled: false } })
  t.equal((await fetch(`${off}/live`)).status, 404, 'where the admin API is off (off loopback without a token), so is /live')
})

t.test('a slow page misses frames, never holds them, and is told how many events it missed', async t => {
  const feed = new LiveFeed('SLOW', () => 'no injection')
  const server = createServer((req, res) => {
    res.end('x')
    openRequestOf(res)?.finish(200)
  })
  server.prependListener('request', tracker(new SiteMetrics('/flags/:cc/:file'), undefined, feed))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // A page that reads nothing: what the feed writes stays in its buffer.
  const page = new PassThrough()
  feed.watch(page as unknown as ServerResponse)
  t.equal(feed.watching, true)
  let requests = 0
  let most = 0
  const batch = async (): Promise<void> => {
    await Promise.all(Array.from({ length: 100 }, async (_, i) => await fetch(`${base}/flags/a${requests + i}/x.gif`).then(async r => await r.text())))
    requests += 100
    most = Math.max(most, page.writableLength)
  }
  // Until the page is behind, then one batch more and two frame periods: a frame is flushed while
  // it is behind, so that frame is missed (a fast machine can fall behind only on its last frame).
  while (page.writableLength <= MAX_UNSENT_BYTES) await batch()
  await batch()
  await sleep(2 * FRAME_MS)
  // Known answer: a frame is written only while less than MAX_UNSENT_BYTES waits; one frame holds
  // at most a 250ms batch of requests, under 4000 events of under 200 bytes each.
  t.ok(most <= MAX_UNSENT_BYTES + 4000 * 200, `the unsent bytes stayed bounded (${most}, cap ${MAX_UNSENT_BYTES})`)
  t.ok(page.writableLength > MAX_UNSENT_BYTES, 'the page fell behind')
  let text = ''
  page.setEncoding('utf8')
  page.on('data', (chunk: string) => { text += chunk })
  await fetch(`${base}/flags/last/x.gif`).then(async r => await r.text())
  const frames = (): LiveFrame[] => text.split('\n\n').filter(f => f !== '').map(f => decodeFrame(JSON.parse(f.slice('data: '.length)) as WireFrame))
  while (!frames().some(f => f.ends.some(a => a.path === '/flags/last/x.gif'))) await sleep(20)
  const all = frames()
  const ended = all.reduce((sum, f) => sum + f.ends.length, 0)
  const shown = all.reduce((sum, f) => sum + f.arrivals.length, 0)
  const dropped = all.reduce((sum, f) => sum + f.dropped, 0)
  t.ok(dropped > 0, `it was told it missed ${dropped} events`)
  // Known answer: each of the requests' ends (the batches and the last) was sent or counted as
  // missed, and so was each in-flight arrival a frame held (at most one per request): between
  // requests + 1 and twice that.
  t.ok(ended + shown + dropped >= requests + 1 && ended + shown + dropped <= 2 * (requests + 1), `sent ${ended} ends and ${shown} arrivals, missed ${dropped}: each request's end once`)
  page.destroy()
  feed.close()
  t.equal(feed.watching, false, 'nobody watches once the page is gone')
})
