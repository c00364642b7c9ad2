// The server's own event-loop delay for /metrics: how late its loop ran a timer. A server
// whose loop is blocked (a synchronous save, a stall) answers late whatever its injected delay,
// and this is where the load sweep sees it saturate.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/**
 * The monitor's period. perf_hooks records the time between two of its ticks, so an idle loop
 * reads the period itself: it is taken off every figure, and an idle loop reads about 0. Ten
 * milliseconds is Node's default: a timer a hundred times a second costs nothing measurable.
 */
const RESOLUTION_MS = 10
const RESOLUTION_NS = RESOLUTION_MS * 1e6

export class LoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })

  constructor () {
    this.histogram.enable()
  }

  stop (): void {
    this.histogram.disable()
  }

  /** A Prometheus summary in seconds, since the site started: p50, p99, the max, a sum and a count. */
  render (): string[] {
    const h = this.histogram
    const late = (ns: number): number => h.count === 0 ? 0 : Math.max(0, ns - RESOLUTION_NS) / 1e9
    const s = (ns: number): string => String(Number(late(ns).toFixed(6)))
    return [
      `# HELP flags_event_loop_delay_seconds How late the server's event loop ran a ${RESOLUTION_MS} ms timer (perf_hooks.monitorEventLoopDelay less its period), since the server started; quantile 1 is the max.`,
      '# TYPE flags_event_loop_delay_seconds summary',
      `flags_event_loop_delay_seconds{quantile="0.5"} ${s(h.percentile(50))}`,
      `flags_event_loop_delay_seconds{quantile="0.99"} ${s(h.percentile(99))}`,
      `flags_event_loop_delay_seconds{quantile="1"} ${s(h.max)}`,
      `flags_event_loop_delay_seconds_sum ${Number((late(h.mean) * h.count).toFixed(6))}`,
      `flags_event_loop_delay_seconds_count ${h.count}`
    ]
  }
}
