import t from 'tap'
import { parsePrimesArgs, PRIMES_HELP } from '../../../harness/primes/args.js'

t.test('parsePrimesArgs: defaults and good values', async t => {
  const defaults = parsePrimesArgs([])
  t.match(defaults, { help: false, version: false, wide: false, bookNumbers: true, workers: null, modes: ['sequential', 'event-loop', 'threads', 'procs', 'proc-pool'], withPython: null, json: false })
  t.match(parsePrimesArgs(['--version', '--wide']), { version: true, wide: true })
  t.equal(defaults.numbers.length, 20, 'the book\'s 20 numbers')
  t.equal(defaults.numbers[18], '9999999999999917', 'in decimal, exactly')
  t.match(parsePrimesArgs(['--numbers', '2, 9,007', '-w', '4', '--json']), { numbers: ['2', '9', '7'], bookNumbers: false, workers: 4, json: true })
  t.same(parsePrimesArgs(['-n', '18014398509481983']).numbers, ['18014398509481983'], '2^54 - 1 is accepted')
  t.same(parsePrimesArgs(['-m', 'proc-pool,procs,sequential,threads']).modes, ['sequential', 'threads', 'procs', 'proc-pool'], 'modes run in the usual order')
  t.equal(parsePrimesArgs(['--with-python', '../example-code-2e']).withPython, '../example-code-2e', 'the folder as given: main.ts looks at it')
  t.same(parsePrimesArgs(['--mode=event-loop,event-loop']).modes, ['event-loop'])
  t.equal(parsePrimesArgs(['-h']).help, true)
  t.match(PRIMES_HELP, /--numbers LIST/)
  t.match(PRIMES_HELP, /from 0 to 18014398509481983 \(2\^54 - 1\)/)
})

t.test('parsePrimesArgs: every bad value is one line naming the option', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['--numbers', '18014398509481984'], /^--numbers: invalid value "18014398509481984"; accepted: comma-separated whole numbers from 0 to 18014398509481983, at most 1000 of them$/],
    [['--numbers', '1e16'], /^--numbers: invalid value "1e16"/],
    [['--numbers', '-3'], /^--numbers: needs a value/],
    [['--numbers', '2,,3'], /^--numbers: invalid value ""/],
    [['--numbers', ''], /^--numbers: invalid value ""/],
    [['--numbers', Array(1001).fill('7').join(',')], /^--numbers: invalid value "1001 numbers"/],
    [['--workers', '0'], /^--workers: invalid value "0"; accepted: a whole number from 1 to 128$/],
    [['-w', '129'], /^--workers: invalid value "129"/],
    [['-w', 'two'], /^--workers: invalid value "two"/],
    [['--mode', 'threads,fibers'], /^--mode: invalid value "fibers"; accepted: some of sequential, event-loop, threads, procs, proc-pool, comma-separated$/],
    [['--mode', 'processes'], /^--mode: invalid value "processes"/],
    [['--mode', ''], /^--mode: invalid value ""/],
    [['--nope'], /^--nope: unknown option; accepted: --numbers, --workers, --mode, --with-python, --json, --wide, --help, --version$/],
    [['-w'], /^--workers: needs a value$/],
    [['--with-python'], /^--with-python: needs a value$/],
    [['--json=yes'], /^--json: takes no value$/],
    [['4'], /^unexpected argument "4": options only; a worker count is --workers N$/]
  ]
  for (const [args, message] of cases) {
    t.throws(() => parsePrimesArgs(args), { name: 'FlagsError', message }, args.join(' ').slice(0, 60))
  }
})
