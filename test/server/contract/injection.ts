import t from 'tap'
import { formatInjection, NO_INJECTION, parseInjection, type Injection } from '../../../server/contract/injection.js'
import { BOOK_SITES } from '../../../server/contract/sites.js'
import { FlagsError } from '../../../server/contract/errors.js'

const parse = (raw: Record<string, unknown>, base: Injection = NO_INJECTION): Injection => parseInjection(raw, base, name => `--${name}`)

t.test('latency forms', async t => {
  t.same(parse({ latency: '200ms' }).latency, { kind: 'fixed', ms: 200 }, 'a duration is a fixed latency')
  t.same(parse({ latency: '1.5s' }).latency, { kind: 'fixed', ms: 1500 }, 'seconds with a fraction')
  t.same(parse({ latency: '500ms..5s' }).latency, { kind: 'uniform', minMs: 500, maxMs: 5000 }, 'a range is uniform')
  t.same(parse({ latency: 'normal:200ms,50ms' }).latency, { kind: 'normal', medianMs: 200, spreadMs: 50 }, 'normal with a spread')
  t.same(parse({ latency: 'lognormal:200ms,0.5' }).latency, { kind: 'lognormal', medianMs: 200, sigma: 0.5 }, 'lognormal with sigma')
})

t.test('latency forms with spaces and plain decimals still pass', async t => {
  t.same(parse({ latency: 'normal: 200ms, 50ms' }).latency, { kind: 'normal', medianMs: 200, spreadMs: 50 }, 'spaces around a number are not garbage')
  t.same(parse({ latency: 'lognormal:200ms,.5' }).latency, { kind: 'lognormal', medianMs: 200, sigma: 0.5 }, 'a sigma without its leading 0')
  t.same(parse({ latency: 'lognormal:200ms,5' }).latency, { kind: 'lognormal', medianMs: 200, sigma: 5 }, 'a whole sigma, up to 5')
  t.same(parse({ latency: 'lognormal:200ms,0' }).latency, { kind: 'lognormal', medianMs: 200, sigma: 0 })
})

t.test('a tiny sigma or rate is written back as decimals, so that it parses again', async t => {
  const tiny = parse({ latency: 'lognormal:200ms,0.0000001', 'reset-rate': '0.0000001', 'error-rate': '503:0.00000025' })
  const text = formatInjection(tiny)
  t.same([text.latency, text['reset-rate'], text['error-rate']], ['lognormal:200ms,0.0000001', '0.0000001', '503:0.00000025'], 'no 1e-7')
  t.same(parse(text), tiny, 'and it round-trips')
})

t.test('error-rate forms', async t => {
  t.same(parse({ 'error-rate': '0.25' }).errorRate, [{ status: 418, rate: 0.25 }], 'a bare rate answers 418, as the book')
  t.same(parse({ 'error-rate': 0.25 }).errorRate, [{ status: 418, rate: 0.25 }], 'a JSON number is taken too')
  t.same(parse({ 'error-rate': '500:0.1,503:0.05' }).errorRate, [{ status: 500, rate: 0.1 }, { status: 503, rate: 0.05 }], 'a weighted list')
  t.same(parse({ 'error-rate': '0' }).errorRate, [], 'zero means none')
})

