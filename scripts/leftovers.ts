// The last step of npm test: no process that the run started from this checkout is still
// running. A test that leaks a server (an orphan reparented to init, say) fails the run here,
// with the command lines, instead of running on until the machine restarts.
//
// "Started by the run": started since this process's parent (the shell npm runs the test script
// in), not one of this process's ancestors, and working in this checkout or running a file of
// it. Processes that are still ending get a few seconds to do so. An argument names another
// folder to check than this checkout (the script's own test uses one of its own).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectRoot } from '../server/contract/project.js'

/** A process ending on its own (a child whose parent was just killed) is given this long. */
const SETTLE_MS = 5_000

interface Proc { pid: number, ppid: number, startTicks: number, state: string }

/** /proc/<pid>/stat: the fields after the command name, which is in parentheses and may hold spaces. */
function stat (pid: number): Proc | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // state is field 3 of the whole line, ppid 4, starttime 22: here 0, 1 and 19.
    return { pid, state: fields[0] ?? '', ppid: Number(fields[1]), startTicks: Number(fields[19]) }
  } catch {
    return null
  }
}

function commandLine (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

function workingDir (pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`)
  } catch {
    return ''
  }
}

function ancestors (pid: number): Set<number> {
  const seen = new Set<number>()
  for (let at: Proc | null = stat(pid); at !== null && at.pid > 1 && !seen.has(at.pid); at = stat(at.ppid)) seen.add(at.pid)
  return seen
}

/** The processes the run left: started since `sinceTicks`, from `root`, not ours. */
function leftovers (root: string, sinceTicks: number): Array<{ pid: number, command: string }> {
  const ours = ancestors(process.pid)
  const inRoot = (path: string): boolean => path === root || path.startsWith(`${root}/`)
  return readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number)
    .map(stat)
    .filter((p): p is Proc => p !== null && !ours.has(p.pid) && p.state !== 'Z' && p.startTicks >= sinceTicks)
    .map(p => ({ pid: p.pid, command: commandLine(p.pid), cwd: workingDir(p.pid) }))
    .filter(p => p.command !== '' && (inRoot(p.cwd) || p.command.includes(`${root}/`)))
    .map(({ pid, command }) => ({ pid, command }))
}

async function main (): Promise<void> {
  const since = stat(process.ppid)?.startTicks
  if (since === undefined) {
    process.stderr.write('leftovers: cannot read /proc (not Linux?): not checked\n')
    return
  }
  const root = process.argv[2] ?? projectRoot()
  let left = leftovers(root, since)
  for (const deadline = Date.now() + SETTLE_MS; left.length > 0 && Date.now() < deadline; left = leftovers(root, since)) await sleep(200)
  if (left.length === 0) {
    process.stdout.write('leftovers: no process started by the run is still running\n')
    return
  }
  process.stderr.write(`leftovers: ${left.length} process(es) started by the run still running:\n${left.map(p => `  ${p.pid} ${p.command}`).join('\n')}\n`)
  process.exitCode = 1
}

await main()
