// One autocannon run, timed as it should be. Shared by npm run load and npm run bench:soak.

import autocannon from 'autocannon'

/**
 * One autocannon run; elapsedMs runs from the call to the last answer or error. Not from its
 * 'start' event: autocannon creates every connection and sends the first requests before it,
 * and their latencies count (5,000 connections take a few hundred ms to set up here).
 *
 * `track`: where autocannon draws its progress bar, chosen by the caller (the core prints
 * nothing of its own); null for none.
 */
export async function runCannon (opts: autocannon.Options, track: NodeJS.WritableStream | null, started: (instance: autocannon.Instance) => void): Promise<{ result: autocannon.Result, elapsedMs: number }> {
  return await new Promise((resolve, reject) => {
    const startedAt = performance.now()
    let lastAt = startedAt
    const instance = autocannon(opts, (error: Error | null, result) => {
      if (error !== null && error !== undefined) reject(error)
      else resolve({ result, elapsedMs: lastAt - startedAt })
    })
    instance.on('response', () => { lastAt = performance.now() })
    instance.on('reqError', () => { lastAt = performance.now() })
    started(instance)
    if (track !== null) autocannon.track(instance, { outputStream: track, renderResultsTable: false, renderLatencyTable: false })
  })
}
