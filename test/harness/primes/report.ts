import t from 'tap'
import { figuresOf } from '../../../harness/primes/figures.js'
import type { PrimesMode, PrimesRun } from '../../../harness/primes/modes.js'
import { lessonNotes } from '../../../harness/primes/report.js'
import type { CheckResult } from '../../../harness/primes/tasks.js'

// Runs whose check times add up to `workMs` (four checks of a quarter each), on two cores.
function run (mode: PrimesMode, lanes: number, elapsedMs: number, cpuMs: number, workMs: number, startupMs: number | null = null): PrimesRun {
  const checks: CheckResult[] = ['3', '5', '7', '9'].map((n, i) => ({ n, prime: n !== '9', ms: workMs / 4, pid: 100 + i % lanes, threadId: i % lanes, processCpuBeforeUs: 0, processCpuAfterUs: 0 }))
  return { mode, lanes, elapsedMs, cpuMs, startupMs, startupCpuMs: startupMs, loopMaxMs: elapsedMs, checks }
}

const notes = (runs: PrimesRun[]): string[] => lessonNotes(figuresOf(runs, 2))

t.test('a quiet machine: the event loop gains nothing, the pools use both cores', async t => {
  // Work 100 ms. event-loop: speedup 100 / 102 = 0.98 (1.0x, within 10%: no faster), cores
  // 101 / 102 = 0.99. threads: 100 / 60 = 1.67 (1.7x), cores 110 / 60 = 1.83. procs:
  // 100 / 55 = 1.82 (1.8x), cores 108 / 55 = 1.96; start-up 0.08 s against the threads' 0.03 s,
  // more than 10% slower. proc-pool: 100 / 60 = 1.67 (1.7x), cores 110 / 60 = 1.83, start-up
  // 0.09 s. Every efficiency is at most 1: 100 / 102, and 50 / 60, 50 / 55, 50 / 60.
  t.same(notes([
    run('sequential', 1, 100, 100, 100),
    run('event-loop', 1, 102, 101, 100),
    run('threads', 2, 60, 110, 120, 30),
    run('procs', 2, 55, 108, 104, 80),
    run('proc-pool', 2, 60, 110, 104, 90)
  ]), [
    'event-loop: one thread, so the checks take turns (0.99 cores busy); no faster than sequential (1.0x); concurrency without parallelism gains nothing on CPU-bound work, and the loop froze for 0.10s (asyncio alike: spinner_prime_async_broken.py).',
    'threads: worker threads run JavaScript in parallel, each its own V8 isolate and event loop, no GIL; here 2 threads: 1.83 cores busy: checks ran at once, 1.7x faster than sequential. CPython\'s threads.py holds the GIL and is no faster than sequential.py.',
    'procs: parallel too, as procs.py in Python; here 2 processes: 1.96 cores busy: checks ran at once, 1.8x faster than sequential. Each worker is a whole Node process, slower to start than a thread (start-up threads 0.03s, procs 0.08s), fed through a pipe.',
    'proc-pool: procs through the executor\'s map over the numbers biggest first, as proc_pool.py: the lines come in that order, each waiting for the checks before it, however soon its own ended; here 2 processes: 1.83 cores busy: checks ran at once, 1.7x faster than sequential. Each worker is a whole Node process, slower to start than a thread (start-up threads 0.03s, proc-pool 0.09s), fed through a pipe.'
  ])
})

t.test('the issue\'s run: the event loop read 1.4x because sequential ran cold', async t => {
  // Sequential: 140 ms, all of it CPU and checks. event-loop: 100 ms, 100 ms CPU. Speedup
  // 140 / 100 = 1.4x, efficiency 140 / 100 = 1.40 > 1: no "gains nothing"; sequential spent
  // 140 ms of CPU against 100 (more than 10% more) on the same checks: a cold start.
  t.same(notes([run('sequential', 1, 140, 140, 140), run('event-loop', 1, 100, 100, 140)]), [
    'event-loop: one thread, so the checks take turns (1.00 cores busy); 1.4x faster than sequential, and the loop froze for 0.10s (asyncio alike: spinner_prime_async_broken.py). That is faster than one lane allows (effic 1.40 > 1): sequential spent more CPU on the same checks (CPU 0.14s against 0.10s): a cold start; run again to compare.'
  ])
})

t.test('a busy machine: the same CPU, different shares of the cores', async t => {
  // Both did 120 ms of CPU; sequential took 400 ms (0.30 of a core), the event loop 300 ms
  // (0.40). The check times (wall clock) add to 400 ms: event-loop efficiency 400 / 300 = 1.33,
  // speedup 1.3x. Same CPU: the machine was busier during sequential; both below 0.9 of a core.
  t.same(notes([run('sequential', 1, 400, 120, 400), run('event-loop', 1, 300, 120, 400)]), [
    'event-loop: one thread, so the checks take turns (0.40 cores busy); 1.3x faster than sequential, and the loop froze for 0.30s (asyncio alike: spinner_prime_async_broken.py). That is faster than one lane allows (effic 1.33 > 1): the same CPU (CPU 0.12s against 0.12s): the machine was busier during sequential; run again to compare.',
    'machine: busy with other work: a one-lane mode should keep one core busy, and had sequential 0.30, event-loop 0.40; elapsed times and speedups carry that load, the CPU column less so.'
  ])
})

t.test('one worker, no sequential run: nothing claimed that the figures do not hold', async t => {
  // threads alone, one lane: its own work, 50 ms in 52 ms: cores 50 / 52 = 0.96, no speedup.
  t.same(notes([run('threads', 1, 52, 50, 50, 30)]), [
    'threads: worker threads run JavaScript in parallel, each its own V8 isolate and event loop, no GIL; here one thread: 0.96 cores busy, no sequential run to compare with. CPython\'s threads.py holds the GIL and is no faster than sequential.py.'
  ])
})
