// Every mode on a few numbers, with real worker threads and real child processes. No assertion
// depends on the machine's speed: a pool hands its first W tasks to its W idle workers at once,
// so W numbers or more reach W distinct workers however long each check takes.

import { threadId } from 'node:worker_threads'
import t from 'tap'
import { biggestFirst, PRIMES_MODES, runMode } from '../../../harness/primes/modes.js'
import type { CheckResult } from '../../../harness/primes/tasks.js'

// The pools' workers load the TypeScript sources under tap: seconds each on a busy machine.
t.setTimeout(180_000)

// Answers from the book's fixture (4444444488888889 is 66666667²) and by hand (9 = 3², 91 = 7 × 13).
const NUMBERS: Array<[string, boolean]> = [
  ['2', true], ['9', false], ['91', false], ['97', true],
  ['142702110479723', true], ['4444444444444444', false], ['4444444488888889', false], ['3333333333333301', true]
]
const numbers = NUMBERS.map(([n]) => n)
const expected = new Map(NUMBERS)

for (const mode of PRIMES_MODES) {
  t.test(`${mode}: every number checked once, the book's answers, heard in the order reported`, async t => {
    const heard: CheckResult[] = []
    const run = await runMode(mode, numbers, 2, result => heard.push(result))
    t.same(run.checks, heard, 'onCheck heard every result, in the order of run.checks')
    t.same(run.checks.map(c => c.n).sort(), [...numbers].sort(), 'each number once')
    for (const check of run.checks) t.equal(check.prime, expected.get(check.n), `${check.n}`)
    t.ok(run.elapsedMs > 0 && run.cpuMs > 0, 'elapsed and CPU time measured')
    t.ok(run.checks.every(c => c.ms >= 0), 'each check timed')
    t.ok(run.loopMaxMs >= 0)
    if (mode === 'sequential' || mode === 'event-loop') {
      t.match(run, { lanes: 1, startupMs: null, startupCpuMs: null })
      t.ok(run.checks.every(c => c.threadId === threadId && c.pid === process.pid), 'all on this thread')
    }
    if (mode === 'sequential') t.same(run.checks.map(c => c.n), numbers, 'in the given order')
  })
}

t.test('proc-pool: map\'s order, the numbers sorted big first, whichever check ends first', async t => {
  // sorted(NUMBERS, reverse=True) by hand; 4444444488888889 comes before 3333333333333301 though
  // a non-prime with the factor 66666667 takes as long as a prime near it, and 2 is last.
  const order = ['4444444488888889', '4444444444444444', '3333333333333301', '142702110479723', '97', '91', '9', '2']
  t.same(biggestFirst(numbers), order)
  t.same(numbers.slice(0, 2), ['2', '9'], 'the input left as it was')
  const heard: string[] = []
  const run = await runMode('proc-pool', numbers, 2, result => heard.push(result.n))
  t.same(heard, order, 'each result reported in map\'s order')
  t.equal(new Set(run.checks.map(c => c.pid)).size, 2, 'by two child processes')
  t.notOk(run.checks.some(c => c.pid === process.pid), 'none of them this process')
})

t.test('threads: the pool\'s own threads, as many as asked, in this process', async t => {
  const run = await runMode('threads', numbers, 3)
  const threads = new Set(run.checks.map(c => c.threadId))
  t.equal(threads.size, 3, `3 distinct worker threads ran checks (${[...threads].join(', ')})`)
  t.notOk(threads.has(threadId), 'none of them the main thread')
  t.ok(run.checks.every(c => c.pid === process.pid), 'all in this process')
  t.match(run, { lanes: 3 })
  t.ok((run.startupMs ?? 0) > 0 && (run.startupCpuMs ?? 0) > 0, 'start-up timed apart')
})

t.test('procs: the pool\'s own child processes, as many as asked, their CPU counted', async t => {
  const run = await runMode('procs', numbers, 2)
  const pids = new Set(run.checks.map(c => c.pid))
  t.equal(pids.size, 2, `2 distinct child processes ran checks (${[...pids].join(', ')})`)
  t.notOk(pids.has(process.pid), 'none of them this process')
  t.ok(run.checks.every(c => c.processCpuAfterUs >= c.processCpuBeforeUs), 'each child reports its own CPU')
  // A child's start-up (loading Node and the tasks module) costs CPU before its first check.
  t.ok((run.startupCpuMs ?? 0) > 0 && (run.startupMs ?? 0) > 0, 'start-up timed apart, children included')
})

t.test('a pool of one worker still checks everything', async t => {
  const run = await runMode('threads', numbers.slice(0, 3), 1)
  t.equal(new Set(run.checks.map(c => c.threadId)).size, 1)
  t.same(run.checks.map(c => c.n), numbers.slice(0, 3), 'one lane: the given order')
})