t.test('every invalid value names the option and what is accepted', async t => {
  const bad: Array<[string, unknown]> = [
    ['latency', '200'], ['latency', 'abc'], ['latency', '5s..1s'], ['latency', 'normal:200ms'], ['latency', 'lognormal:200ms,x'],
    ['latency', 'poisson:1s'], ['latency', '-5ms'], ['jitter', '1'], ['max-latency', '2d'], ['error-rate', '1.5'],
    ['error-rate', '200:0.1'], ['error-rate', '500:0.1,500:0.2'], ['error-rate', '500'], ['reset-rate', '-0.1'],
    ['hang-rate', 'NaN'], ['slow-rate', ''], ['slow-bps', '0'], ['slow-bps', '1.5'], ['truncate-rate', true], ['latency', { ms: 1 }],
    // Trailing garbage and numbers that are not plain decimals, in every latency form.
    ['latency', 'normal:100ms,10ms:garbage'], ['latency', 'normal:100ms,10ms,5ms'], ['latency', 'normal:100ms,10ms,'],
    ['latency', 'normal:100ms:x,10ms'], ['latency', 'normal:0x10ms,10ms'], ['latency', 'normal:,10ms'], ['latency', 'normal:100ms,'],
    ['latency', 'lognormal:100ms,0x1'], ['latency', 'lognormal:100ms,1e0'], ['latency', 'lognormal:100ms,0b1'], ['latency', 'lognormal:100ms,0o1'],
    ['latency', 'lognormal:100ms,Infinity'], ['latency', 'lognormal:100ms,-0'], ['latency', 'lognormal:100ms,+1'], ['latency', 'lognormal:100ms,1.'],
    ['latency', 'lognormal:100ms,0.5,1'], ['latency', 'lognormal:100ms,0.5:x'], ['latency', 'lognormal:100ms,0.5x'], ['latency', 'lognormal:100ms,6'],
    ['latency', 'lognormal:100ms, '], ['latency', 'lognormal:1e2ms,0.5'], ['latency', 'normal:'], ['latency', 'lognormal:'],
    ['latency', '100ms..1s..2s'], ['latency', '100ms..1s:x'], ['latency', '100ms..'], ['latency', '..1s'], ['latency', '0x10ms..1s'], ['latency', '1e2ms'],
    ['latency', '100msx'], ['latency', '100ms:'], ['latency', ':100ms'], ['latency', '100ms,'], ['latency', 'Infinityms'], ['latency', '1_000ms'],
    ['error-rate', '500:0.1:garbage'], ['error-rate', '500:0.1,503:0.05:x'], ['error-rate', '0x1f4:0.1']
  ]
  for (const [name, value] of bad) {
    t.throws(() => parse({ [name]: value }), { code: 'FLAGS_ERR_INVALID_OPTION', message: new RegExp(`^--${name}: invalid value .*; accepted: `) }, `${name}=${JSON.stringify(value)} is refused`)
  }
})

t.test('an unknown option lists the known ones', async t => {
  t.throws(() => parse({ latncy: '1s' }), { code: 'FLAGS_ERR_UNKNOWN_OPTION', message: /^unknown option --latncy; accepted: --latency, --jitter/ })
  t.throws(() => parseInjection({ 'max-latency': '1s' }, NO_INJECTION, n => n, ['latency']), { message: /^unknown option max-latency; accepted: latency$/ }, 'only allowed keys pass')
})

t.test('fault rates add up to at most 1', async t => {
  t.ok(parse({ 'error-rate': '0.5', 'reset-rate': '0.5' }), 'exactly 1 is fine')
  const error = t.throws(() => parse({ 'error-rate': '0.5', 'reset-rate': '0.3', 'truncate-rate': '0.3' })) as FlagsError
  t.match(error.message, /^--error-rate \+ --reset-rate \+ --hang-rate \+ --slow-rate \+ --truncate-rate \+ --stall-rate: invalid value 1\.1; accepted: rates that add up to at most 1$/)
})

t.test('parsing is on top of a base and leaves it alone', async t => {
  const base = parse({ latency: '1s', 'error-rate': '0.1' })
  const next = parse({ latency: '2s' }, base)
  t.same(next.errorRate, base.errorRate, 'options not named keep the base value')
  t.same(base.latency, { kind: 'fixed', ms: 1000 }, 'the base is unchanged')
  t.ok(Object.isFrozen(next), 'the result is frozen')
})

t.test('format and parse round-trip', async t => {
  for (const profile of Object.values(BOOK_SITES)) {
    t.same(parse(formatInjection(profile.injection)), profile.injection, `${profile.name} round-trips`)
  }
  const busy = parse({ latency: 'lognormal:150ms,0.75', jitter: '20ms', 'max-latency': '2.5s', 'error-rate': '500:0.1,503:0.05', 'hang-rate': '0.01', 'slow-bps': '100' })
  t.same(parse(formatInjection(busy)), busy, 'every option round-trips')
  t.equal(formatInjection(busy)['max-latency'], '2.5s')
})
