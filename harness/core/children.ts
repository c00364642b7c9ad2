// The child processes this process starts (the embedded server, a process pool's workers, the
// race's lanes), killed when it exits however it exits. One 'exit' listener for all of them:
// 'exit' listeners must be synchronous, so none can wait for a graceful close; SIGKILL is the only
// way to be sure before the parent is gone.

import type { ChildProcess } from 'node:child_process'

const owned = new Set<ChildProcess>()
let exitHookInstalled = false

/** Kill `child` if this process exits while it still runs; forgotten once it exits itself. */
export function killOnExit (child: ChildProcess): void {
  owned.add(child)
  child.once('exit', () => owned.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const running of owned) running.kill('SIGKILL')
  })
}

/** How a child ended, for an error message: "exit code 3", "killed by SIGKILL". */
export function describeExit (code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exit code ${code ?? 'unknown'}` : `killed by ${signal}`
}
