import t from 'tap'
import { parseHarnessArgs } from '../../../harness/cli/args.js'
import { expandCodes, POP20 } from '../../../harness/core/options.js'
import { BOOK_SITES } from '../../../server/contract/sites.js'

t.test('defaults', async t => {
  const options = parseHarnessArgs([])
  t.match(options, { help: false, codes: { kind: 'pop20' }, limit: null, maxReq: 20, server: { kind: 'embedded' }, modes: ['sequential', 'pooled', 'async'], repeat: 1, warmup: 1, freshFates: false, timeoutMs: 3100, saveDir: null, seed: null, injection: {}, verbose: false, json: false })
  t.same(expandCodes(options.codes, [], null), [...POP20].sort(), 'the book\'s 20 most populous, sorted')
})

t.test('the book\'s code expansion', async t => {
  t.same(expandCodes(parseHarnessArgs(['B']).codes, [], null), [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].map(c => `B${c}`), 'B → BA..BZ')
  t.same(expandCodes(parseHarnessArgs(['us', 'br', 'US']).codes, [], null), ['BR', 'US'], 'upper-cased, sorted, once each')
  t.same(expandCodes(parseHarnessArgs(['Z', 'AD']).codes, [], 3), ['AD', 'ZA', 'ZB'], '-l after sorting')
  t.equal(expandCodes(parseHarnessArgs(['-e']).codes, [], null).length, 676, '-e: AA..ZZ')
  t.same(expandCodes(parseHarnessArgs(['--every', '-l', '2']).codes, [], 2), ['AA', 'AB'])
  t.same(expandCodes(parseHarnessArgs(['-a']).codes, ['ZW', 'AD'], null), ['AD', 'ZW'], '-a: what the server lists')
  t.same(expandCodes(parseHarnessArgs(['-l', '5']).codes, [], 5), ['BD', 'BR', 'CD', 'CN', 'DE'])
})

t.test('options', async t => {
  const o = parseHarnessArgs(['-m', '7', '--mode', 'async,sequential', '--repeat', '3', '--timeout', '1.5s', '--save', 'out', '--seed', '9', '--latency', '200ms', '--error-rate', '0.1', '-v', '--json'])
  t.match(o, { maxReq: 7, modes: ['async', 'sequential'], repeat: 3, warmup: 1, timeoutMs: 1500, saveDir: 'out', seed: 9, injection: { latency: { kind: 'fixed', ms: 200 }, errorRate: [{ status: 418, rate: 0.1 }] }, verbose: true, json: true })
  t.same(parseHarnessArgs(['-s', 'delay']).server, { kind: 'url', baseUrl: BOOK_SITES.delay.url, label: 'DELAY' }, 'labels are the book\'s, any case')
  t.same(parseHarnessArgs(['--server', 'http://127.0.0.1:9000']).server, { kind: 'url', baseUrl: 'http://127.0.0.1:9000/flags', label: null }, 'an origin means its /flags')
  t.same(parseHarnessArgs(['--server', 'http://127.0.0.1:9000/data/flags/']).server, { kind: 'url', baseUrl: 'http://127.0.0.1:9000/data/flags', label: null }, 'a path is kept')
  t.equal(parseHarnessArgs(['--repeat', '2', '--warmup', '0']).warmup, 0, 'no warm-up, if asked')
  t.equal(parseHarnessArgs(['--cold']).warmup, 0, '--cold: the first run is measured')
  t.equal(parseHarnessArgs(['--fresh-fates']).freshFates, true)
  t.same(parseHarnessArgs(['--mode', 'processes,async']).modes, ['processes', 'async'], 'the process pool, asked for')
  t.same(parseHarnessArgs(['--sweep', '1,2']).sweep, { concurrencies: [1, 2], modes: ['pooled', 'async'] }, 'a sweep runs pooled and async by default')
  t.same(parseHarnessArgs(['--sweep', '1..5', '--mode', 'sequential,processes']).sweep, { concurrencies: [1, 2, 5], modes: ['processes'] }, 'or the modes asked for, less sequential')
  t.equal(parseHarnessArgs(['-h']).help, true)
  t.equal(parseHarnessArgs(['--version']).version, true)
  t.match(parseHarnessArgs([]), { version: false, wide: false, expectations: [] })
  t.equal(parseHarnessArgs(['--wide']).wide, true)
})

