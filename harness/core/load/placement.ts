// Where a bench puts its processes: the server on one core, the load generator on another, with
// taskset, when the machine has two cores or more and taskset is there. On a shared two-core
// machine the scheduler otherwise moves both around, and one pair of runs differed from the
// next by ±10% in CPU per answer; pinned, by ±3%. Both servers of a comparison meet the same
// placement.

import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

export interface Placement {
  server: number
  generator: number
}

function hasTaskset (): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Core 0 for the server, core 1 for the generator; null where that cannot be done. */
export function placement (): Placement | null {
  return availableParallelism() >= 2 && hasTaskset() ? { server: 0, generator: 1 } : null
}

/** Every thread of process `pid` on `core`. */
export function pin (pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' })
}

/** `command` and its arguments as run on `core` (taskset), or as they are without a placement. */
export function onCore (core: number | null, command: string, args: readonly string[]): [string, string[]] {
  return core === null ? [command, [...args]] : ['taskset', ['-c', String(core), command, ...args]]
}
