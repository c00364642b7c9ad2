// Ctrl-C and SIGTERM, as every long-running command here takes them.

import { EXIT } from './exit.js'

/**
 * SIGINT and SIGTERM: the first calls `stop` (finish or cut what runs, report what was
 * measured); a second one quits at once, after `quit` (stop a child server, say), with 130.
 * A command started with an IPC channel (the embedded server of the harness, the race, the load
 * tool and the benches) is stopped as by SIGTERM when that channel closes, or at once if it has
 * closed already: its parent is gone, however it ended — a SIGKILL runs no handler in the
 * parent, and nothing else would tell the child, which would run on for good. A command started
 * by hand has no channel, and no such end.
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
  // process.send stays defined once the channel has closed; `connected` says whether it has,
  // maybe while the program was starting, before this listener could hear of it.
  if (process.send === undefined) return
  // The listener refs the channel; unref'd again, it keeps no finished program alive.
  if (process.connected) {
    process.once('disconnect', () => handle('SIGTERM'))
    process.channel?.unref()
  } else {
    handle('SIGTERM')
  }
}
