// A server as replicas behind one name (Swarm's endpoint_mode dnsrr, a Kubernetes headless
// Service): the name resolves to every replica's address, and a client that lets each
// connection resolve it alone spreads by chance (issue 21 saw 10, 12 and 38 requests on three
// replicas). Here connection k goes to the k-th address, round robin, while its Host header
// stays the name; which replica answered a request is the address its connection went to.
// One address: nothing is pinned, and the client connects as it always did.

import { lookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import { readFaultTally, type FaultTally } from './load/fault-tally.js'
import { pinnedTo } from './pinned-connect.js'

/** hostname → the addresses it resolves to (dns.lookup with all: true, by default). */
export type ResolveAll = (hostname: string) => Promise<ReadonlyArray<{ address: string }>>

const systemResolver: ResolveAll = async hostname => await lookup(hostname, { all: true })

/** Every address `hostname` (a URL's, IPv6 in brackets or not) resolves to now, each once, sorted. */
export async function replicaAddresses (hostname: string, resolve: ResolveAll = systemResolver): Promise<string[]> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1')
  if (isIP(bare) !== 0) return [bare]
  return [...new Set((await resolve(bare)).map(entry => entry.address))].sort()
}

/** One replica's origin: the service's URL with the replica's address for its host. */
export function replicaOrigin (serviceUrl: URL, address: string): string {
  return `${serviceUrl.protocol}//${isIP(address) === 6 ? `[${address}]` : address}:${serviceUrl.port}`
}

/** One replica's part of a run. */
export interface ReplicaShare {
  address: string
  /** Requests this client sent on connections to it; null when it could not tell (the harness's worker threads and processes pin their own). */
  requests: number | null
  /** What its /metrics counted over the run: flag requests, faults by kind, and in flight at the end. */
  served: FaultTally | null
}

/** The replicas a run went to: each one's share, and the server figures summed over their /metrics. */
export interface ReplicaFigures {
  /** Replicas that got at least one request (as sent, or else as their /metrics counted). */
  answered: number
  shares: ReplicaShare[]
  /** The replicas' /metrics summed (each read after the run less before it; in flight as read after); null when one did not answer. */
  served: FaultTally | null
}

/** Connections dealt round robin over a name's addresses, and the requests sent to each. */
export class ReplicaSpread {
  private readonly sent: number[]
  /** A driver counted what it sent (sentOn): the load tool's do; the harness's modes leave it to the replicas' /metrics. */
  private counted = false

  constructor (readonly addresses: readonly string[]) {
    this.sent = addresses.map(() => 0)
  }

  /** More than one address: connections are pinned and the report shows the shares. */
  get spread (): boolean {
    return this.addresses.length > 1
  }

  /** Connection k's undici options: pinned to the k-th address round robin, or none when there is one. */
  connectOf (k: number): { connect?: { lookup: LookupFunction } } {
    return this.spread ? { connect: pinnedTo(this.addressOf(k)) } : {}
  }

  addressOf (k: number): string {
    return this.addresses[k % this.addresses.length] ?? ''
  }

  /** A request was sent on connection k. */
  sentOn (k: number): void {
    this.counted = true
    const i = k % this.addresses.length
    this.sent[i] = (this.sent[i] ?? 0) + 1
  }

  /** Each replica's /metrics now, by address; null for one that does not answer. */
  async readMetrics (serviceUrl: URL): Promise<Array<FaultTally | null>> {
    return await Promise.all(this.addresses.map(async address => await readFaultTally(replicaOrigin(serviceUrl, address)).catch(() => null)))
  }

  /** The shares, with what each replica's /metrics counted since `before` (readMetrics before the run). */
  async figures (serviceUrl: URL, before: ReadonlyArray<FaultTally | null>): Promise<ReplicaFigures> {
    const after = await this.readMetrics(serviceUrl)
    const served = after.map((now, i) => {
      const then = before[i]
      return now === null || then === null || then === undefined ? null : difference(now, then)
    })
    const shares = this.addresses.map((address, i) => ({ address, requests: this.counted ? this.sent[i] ?? 0 : null, served: served[i] ?? null }))
    return {
      answered: shares.filter(share => (share.requests ?? share.served?.requests ?? 0) > 0).length,
      shares,
      served: served.every(tally => tally !== null) ? served.reduce(sum, { requests: 0, faults: {}, inFlight: 0 }) : null
    }
  }
}

/** Counts over a run: the counters' growth; in flight is a gauge, as read after, less the reading request itself. */
function difference (after: FaultTally, before: FaultTally): FaultTally {
  const faults = Object.fromEntries(Object.entries(after.faults).map(([kind, n]) => [kind, n - (before.faults[kind] ?? 0)]))
  return { requests: after.requests - before.requests, faults, inFlight: Math.max(0, after.inFlight - 1) }
}

function sum (total: FaultTally, tally: FaultTally): FaultTally {
  const faults = { ...total.faults }
  for (const [kind, n] of Object.entries(tally.faults)) faults[kind] = (faults[kind] ?? 0) + n
  return { requests: total.requests + tally.requests, faults, inFlight: total.inFlight + tally.inFlight }
}
