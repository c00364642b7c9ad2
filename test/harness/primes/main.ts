// npm run primes as a person runs it: the compiled command (npm test builds first; alone, run
// npm run build before npx tap test/harness/primes), its output, --json, its exit codes.

import t from 'tap'
import { PRIMES_HELP } from '../../../harness/primes/args.js'
import type { ModeFigures } from '../../../harness/primes/figures.js'
import { runCompiled } from '../../fixtures/run.js'

t.setTimeout(120_000)

const primes = async (args: string[]): ReturnType<typeof runCompiled> => await runCompiled('harness/primes/main.js', args)
const FEW = ['--numbers', '2,9,142702110479723,4444444488888889', '--workers', '2']

t.test('the book\'s lines per mode, then the table', async t => {
  const run = await primes(FEW)
  t.equal(run.code, 0, 'exit 0')
  t.equal(run.stderr, '', 'no progress when stderr is not a terminal')
  for (const title of ['sequentially', 'as 4 async tasks on one event loop', 'with 2 threads', 'with 2 processes']) {
    t.match(run.stdout, `Checking 4 numbers ${title}:\n`)
  }
  const lines = run.stdout.split('\n')
  t.equal(lines.filter(line => /^ {15}2 {2}P +\d\.\d{6}s$/.test(line)).length, 4, '2 is prime, in every mode, as the book prints it')
  t.equal(lines.filter(line => /^4444444488888889 {4} *\d\.\d{6}s$/.test(line)).length, 4, '66666667² is not')
  t.match(run.stdout, /Total time: \d+\.\d\ds\n/)
  t.match(run.stdout, /4 checks in \d+\.\d\ds \(pool start-up \d+\.\d\ds, apart\)/)
  t.match(run.stdout, /\nmode +lanes +elapsed +ideal +effic +speedup +CPU +cores +loop max\n/, 'the table fits in 80 columns: no start-up')
  t.match(run.stdout, /\nprocesses +2 +\d/)
  t.match(run.stdout, /Answers: 2 primes of 4; every mode agrees\n/)
  t.match(run.stdout, /threads: worker threads run JavaScript in parallel/)
})

t.test('--wide: the pools\' start-up in the table too', async t => {
  const run = await primes([...FEW, '--wide', '--mode', 'sequential,threads'])
  t.equal(run.code, 0)
  t.match(run.stdout, /\nmode +lanes +elapsed +ideal +effic +speedup +CPU +cores +loop max +start-up\nsequential .* -\nthreads .* \d+\.\d\ds\n/)
})

t.test('--json: one document, every mode with its figures and checks', async t => {
  const run = await primes([...FEW, '--json', '--mode', 'sequential,processes'])
  t.equal(run.code, 0)
  const report = JSON.parse(run.stdout) as { schemaVersion: number, cores: number, workers: number, numbers: { source: string, values: string[] }, answers: unknown, modes: ModeFigures[] }
  t.equal(Object.keys(report)[0], 'schemaVersion', 'schemaVersion first')
  t.equal(report.schemaVersion, 1)
  t.match(report, { workers: 2, numbers: { source: 'given', values: ['2', '9', '142702110479723', '4444444488888889'] }, answers: { primes: 2, modesDiffer: null, bookAgrees: null } })
  t.same(report.modes.map(m => m.mode), ['sequential', 'processes'])
  const [sequential, processes] = report.modes
  t.match(sequential, { lanes: 1, speedup: 1, workersUsed: 1, startupMs: null, work: { basis: 'sequential' } })
  t.match(processes, { lanes: 2, workersUsed: 2 })
  t.equal(processes?.checks.length, 4)
  t.ok((processes?.startupMs ?? 0) > 0)
})

t.test('the book\'s numbers: every answer is the book\'s', async t => {
  const run = await primes(['--mode', 'sequential', '--json'])
  t.equal(run.code, 0)
  t.match(JSON.parse(run.stdout), { numbers: { source: 'book' }, answers: { primes: 9, modesDiffer: null, bookAgrees: true } })
})

t.test('--help, and a bad option: one line, exit 2', async t => {
  const help = await primes(['--help'])
  t.equal(help.code, 0)
  t.equal(help.stdout, PRIMES_HELP)
  // The words, wherever the help's wrapping at 80 columns breaks the lines.
  t.match(help.stdout.replace(/\s+/g, ' '), /Exit: 0 when .*2 for bad options; Ctrl-C \(SIGINT\) and SIGTERM end it at once, without the table \(130 and 143 in a shell\)\./)
  const bad = await primes(['--workers', '0'])
  t.equal(bad.code, 2)
  t.equal(bad.stdout, '')
  t.equal(bad.stderr, 'flag-primes: --workers: invalid value "0"; accepted: a whole number from 1 to 128\n')
  const extra = await primes(['8'])
  t.equal(extra.code, 2)
  t.match(extra.stderr, /^flag-primes: unexpected argument "8"/)
})
