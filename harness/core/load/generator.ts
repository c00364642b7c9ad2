// What drive() asks of a load generator, and what it hears back: the interface every
// generator (autocannon-generator.ts, wrk-generator.ts) implements, apart from drive() and the
// registry of generators (generators.ts), so that none of them imports another back.

export interface LoadWindow {
  /** The server's origin, e.g. http://127.0.0.1:41234. */
  url: string
  connections: number
  /** URL paths, asked for round-robin. */
  paths: readonly string[]
  /** Before the window, on its connections: a time, or a number of requests (answers and errors alike). */
  warmup: { seconds: number } | { requests: number }
  durationS: number
  /**
   * Requests a second over all connections, held through warm-up and window; absent, a closed
   * loop as fast as the answers come. Only autocannon holds a rate (its overallRate).
   */
  ratePerS?: number
}

/** What a generator saw of the measured window. */
export interface GeneratorFigures {
  /**
   * Steady state: the sum over connections of each one's rate between its first and last answer;
   * with a rate, the answers from the cut to the stop, the rate achieved; null when the generator cannot tell.
   */
  rps: number | null
  /** 2xx answers in the window. */
  answered: number
  /** Of the requests sent inside the window: one sent before may have waited for its connection. */
  p50Ms: number
  p99Ms: number
  /** Connection errors and timeouts in the window, by kind. */
  errorKinds: Record<string, number>
  /** Errors during the warm-up: the connection storm of the first seconds, shown apart. */
  warmupErrors: number
  non2xx: number
  /** CPU seconds the generator itself used in the window; null if it cannot tell. */
  cpuS: number | null
}

export interface LoadGenerator {
  readonly name: string
  /** Warm up, call `cut` as the measured window starts, measure; end early once `signal` aborts. */
  run: (window: LoadWindow, cut: () => void, signal: AbortSignal) => Promise<GeneratorFigures>
}

export interface GeneratorSettings {
  /** autocannon's worker threads; 0 for none. */
  workers: number
  /** The core the generator runs on (placement.ts), or null to leave it to the scheduler. */
  core: number | null
}