t.test('--expect: each one parsed, in order, against the modes that will have a row', async t => {
  const o = parseHarnessArgs(['--expect', 'async.speedup>=15', '--expect', 'errors==0', '--expect', 'pooled.p99<250ms'])
  t.same(o.expectations.map(e => [e.name, e.op, e.target]), [['async.speedup', '>=', 15], ['errors', '==', 0], ['pooled.p99', '<', 250]])
  t.equal(parseHarnessArgs(['--mode', 'sequential,processes', '--expect', 'processes.speedup>1']).expectations.length, 1)
  t.equal(parseHarnessArgs(['--sweep', '1,2', '--expect', 'sequential.elapsed<5s']).expectations.length, 1, 'a sweep: sequential has the one row')
  t.equal(parseHarnessArgs(['--mode', 'async', '--expect', 'async.efficiency>=0.9']).expectations.length, 1, 'efficiency needs no sequential')
})

t.test('bad input: one line naming the option and what is accepted', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['-m', '0'], /^--max-req: invalid value "0"; accepted: a whole number from 1 to 1000$/],
    [['-m', '1001'], /^--max-req: /],
    [['-m', 'many'], /^--max-req: /],
    [['-l', '0'], /^--limit: invalid value "0"; accepted: a whole number from 1 to 676$/],
    [['--repeat', '0'], /^--repeat: /],
    [['--warmup=-1'], /^--warmup: invalid value "-1"; accepted: a whole number from 0 to 100$/],
    [['--warmup', '-1'], /^--warmup: needs a value; for one that starts with a dash, write --warmup=VALUE$/],
    [['--timeout', '3'], /^--timeout: invalid value "3"; accepted: a duration with a unit/],
    [['--timeout', '0s'], /^--timeout: /],
    [['--mode', 'threads'], /^--mode: invalid value "threads"; accepted: a comma-separated list of sequential, pooled, processes, async, each once$/],
    [['--mode', 'async,async'], /^--mode: /],
    [['-s', 'REMOTE'], /^--server: invalid value "REMOTE"; accepted: LOCAL, DELAY, ERROR or an http URL/],
    [['-s', 'ftp://x/flags'], /^--server: /],
    [['--seed', '-1'], /^--seed: /],
    [['--latency', 'soon'], /^--latency: invalid value "soon"; accepted: /],
    [['--error-rate', '0.7', '--reset-rate', '0.7'], /^--error-rate \+ --reset-rate .* accepted: rates that add up to at most 1$/],
    [['BRA'], /^CC "BRA": each CC argument must be a letter A to Z or a code AA to ZZ$/],
    [['1'], /^CC "1": /],
    [['-a', '-e'], /^--all and --every: choose one$/],
    [['--cold', '--warmup', '2'], /^--cold and --warmup: choose one; --cold is --warmup 0$/],
    [['-a', 'BR'], /^CC BR: no country codes with --all or --every$/],
    [['-s', 'DELAY', '--seed', '3'], /^--seed: only for the harness's own server/],
    [['-s', 'DELAY', '--max-latency', '3s'], /^--max-latency: only for the harness's own server/],
    [['--bogus'], /^--bogus: unknown option; accepted: --all, --every/],
    [['-m'], /^--max-req: needs a value$/],
    [['--json=yes'], /^--json: takes no value$/],
    [['--version=yes'], /^--version: takes no value$/],
    [['--expect'], /^--expect: needs a value$/],
    [['--expect', 'async.speedup'], /^--expect: invalid value "async\.speedup" \(not NAME OP VALUE\); accepted: NAME OP VALUE, OP one of < <= > >= == !=, /],
    [['--expect', 'async.fast>1'], /^--expect: invalid value "async\.fast>1" \(no figure async\.fast\); accepted: /],
    [['--mode', 'sequential,async', '--expect', 'pooled.ok>1'], /^--expect pooled\.ok>1: pooled does not run here \(the modes with a row in the report: sequential, async\)$/],
    [['--sweep', '1,2', '--expect', 'async.speedup>1'], /^--expect async\.speedup>1: async does not run here \(the modes with a row in the report: sequential\)$/],
    [['--mode', 'pooled,async', '--expect', 'async.speedup>1'], /^--expect async\.speedup>1: a speedup is over sequential, which does not run here \(--mode\)$/]
  ]
  for (const [argv, message] of cases) {
    t.throws(() => parseHarnessArgs(argv), { message }, `${argv.join(' ')} is refused`)
  }
})
