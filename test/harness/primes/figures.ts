import t from 'tap'
import type { PythonRun } from '../../../harness/primes/book-python.js'
import { answersOf, bookTotalMs, figuresOf, idealMs, sideBySide, workOf } from '../../../harness/primes/figures.js'
import { childrenCpuMs, type PrimesMode, type PrimesRun } from '../../../harness/primes/modes.js'
import { bookAnswer } from '../../../harness/primes/numbers.js'
import { bookLine, modeEnd, modeTitle, pythonTable, summaryTable } from '../../../harness/primes/report.js'
import type { CheckResult } from '../../../harness/primes/tasks.js'

const result = (n: string, prime: boolean, ms: number, worker: Partial<CheckResult> = {}): CheckResult =>
  ({ n, prime, ms, pid: 1, threadId: 0, processCpuBeforeUs: 0, processCpuAfterUs: 0, ...worker })

function run (mode: PrimesMode, lanes: number, elapsedMs: number, cpuMs: number, checks: CheckResult[]): PrimesRun {
  const pool = mode !== 'sequential' && mode !== 'event-loop'
  return { mode, lanes, elapsedMs, cpuMs, startupMs: pool ? 30 : null, startupCpuMs: pool ? 40 : null, loopMaxMs: 1, checks }
}

t.test('the ideal, worked by hand', async t => {
  // Four checks of 40, 30, 20 and 10 ms: 100 ms of work, the longest 40 ms.
  const work = workOf([40, 30, 20, 10], 'sequential')
  t.same(work, { basis: 'sequential', totalMs: 100, longestMs: 40 })
  // One lane: all 100 ms one after the other, whatever the cores.
  t.equal(idealMs(work, 1, 2), 100)
  // Two lanes on two cores: 100 / 2 = 50, above the longest check, 40.
  t.equal(idealMs(work, 2, 2), 50)
  // Four lanes on two cores: only two run at once, so 100 / min(4, 2) = 50 still.
  t.equal(idealMs(work, 4, 2), 50)
  // Four lanes on eight cores: 100 / 4 = 25, but no run ends before its 40 ms check.
  t.equal(idealMs(work, 4, 8), 40)
  t.same(workOf([], 'own'), { basis: 'own', totalMs: 0, longestMs: 0 })
})

t.test('figures: every mode against the sequential run\'s work', async t => {
  const checks = [result('9', false, 40), result('7', true, 30), result('5', true, 20), result('3', true, 10)]
  const threads = checks.map((c, i) => ({ ...c, ms: c.ms * 1.2, threadId: 1 + i % 2 }))
  const processes = checks.map((c, i) => ({ ...c, pid: 100 + i % 2, threadId: 0 }))
  const [sequential, loop, pooled, forked] = figuresOf([
    run('sequential', 1, 100, 100, checks),
    run('event-loop', 1, 102, 101, checks),
    run('threads', 2, 60, 110, threads),
    run('procs', 2, 55, 108, processes)
  ], 2)
  t.match(sequential, { work: { basis: 'sequential', totalMs: 100 }, idealMs: 100, efficiency: 1, speedup: 1, coresUsed: 1, workersUsed: 1 })
  t.match(loop, { idealMs: 100, speedup: 100 / 102, workersUsed: 1 })
  // The pool's own check times (120 ms of work) are not its ideal's: the sequential run's are.
  t.match(pooled, { work: { totalMs: 100 }, idealMs: 50, efficiency: 50 / 60, speedup: 100 / 60, coresUsed: 110 / 60, workersUsed: 2 })
  t.match(forked, { idealMs: 50, speedup: 100 / 55, workersUsed: 2 }, 'processes are told apart by pid')

  const [alone] = figuresOf([run('threads', 2, 60, 110, threads)], 2)
  t.match(alone, { work: { basis: 'own', totalMs: 120, longestMs: 48 }, idealMs: 60, speedup: null }, 'without a sequential run, a mode\'s own check times')
})

