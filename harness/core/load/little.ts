// What a load run measured, set against Little's law. In a closed loop, each of C connections
// has one request in flight at a time, so the number in flight is C and the law L = λW reads
// λ = C / W: the throughput follows from the mean latency. With a fixed injected delay L no
// request can take less, so C / L is the bound; a server that only waits on timers meets it.

export interface LatencyFigures {
  mean: number
  stddev: number
  p50: number
  p90: number
  p99: number
  /** The largest latency measured, exactly. */
  max: number
}

export interface LittlesLaw {
  /** Requests ended per second in the steady state (every connection busy); over the whole run when there is none. */
  throughput: number
  /** C / W, W the steady state's mean latency: what Little's law predicts from the latency measured. */
  littlesLawRps: number
  /** throughput / littlesLawRps, which is λW / C: near 1 when every connection was kept busy. */
  ratio: number
  /** C / L for a fixed injected latency L (capped by --max-latency); null when the latency is not fixed. */
  boundRps: number | null
  /** throughput / boundRps: how close the server comes to the best possible. */
  boundRatio: number | null
}

/**
 * The steady state: each connection from its first ended request (which also opened it) to its
 * last (after which the others go on without it, the drain of --amount). Null when no
 * connection ended two requests.
 */
export interface SteadyState {
  /** Requests ended in it: each connection's after its first. */
  requests: number
  /** W: their mean latency. */
  meanLatencyMs: number
  /** Left out at the start: from the first send to the moment every connection had its first request ended. */
  rampUpMs: number
  /** Left out at the end: from the first connection's last end to the run's last. */
  drainMs: number
}

export interface LoadFigures extends LittlesLaw {
  /** Requests that ended, each having held its connection: answers of any status, errors and timeouts. */
  requests: number
  ok: number
  non2xx: number
  /** Connection errors, timeouts included. */
  errors: number
  timeouts: number
  /** The errors by kind: timeout, or the error's code (ECONNRESET, UND_ERR_SOCKET...). */
  errorKinds: Record<string, number>
  /** In flight when the run was stopped (its time was up, or Ctrl-C): they never ended, and count nowhere else. */
  cut: number
  /** From the first request sent to the last one ended. */
  elapsedMs: number
  bytesPerSecond: number
  /** Of every request that ended, whatever its outcome. */
  latencyMs: LatencyFigures
  steady: SteadyState | null
}

export function littlesLaw (connections: number, throughput: number, meanLatencyMs: number, fixedLatencyMs: number | null): LittlesLaw {
  const littlesLawRps = meanLatencyMs > 0 ? connections * 1000 / meanLatencyMs : NaN
  const boundRps = fixedLatencyMs === null || fixedLatencyMs <= 0 ? null : connections * 1000 / fixedLatencyMs
  return {
    throughput,
    littlesLawRps,
    ratio: throughput / littlesLawRps,
    boundRps,
    boundRatio: boundRps === null ? null : throughput / boundRps
  }
}
