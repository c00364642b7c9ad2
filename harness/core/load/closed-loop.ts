// The closed loop, our own: C connections (an undici Client each, one request at a time), each
// sending its next request as soon as the last one has ended, answered or not. Ours rather than
// autocannon's so that every request is timed with performance.now() (autocannon records whole
// milliseconds) and every one that ended is counted, errors and timeouts with their time.
//
// Connection k's i-th request (both from 0) asks for paths[i mod n] with the salt k.i, so one
// seed and one --amount draw the same fates on every run whatever the timing.

import type { Client, Dispatcher } from 'undici'
import { SALT_HEADER } from '../../../server/contract/protocol.js'
import { requestSalt } from './flag-requests.js'
import type { LoadTally } from './load-tally.js'
import type { ReplicaSpread } from '../replicas.js'
import { GRACE_MS, loadClient, send } from './send.js'

/** What a driver is asked to do. */
export interface DrivePlan {
  /** The server's origin, e.g. http://127.0.0.1:41234. */
  origin: string
  /** The addresses its name resolves to, when several: connections go to them round robin. */
  replicas?: ReplicaSpread
  /** URL paths, asked for round-robin. */
  paths: readonly string[]
  /** Sent with every request (a server we did not start gets the injection this way). */
  headers: Readonly<Record<string, string>>
  connections: number
  /** How long to send for; null with `amount`. */
  durationMs: number | null
  /** Requests in all, shared out between the connections; null with `durationMs`. */
  amount: number | null
  /** Past it, a request is a timeout. */
  timeoutMs: number
  /** Stops the run: nothing more is sent, and what is in flight is cut after a grace. */
  signal: AbortSignal
  /** A request ended; `count` so far. */
  ended?: (count: number) => void
}

/** Connection k's share of `amount`: the first amount mod C connections take one more. */
function quota (plan: DrivePlan, k: number): number {
  if (plan.amount === null) return Infinity
  return Math.floor(plan.amount / plan.connections) + (k < plan.amount % plan.connections ? 1 : 0)
}

/** Runs `plan` to its end (its time, its amount, or its signal), telling `tally` of every request. */
export async function closedLoop (plan: DrivePlan, tally: LoadTally): Promise<void> {
  const clients = Array.from({ length: plan.connections }, (_, k) => loadClient(plan.origin, plan.timeoutMs, plan.replicas?.connectOf(k)))
  const run = { stopped: false, cut: false }
  let ended = 0
  let grace: NodeJS.Timeout | undefined
  // Time up or stopped: nothing more is sent; what is in flight may end for GRACE_MS, then is cut.
  const stop = (): void => {
    if (run.stopped) return
    run.stopped = true
    grace = setTimeout(() => {
      run.cut = true
      for (const client of clients) client.destroy().catch(() => {})
    }, GRACE_MS)
  }
  const deadline = plan.durationMs === null ? undefined : setTimeout(stop, plan.durationMs)
  if (plan.signal.aborted) stop()
  plan.signal.addEventListener('abort', stop, { once: true })
  const connection = async (client: Client, k: number): Promise<void> => {
    const own = quota(plan, k)
    for (let i = 0; i < own && !run.stopped; i++) {
      const options: Dispatcher.DispatchOptions = {
        method: 'GET',
        path: plan.paths[i % plan.paths.length] ?? '/',
        headers: { ...plan.headers, [SALT_HEADER]: requestSalt(k, i) }
      }
      const startMs = performance.now()
      plan.replicas?.sentOn(k)
      const outcome = await send(client, options)
      if (run.cut && 'error' in outcome) {
        tally.wasCut()
        break
      }
      if ('error' in outcome) plan.replicas?.failedOn(k, outcome.error)
      tally.ended(k, startMs, performance.now(), outcome)
      plan.ended?.(++ended)
    }
  }
  try {
    await Promise.all(clients.map(connection))
  } finally {
    clearTimeout(deadline)
    clearTimeout(grace)
    plan.signal.removeEventListener('abort', stop)
    await Promise.all(clients.map(async client => await client.close().catch(() => {})))
  }
}
