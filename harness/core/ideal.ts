// The ideal bound: the shortest elapsed time a mode could reach with its concurrency, given
// the delays the server actually injected. Requests are handed out in the mode's dispatch
// order to whichever slot frees first (what a semaphore or a pool's queue does), and each one
// takes exactly its injected delay: no network, no parsing, no scheduling cost.

/** Makespan of list scheduling: durations in dispatch order over `concurrency` slots. */
export function idealMakespan (durations: readonly number[], concurrency: number): number {
  const slots = new Array<number>(Math.max(1, Math.min(concurrency, durations.length))).fill(0)
  for (const duration of durations) {
    let earliest = 0
    for (let i = 1; i < slots.length; i++) if ((slots[i] ?? 0) < (slots[earliest] ?? 0)) earliest = i
    slots[earliest] = (slots[earliest] ?? 0) + duration
  }
  return Math.max(0, ...slots)
}
