// npm run primes as a person runs it: the compiled command (npm test builds first; alone, run
// npm run build before npx tap test/harness/primes), its output, --json, its exit codes.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { PRIMES_HELP } from '../../../harness/primes/args.js'
import type { ModeFigures } from '../../../harness/primes/figures.js'
import { runCompiled, spawnCompiled } from '../../fixtures/run.js'
import { noPython, writeTinyBook } from './fixtures/tiny-book.js'

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
  t.equal(run.stdout.split('Checking 4 numbers with 2 processes:\n').length, 3, 'procs.py\'s title and proc_pool.py\'s, the same')
  const lines = run.stdout.split('\n')
  t.equal(lines.filter(line => /^ {15}2 {2}P +\d\.\d{6}s$/.test(line)).length, 5, '2 is prime, in every mode, as the book prints it')
  t.equal(lines.filter(line => /^4444444488888889 {4} *\d\.\d{6}s$/.test(line)).length, 5, '66666667² is not')
  t.match(run.stdout, /\nTotal time: \d+\.\d\ds\n\n/, 'sequential.py\'s closing line')
  t.match(run.stdout, /4 checks in \d+\.\d\ds \(pool start-up \d+\.\d\ds of it\)/, 'threads.py\'s and procs.py\'s')
  // proc_pool.py: the numbers sorted big first, in that order whatever ends first, then Total time.
  t.match(run.stdout, /with 2 processes:\n4444444488888889 {4} *\S+\n 142702110479723 {2}P *\S+\n {15}9 {4} *\S+\n {15}2 {2}P *\S+\nTotal time: \d+\.\d\ds \(pool start-up \d+\.\d\ds of it\)\n/)
  t.match(run.stdout, /\nmode +lanes +elapsed +ideal +effic +speedup +CPU +cores +loop max\n/, 'the table fits in 80 columns: no start-up')
  t.match(run.stdout, /\nprocs +2 +\d/)
  t.match(run.stdout, /\nproc-pool +2 +\d/)
  t.match(run.stdout, /Answers: 2 primes of 4; every mode agrees\n/)
  t.match(run.stdout, /threads: worker threads run JavaScript in parallel/)
})

t.test('--wide: the pools\' start-up in the table too', async t => {
  const run = await primes([...FEW, '--wide', '--mode', 'sequential,threads'])
  t.equal(run.code, 0)
  t.match(run.stdout, /\nmode +lanes +elapsed +ideal +effic +speedup +CPU +cores +loop max +start-up\nsequential .* -\nthreads .* \d+\.\d\ds\n/)
})

