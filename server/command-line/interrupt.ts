// Ctrl-C and SIGTERM, as every long-running command here takes them.

import { EXIT } from './exit.js'

/**
 * SIGINT and SIGTERM: the first calls `stop` (finish or cut what runs, report what was
 * measured); a second one quits at once, after `quit` (stop a child server, say), with 130.
 */
export function onInterrupt (stop: (signal: NodeJS.Signals) => void, quit: () => Promise<void> = async () => {}): void {
  let interrupted = false
  const handle = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      quit().finally(() => process.exit(EXIT.interrupted))
      return
    }
    interrupted = true
    stop(signal)
  }
  process.on('SIGINT', handle)
  process.on('SIGTERM', handle)
}
