// A replicated service's tasks as a client on its network sees them: the addresses its name
// resolves to (Swarm's endpoint_mode dnsrr, a Kubernetes headless Service), and a request sent
// to one of them by address. scripts/replica-check.ts's pieces.

import { lookup } from 'node:dns/promises'
import { Pool } from 'undici'
import { parseFaultTally } from '../harness/core/load/fault-tally.js'
import { replicaAddresses as addressesOf } from '../harness/core/replicas.js'

/** Every IPv4 address the name resolves to now, sorted: one per replica behind a DNS round robin (a swarm's overlay network). */
export async function replicaAddresses (host: string): Promise<string[]> {
  return await addressesOf(host, async name => await lookup(name, { all: true, family: 4 }))
}

export interface Answer {
  status: number
  serverTiming: string
  body: string
}

/** GET path from the pool's replica, the body read whole (a fate includes how the body ends). */
export async function fetchAnswer (pool: Pool, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { statusCode, headers: answerHeaders, body } = await pool.request({ method: 'GET', path, headers })
  const timing = answerHeaders['server-timing']
  return { status: statusCode, serverTiming: Array.isArray(timing) ? timing.join(', ') : timing ?? '', body: await body.text() }
}

/** Flag requests a replica has answered since it started, summed from its /metrics. */
export async function flagRequestsServed (origin: string): Promise<number> {
  const pool = new Pool(origin, { connections: 1 })
  try {
    return parseFaultTally((await fetchAnswer(pool, '/metrics')).body).requests
  } finally {
    await pool.close()
  }
}