t.test('--json: one document, every mode with its figures and checks', async t => {
  const run = await primes([...FEW, '--json', '--mode', 'sequential,procs'])
  t.equal(run.code, 0)
  const report = JSON.parse(run.stdout) as { schemaVersion: number, cores: number, workers: number, numbers: { source: string, values: string[] }, answers: unknown, modes: ModeFigures[] }
  t.equal(Object.keys(report)[0], 'schemaVersion', 'schemaVersion first')
  t.equal(report.schemaVersion, 2, '2 since the processes mode became procs and proc-pool')
  t.match(report, { workers: 2, numbers: { source: 'given', values: ['2', '9', '142702110479723', '4444444488888889'] }, answers: { primes: 2, modesDiffer: null, bookAgrees: null }, python: null })
  t.same(report.modes.map(m => m.mode), ['sequential', 'procs'])
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

t.test('--with-python: the book\'s programs (tiny ones here) after ours, in one table', { skip: noPython() ?? false }, async t => {
  const book = writeTinyBook(t.testdir())
  // pyenv's python3 finds its interpreter through HOME.
  const run = await runCompiled('harness/primes/main.js', [...FEW, '--mode', 'sequential,event-loop,threads,procs,proc-pool', '--with-python', book], { HOME: process.env.HOME })
  t.equal(run.code, 0, 'exit 0')
  t.match(run.stdout, /\nPython 3\.\d+\.\d+, 20-executors\/primes\/proc_pool\.py 2:\nChecking 4 numbers with 2 processes:\n4444444488888889 {5}0\.250000s\n 142702110479723 {2}P {2}0\.250000s\n {15}9 {5}0\.250000s\n {15}2 {2}P {2}0\.250000s\nTotal time: 0\.40s\n/,
    'the program\'s own output, our numbers in it, our worker count as its argument')
  t.match(run.stdout, /Python 3\.\d+\.\d+, 19-concurrency\/primes\/threads\.py 2:\nChecking 4 numbers with 2 threads:\n/)
  const at = (text: string): number => run.stdout.indexOf(text)
  t.ok(at('Checking 4 numbers sequentially:') < at('19-concurrency/primes/sequential.py:') && at('19-concurrency/primes/sequential.py:') < at('as 4 async tasks'), 'sequential.py right after its twin, before the next mode')
  t.ok(at('Checking 4 numbers with 2 threads:') < at('threads.py 2:') && at('threads.py 2:') < at('procs.py 2:'), 'threads.py right after its twin')
  // The tiny programs' closing lines: sequential.py 4 × 0.25 = 1.00 s, threads.py 0.60 s,
  // procs.py 0.50 s, proc_pool.py 0.40 s; speedups 1.00 / 0.60 = 1.67, / 0.50 = 2.00, / 0.40 = 2.50.
  // Their answers are ours: 2 and 142702110479723 prime, 9 and 4444444488888889 not.
  t.match(run.stdout, /\nprogram +python3 +ours +py\/ours +py speedup +our speedup +answers\nsequential\.py +1\.00s +\d+\.\d\ds +\d+\.\d\dx +1\.00x +1\.00x +same\nthreads\.py +0\.60s +\S+ +\S+ +1\.67x +\S+ +same\nprocs\.py +0\.50s +\S+ +\S+ +2\.00x +\S+ +same\nproc_pool\.py +0\.40s +\S+ +\S+ +2\.50x +\S+ +same\n/)
  t.match(run.stdout, `The book's programs from ${book}, run unchanged by Python 3.`)
  t.notMatch(run.stdout, /event-loop\.py|\nevent-loop +\d+\.\d\ds +\d/, 'no Python row for the mode without a twin')

  const json = await runCompiled('harness/primes/main.js', [...FEW, '--mode', 'sequential', '--with-python', book, '--json'], { HOME: process.env.HOME })
  t.match(JSON.parse(json.stdout), { python: { version: /^Python 3\./, dir: book, programs: [{ program: 'sequential.py', pythonMs: 1000, pythonSpeedup: 1, agrees: true }] } })
})

t.test('--with-python without the book or python3: a one-line reason; a bad folder: exit 2', async t => {
  const dir = t.testdir()
  const missing = await primes([...FEW, '--mode', 'sequential', '--with-python', `${dir}/example-code-2e`])
  t.equal(missing.code, 0)
  t.match(missing.stdout, `\nThe book's Python programs: skipped, ${dir}/example-code-2e does not exist.\n`)
  const noPath = await runCompiled('harness/primes/main.js', [...FEW, '--mode', 'sequential', '--with-python', writeTinyBook(dir)], { PATH: '/nonexistent' })
  t.equal(noPath.code, 0)
  t.match(noPath.stdout, '\nThe book\'s Python programs: skipped, python3 not found on PATH.\n')
  const bad = await primes([...FEW, '--with-python', `${dir}/19-concurrency`])
  t.equal(bad.code, 2)
  t.equal(bad.stdout, '', 'nothing run')
  t.equal(bad.stderr, `flag-primes: --with-python: invalid value "${dir}/19-concurrency"; accepted: the book's example-code-2e folder, with 19-concurrency/primes/ and 20-executors/primes/\n`)
})

/** Whether a process is gone: no such process, or a zombie nobody reaped yet (PID 1 here may not reap). */
function gone (pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').startsWith('Z')
}

t.test('SIGTERM while a Python program runs: it ends with us, exit 143', { skip: noPython() ?? false }, async t => {
  const book = writeTinyBook(t.testdir())
  const pidFile = join(book, 'python.pid')
  writeFileSync(join(book, '19-concurrency/primes/sequential.py'), `import os, time\nopen(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n`)
  const running = spawnCompiled('harness/primes/main.js', ['--numbers', '2', '--mode', 'sequential', '--with-python', book], { HOME: process.env.HOME })
  while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await sleep(50)
  const pid = Number(readFileSync(pidFile, 'utf8'))
  t.notOk(gone(pid), `the program runs (pid ${pid})`)
  running.child.kill('SIGTERM')
  const end = await running.finished
  t.equal(end.code, 143, '128 + 15')
  // Killed as we end: on a loaded machine it may take a moment to be scheduled and exit.
  for (let waited = 0; !gone(pid) && waited < 10_000; waited += 50) await sleep(50)
  t.ok(gone(pid), 'the Python program ended too')
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
