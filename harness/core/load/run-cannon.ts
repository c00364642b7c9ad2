// One autocannon run, timed as it should be. Shared by load() and the autocannon generator.

import autocannon from 'autocannon'

/**
 * One autocannon run; elapsedMs runs from the call to the last answer or error. Not from its
 * 'start' event: autocannon creates every connection and sends the first requests before it,
 * and their latencies count (5,000 connections take a few hundred ms to set up here). The run
 * stops once `signal` aborts (at once if it has).
 */
export async function runCannon (opts: autocannon.Options, signal: AbortSignal, started: (instance: autocannon.Instance) => void = () => {}): Promise<{ result: autocannon.Result, elapsedMs: number }> {
  return await new Promise((resolve, reject) => {
    const startedAt = performance.now()
    let lastAt = startedAt
    const instance = autocannon(opts, (error: Error | null, result) => {
      signal.removeEventListener('abort', stop)
      if (error !== null && error !== undefined) reject(error)
      else resolve({ result, elapsedMs: lastAt - startedAt })
    })
    const stop = (): void => instance.stop()
    if (signal.aborted) setImmediate(stop)
    signal.addEventListener('abort', stop, { once: true })
    instance.on('response', () => { lastAt = performance.now() })
    instance.on('reqError', () => { lastAt = performance.now() })
    started(instance)
  })
}
