// What a load run measured, set against Little's law. In a closed loop, each of C connections
// has one request in flight at a time, so the number in flight is C and the law L = λW reads
// λ = C / W: the throughput follows from the mean latency. With a fixed injected delay L no
// request can take less, so C / L is the bound; a server that only waits on timers meets it.

import type autocannon from 'autocannon'

export interface LatencyFigures {
  mean: number
  stddev: number
  p50: number
  p90: number
  p99: number
  max: number
}

export interface LittlesLaw {
  /** Answers (any status) per second over the run. */
  throughput: number
  /** C / mean latency: what Little's law predicts from the latency measured. */
  littlesLawRps: number
  /** throughput / littlesLawRps: near 1 when every connection was kept busy. */
  ratio: number
  /** C / L for a fixed injected latency L; null when the latency is not fixed. */
  boundRps: number | null
  /** throughput / boundRps: how close the server comes to the best possible. */
  boundRatio: number | null
}

export interface LoadFigures extends LittlesLaw {
  /** Answers received, of any status. */
  requests: number
  ok: number
  non2xx: number
  /** Connection errors, timeouts included, as autocannon counts them. */
  errors: number
  timeouts: number
  /** From autocannon's start to the last answer or error (autocannon's own duration is rounded up to its 1 s tick with --amount). */
  elapsedMs: number
  bytesPerSecond: number
  /** Of every answer, whatever its status (autocannon's default). */
  latencyMs: LatencyFigures
}

export function littlesLaw (connections: number, requests: number, elapsedMs: number, meanLatencyMs: number, fixedLatencyMs: number | null): LittlesLaw {
  const throughput = elapsedMs > 0 ? requests * 1000 / elapsedMs : 0
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

export function loadFigures (result: autocannon.Result, elapsedMs: number, fixedLatencyMs: number | null): LoadFigures {
  const { latency } = result
  const requests = result.requests.total
  return {
    requests,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    elapsedMs,
    bytesPerSecond: elapsedMs > 0 ? result.throughput.total * 1000 / elapsedMs : 0,
    latencyMs: { mean: latency.mean, stddev: latency.stddev, p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
    ...littlesLaw(result.connections, requests, elapsedMs, latency.mean, fixedLatencyMs)
  }
}
