// `npm run server | head -3`, `npm run harness | head`: the reader goes away, and the next write
// to stdout fails with EPIPE. Unhandled, that is a stack trace in the middle of a run; a command
// here keeps going (a server keeps serving) and simply stops printing, as a Unix tool would.

/** Call once at start: stdout and stderr whose reader has gone are written to no more, without an error. */
export function ignoreClosedPipes (): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
    })
  }
}
