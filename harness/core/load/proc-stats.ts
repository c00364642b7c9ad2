// What Linux says of a process through /proc: its open-file limit and the CPU time it used.
// Shared by npm run load and npm run bench:server; null or undefined where /proc is missing.

import { readFileSync } from 'node:fs'

export const CLOCK_TICKS_PER_S = 100 // USER_HZ: 100 on every Linux that Node supports

/** The soft limit on open files, or undefined where /proc/self/limits is missing. */
export function openFileLimit (): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find(l => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === 'unlimited' ? Infinity : soft === undefined ? undefined : Number(soft)
  } catch {
    return undefined
  }
}

/** Clock ticks of CPU (user + system) used so far by a process, from /proc/<pid>/stat. */
export function cpuTicks (pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return null
  }
}

/** Resident set size of a process in bytes, from /proc/<pid>/status. */
export function rssBytes (pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'))
    return line === undefined ? null : Number(line.replace(/\D+/g, '')) * 1024
  } catch {
    return null
  }
}
