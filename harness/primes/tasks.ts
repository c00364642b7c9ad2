// The book's check(n) (procs.py, proc_pool.py): is_prime timed, with who ran it. The tasks
// module of both pools (every export here is a task a worker can run), and what the main
// thread calls itself in the sequential and event-loop modes.

import { performance } from 'node:perf_hooks'
import { threadId } from 'node:worker_threads'
import { isPrime } from './is-prime.js'

export interface CheckResult {
  /** In decimal: a bigint goes neither into JSON nor through a process's IPC as JSON would. */
  n: string
  prime: boolean
  /** The check's own time, as the book's `elapsed`. */
  ms: number
  pid: number
  threadId: number
  /**
   * The CPU this process had used (every thread of it, user + system) just before and just after
   * the check, in µs. A child process's own figures are the only way to its CPU time; in a
   * worker thread they count the whole process, so they say nothing of the thread.
   */
  processCpuBeforeUs: number
  processCpuAfterUs: number
}

function cpuUs (): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

export function check (n: string): CheckResult {
  const processCpuBeforeUs = cpuUs()
  const began = performance.now()
  const prime = isPrime(BigInt(n))
  const ms = performance.now() - began
  return { n, prime, ms, pid: process.pid, threadId, processCpuBeforeUs, processCpuAfterUs: cpuUs() }
}
