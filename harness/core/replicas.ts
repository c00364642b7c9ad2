// A server as replicas behind one name (Swarm's endpoint_mode dnsrr, a Kubernetes headless
// Service): the name resolves to every replica's address, and a client that lets each
// connection resolve it alone spreads by chance (issue 21 saw 10, 12 and 38 requests on three
// replicas). Here connection k goes to the k-th address, round robin, while its Host header
// stays the name; which replica answered a request is the address its connection went to.
// One address: nothing is pinned, and the client connects as it always did.

import { lookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
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

/** A connection that could not be opened: no request left, and the address may be gone (a replaced task). */
export const CONNECT_ERRORS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

/** How often a followed name is looked up again: Swarm's DNS drops a gone task within about a second. */
export const RESOLVE_EVERY_MS = 250

/** /metrics by address, read before a run (readMetrics) and handed back to figures(). */
export type MetricsReading = ReadonlyMap<string, FaultTally | null>

/**
 * Connections dealt round robin over a name's addresses, and the requests sent to each. Followed
 * (follow()), the name is looked up again through the run, as replicas come and go in a rolling
 * update: a connection opened later goes to an address the name has now, and one refused moves on
 * to the next, where a pinned connection would be refused again and again.
 */
export class ReplicaSpread {
  /** Every address seen, in the order first seen: the shares' rows. */
  private readonly seen: string[]
  /** What the name resolves to now, less the addresses that refused a connection since. */
  private current: string[]
  /** Connection k's address. */
  private readonly at: string[] = []
  private turn = 0
  private readonly sent = new Map<string, number>()
  /** A driver counted what it sent (sentOn): the load tool's do; the harness's modes leave it to the replicas' /metrics. */
  private counted = false

  constructor (addresses: readonly string[]) {
    this.seen = [...addresses]
    this.current = [...addresses]
  }

  /** Every address seen so far: the name's at the start, then those that joined it. */
  get addresses (): readonly string[] {
    return this.seen
  }

  /** More than one address at the start: connections are pinned and the report shows the shares. */
  get spread (): boolean {
    return this.seen.length > 1
  }

  /** Connection k's undici options: pinned to its address (asked at each connect), or none when there is one. */
  connectOf (k: number): { connect?: { lookup: LookupFunction } } {
    return this.spread ? { connect: pinnedTo(() => this.addressOf(k)) } : {}
  }

  /** Connection k's address: the k-th round robin, or the next one the name has when its own left. */
  addressOf (k: number): string {
    const own = this.at[k]
    if (own !== undefined && (this.current.includes(own) || this.current.length === 0)) return own
    const next = own === undefined ? this.current[k % this.current.length] : this.current[this.turn++ % this.current.length]
    this.at[k] = next ?? this.seen[k % this.seen.length] ?? ''
    return this.at[k]
  }

  /**
   * A request was sent on connection k: counted for the address it is connected to (or is about
   * to be). A connection whose replica left the name while it was open is counted there for one
   * request more than it carried when the replica closes it: the shares are right to that.
   */
  sentOn (k: number): void {
    this.counted = true
    const address = this.at[k] ?? this.addressOf(k)
    this.sent.set(address, (this.sent.get(address) ?? 0) + 1)
  }

  /** A request on connection k failed with `code`: one that could not connect sends the connection to the next address. */
  failedOn (k: number, code: string): void {
    const address = this.at[k]
    if (!this.spread || address === undefined || !CONNECT_ERRORS.has(code)) return
    // Left out until the name is looked up again; with no other address, kept.
    if (this.current.length > 1) this.current = this.current.filter(a => a !== address)
    this.at[k] = this.current[this.turn++ % this.current.length] ?? address
  }

  /** Looks `hostname` up every RESOLVE_EVERY_MS until `signal` aborts; a failed lookup keeps the last list. */
  async follow (hostname: string, signal: AbortSignal, resolve: ResolveAll = systemResolver): Promise<void> {
    if (!this.spread) return
    while (!signal.aborted) {
      await sleep(RESOLVE_EVERY_MS, undefined, { signal }).catch(() => {})
      if (signal.aborted) return
      const now = await replicaAddresses(hostname, resolve).catch(() => [])
      if (now.length === 0) continue
      this.current = now
      for (const address of now) if (!this.seen.includes(address)) this.seen.push(address)
    }
  }

  /** Each replica's /metrics now, by address; null for one that does not answer. */
  async readMetrics (serviceUrl: URL): Promise<MetricsReading> {
    return new Map(await Promise.all(this.seen.map(async address => [address, await readFaultTally(replicaOrigin(serviceUrl, address)).catch(() => null)] as const)))
  }

  /**
   * The shares, with what each replica's /metrics counted since `before`. A replica that joined
   * the name during the run started during it: all it counted is the run's. One gone by the end
   * (an old task of a rolling update) cannot be read: its share of the sum is unknown, so is the sum.
   */
  async figures (serviceUrl: URL, before: MetricsReading): Promise<ReplicaFigures> {
    const after = await this.readMetrics(serviceUrl)
    const served = this.seen.map(address => {
      const now = after.get(address) ?? null
      const then = before.has(address) ? before.get(address) ?? null : { requests: 0, faults: {}, inFlight: 0 }
      return now === null || then === null ? null : difference(now, then)
    })
    const shares = this.seen.map((address, i) => ({ address, requests: this.counted ? this.sent.get(address) ?? 0 : null, served: served[i] ?? null }))
    return {
      answered: shares.filter(share => (share.requests ?? share.served?.requests ?? 0) > 0).length,
      shares,
      served: served.every(tally => tally !== null) ? served.reduce<FaultTally>((total, tally) => sum(total, tally as FaultTally), { requests: 0, faults: {}, inFlight: 0 }) : null
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