t.test('answers: the modes must agree, and with the book on its numbers', async t => {
  const book = [result('2', true, 0), result('4444444444444444', false, 0)]
  t.same(answersOf([run('sequential', 1, 1, 1, book), run('threads', 2, 1, 1, [...book].reverse())], bookAnswer), { primes: 1, modesDiffer: null, bookAgrees: true })
  const wrong = [result('2', true, 0), result('4444444444444444', true, 0)]
  t.same(answersOf([run('sequential', 1, 1, 1, book), run('procs', 2, 1, 1, wrong)], null),
    { primes: 1, modesDiffer: '4444444444444444: sequential says not prime, procs says prime', bookAgrees: null })
  t.match(answersOf([run('sequential', 1, 1, 1, wrong)], bookAnswer), { modesDiffer: null, bookAgrees: false })
})

t.test('a process pool\'s CPU: each child from its first check to its last', async t => {
  const checks = [
    result('1', false, 0, { pid: 7, processCpuBeforeUs: 50_000, processCpuAfterUs: 60_000 }),
    result('2', false, 0, { pid: 8, processCpuBeforeUs: 40_000, processCpuAfterUs: 45_000 }),
    result('3', false, 0, { pid: 7, processCpuBeforeUs: 61_000, processCpuAfterUs: 90_000 })
  ]
  // Child 7: 90 - 50 = 40 ms, IPC between its checks included; child 8: 5 ms. Start-ups: 50 + 40 ms.
  t.same(childrenCpuMs(checks), { runMs: 45, startupMs: 90 })
  t.same(childrenCpuMs([]), { runMs: 0, startupMs: 0 })
})

t.test('the book\'s lines and the table', async t => {
  t.equal(bookLine(result('9999999999999917', true, 1234.5678)), '9999999999999917  P  1.234568s', 'f\'{n:16}  {label} {elapsed:9.6f}s\'')
  t.equal(bookLine(result('2', false, 0.5)), '               2     0.000500s')
  t.equal(modeTitle('sequential', 20, 2), 'Checking 20 numbers sequentially:')
  t.equal(modeTitle('procs', 20, 4), 'Checking 20 numbers with 4 processes:')
  t.equal(modeTitle('proc-pool', 20, 4), 'Checking 20 numbers with 4 processes:', 'proc_pool.py\'s title, with its actual_workers')
  t.equal(modeTitle('event-loop', 3, 2), 'Checking 3 numbers as 3 async tasks on one event loop:')
  t.equal(modeEnd(run('sequential', 1, 10_230, 1, [])), 'Total time: 10.23s')
  // The book's pools start inside its clock: 5,000 ms of checks and the 30 ms start-up, 5.03 s.
  t.equal(modeEnd(run('threads', 2, 5_000, 1, [result('2', true, 0)])), '1 checks in 5.03s (pool start-up 0.03s of it)', 'threads.py\'s closing line')
  t.equal(modeEnd(run('procs', 2, 5_000, 1, [result('2', true, 0)])), '1 checks in 5.03s (pool start-up 0.03s of it)', 'procs.py\'s')
  t.equal(modeEnd(run('proc-pool', 2, 5_000, 1, [result('2', true, 0)])), 'Total time: 5.03s (pool start-up 0.03s of it)', 'proc_pool.py\'s')
  t.equal(modeEnd(run('event-loop', 1, 120, 1, [result('2', true, 0)])), '1 checks in 0.12s', 'no pool, no start-up')
  const text = summaryTable(figuresOf([run('sequential', 1, 100, 100, [result('2', true, 100)]), run('procs', 2, 50, 100, [result('2', true, 100)])], 2))
  t.match(text, /^mode\s+lanes\s+elapsed\s+ideal\s+effic\s+speedup\s+CPU\s+cores\s+loop max\n/)
  t.match(text, /\nprocs\s+2\s+0\.05s\s+0\.10s\s+2\.00\s+2\.0x\s+0\.10s\s+2\.00\s+1\.0ms$/)
  const wide = summaryTable(figuresOf([run('sequential', 1, 100, 100, [result('2', true, 100)]), run('procs', 2, 50, 100, [result('2', true, 100)])], 2), true)
  t.match(wide, /^mode\s+lanes\s+elapsed\s+ideal\s+effic\s+speedup\s+CPU\s+cores\s+loop max\s+start-up\n/)
  t.match(wide, /\nprocs\s+2\s+0\.05s\s+0\.10s\s+2\.00\s+2\.0x\s+0\.10s\s+2\.00\s+1\.0ms\s+0\.03s$/)
})

