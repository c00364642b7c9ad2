// --cpu-work: synchronous CPU work after each download, the Node twin of the GIL lesson. It is a
// fixed amount of work (a checksum over a buffer, in slices), the same in every mode and every
// thread: how many slices make the D ms asked is measured once, before any worker starts, and
// every thread then does exactly that many. So N downloads cost N × D of CPU whoever runs them,
// and two threads sharing a core each take longer, as real work would. Nothing is topped up on
// the clock: that would turn a fixed amount of work into a fixed time, and hide the sharing.
//
// The calibration keeps the fastest of many short rounds: another process taking the core, or
// the sibling hyperthread, only ever slows a round down, so the fastest one is the thread's own
// speed at that time (a sibling busy through the whole calibration makes the same work run up to
// a third faster later, seen in the full test suite). Measured on a shared two-core machine,
// calibrations in CPU time varied 2× and more from run to run. On a busier machine the same work
// then takes longer, as it would.

/** Work in slices this big, so the calibration reads the clock often enough. */
const SLICE = 4096
/** A round this short is often run without being interrupted, even beside a busy process. */
const ROUND_MS = 2
const ROUNDS = 30
/** Rounds first run and thrown away: the JIT optimises slice() meanwhile. */
const WARM_ROUNDS = 5
const data = new Uint8Array(SLICE).map((_, i) => (i * 2654435761) >>> 24)

let sink = 0

function slice (): void {
  let sum = sink
  for (let i = 0; i < SLICE; i++) sum = (Math.imul(sum, 31) + (data[i] ?? 0)) | 0
  sink = sum
}

/**
 * Slices per millisecond on this thread: the fastest of 30 rounds of 2 ms, after 5 more that
 * warm the JIT. Call it on an idle thread (the harness's main thread, before it starts its
 * workers): about 0.1 s.
 */
export function calibrateCpuWork (): number {
  let fastest = 0
  for (let round = 0; round < WARM_ROUNDS + ROUNDS; round++) {
    let slices = 0
    const start = performance.now()
    let spent = 0
    while (spent < ROUND_MS) {
      slice()
      slices++
      spent = performance.now() - start
    }
    if (round >= WARM_ROUNDS) fastest = Math.max(fastest, slices / spent)
  }
  return fastest
}

/** Blocks this thread for `slices` slices of work. Returns the checksum, so it is not optimised away. */
export function burnCpu (slices: number): number {
  for (let i = 0; i < slices; i++) slice()
  return sink
}
