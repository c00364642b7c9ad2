import t from 'tap'
import { flagFile, flagUrl, formatServerTiming, overrideHeaders, parseServerTiming } from '../../../server/contract/protocol.js'

t.test('Server-Timing: what the server writes, a client reads back', async t => {
  // Each pair: what the server injected, and the header text it sends (worked out by hand:
  // the delay to at most three decimals, the fault's name quoted).
  // A slow body adds how long its body takes to send after the delay.
  const cases: Array<[{ delayMs: number, fault: string, bodyMs?: number }, string]> = [
    [{ delayMs: 0, fault: 'none' }, 'delay;dur=0, fault;desc="none"'],
    [{ delayMs: 812.5, fault: 'http-418' }, 'delay;dur=812.5, fault;desc="http-418"'],
    [{ delayMs: 1819.02849, fault: 'slow', bodyMs: 2000 }, 'delay;dur=1819.028, fault;desc="slow", body;dur=2000'],
    [{ delayMs: 30000, fault: 'hang-refused' }, 'delay;dur=30000, fault;desc="hang-refused"']
  ]
  for (const [timing, header] of cases) {
    t.equal(formatServerTiming(timing), header, `written: ${header}`)
    t.same(parseServerTiming(header), { delayMs: Number(timing.delayMs.toFixed(3)), fault: timing.fault, bodyMs: timing.bodyMs ?? null }, `read back: ${header}`)
  }
})

t.test('Server-Timing from elsewhere: what it does not say is null', async t => {
  t.same(parseServerTiming(undefined), { delayMs: null, fault: null, bodyMs: null }, 'no header')
  t.same(parseServerTiming('cache;dur=2.5'), { delayMs: null, fault: null, bodyMs: null }, 'another server\'s metrics')
  t.same(parseServerTiming('delay;dur=15'), { delayMs: 15, fault: null, bodyMs: null }, 'a delay without a fault')
  t.same(parseServerTiming(['db;dur=1', 'delay;dur=7.25, fault;desc="truncate"']), { delayMs: 7.25, fault: 'truncate', bodyMs: null }, 'several header lines')
})

t.test('flag paths, as the book\'s clients ask for them', async t => {
  t.equal(flagFile('BR'), 'br/br.gif')
  t.equal(flagUrl('/flags', 'BR'), '/flags/br/br.gif')
  t.equal(flagUrl('http://127.0.0.1:8001/flags', 'cn'), 'http://127.0.0.1:8001/flags/cn/cn.gif')
})

t.test('overrides go as x-flags-* headers', async t => {
  t.same(overrideHeaders({ latency: '200ms', 'error-rate': '503:1' }), { 'x-flags-latency': '200ms', 'x-flags-error-rate': '503:1' })
  t.same(overrideHeaders({}), {})
})