t.test('the book\'s Python programs beside ours: closing lines, start-up in both', async t => {
  const checks = [result('2', true, 0), result('9', false, 0)]
  // Ours: sequential 400 ms; threads 150 ms of checks after a 50 ms start-up, 200 ms; proc-pool
  // 100 ms after 100 ms, 200 ms.
  const ours = [run('sequential', 1, 400, 1, checks), { ...run('threads', 2, 150, 1, checks), startupMs: 50 }, { ...run('proc-pool', 2, 100, 1, [...checks].reverse()), startupMs: 100 }]
  t.equal(bookTotalMs(ours[0] as PrimesRun), 400, 'no pool, nothing added')
  t.equal(bookTotalMs(ours[2] as PrimesRun), 200)
  const python = (mode: PrimesMode, program: string, totalMs: number, answers = checks): PythonRun =>
    ({ mode, program, totalMs, checks: answers.map(({ n, prime }) => ({ n, prime, ms: 1 })), lines: [] })
  // Python: sequential.py 8.00 s, threads.py 8.40 s, proc_pool.py 5.00 s, which says 9 is prime.
  const rows = sideBySide(ours, [
    python('sequential', '19-concurrency/primes/sequential.py', 8000),
    python('threads', '19-concurrency/primes/threads.py', 8400),
    python('proc-pool', '20-executors/primes/proc_pool.py', 5000, [result('2', true, 0), result('9', true, 0)])
  ])
  // Speedups: Python 8.00 / 8.40 = 0.95 and 8.00 / 5.00 = 1.60; ours 400 / 200 = 2.00 twice.
  t.same(rows, [
    { program: 'sequential.py', pythonMs: 8000, oursMs: 400, pythonSpeedup: 1, oursSpeedup: 1, agrees: true },
    { program: 'threads.py', pythonMs: 8400, oursMs: 200, pythonSpeedup: 8000 / 8400, oursSpeedup: 2, agrees: true },
    { program: 'proc_pool.py', pythonMs: 5000, oursMs: 200, pythonSpeedup: 1.6, oursSpeedup: 2, agrees: false }
  ])
  t.same(sideBySide([run('procs', 2, 100, 1, checks)], [python('procs', 'p/procs.py', 1000, checks.slice(1))]).map(row => row.agrees), [false], 'a number missing is a difference')
  // py/ours: 8.00 / 0.40 = 20.00, 8.40 / 0.20 = 42.00, 5.00 / 0.20 = 25.00.
  t.same(pythonTable(rows, { dir: '/book', version: 'Python 3.11.7', programs: [] }, 2), [
    [
      'program        python3   ours  py/ours  py speedup  our speedup  answers',
      'sequential.py    8.00s  0.40s   20.00x       1.00x        1.00x     same',
      'threads.py       8.40s  0.20s   42.00x       0.95x        2.00x     same',
      'proc_pool.py     5.00s  0.20s   25.00x       1.60x        2.00x   DIFFER'
    ].join('\n'),
    '',
    'Both sides are the closing lines, a pool\'s start-up in both; speedup: sequential.py\'s over the program\'s.',
    'The book\'s programs from /book, run unchanged by Python 3.11.7 with primes.py\'s NUMBERS set to these 2 numbers, on this machine, each right after its twin here.'
  ])
})
