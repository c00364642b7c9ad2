// --cpu-work: synchronous CPU work after each download, the Node twin of the GIL lesson. It is
// a fixed amount of work (a checksum over a buffer), calibrated once per thread, so that two
// threads sharing one core each take longer, as real work would; a loop that only watched the
// clock would hide that. A short top-up on the clock makes sure an idle thread never does less
// than asked.

/** Work in slices this big, so calibration and top-up see the clock often. */
const SLICE = 4096
const data = new Uint8Array(SLICE).map((_, i) => (i * 2654435761) >>> 24)

let sink = 0
let slicesPerMs: number | undefined

function slice (): void {
  let sum = sink
  for (let i = 0; i < SLICE; i++) sum = (Math.imul(sum, 31) + (data[i] ?? 0)) | 0
  sink = sum
}

/** Slices per millisecond on this thread: the best of a few 20 ms tries, once JIT has settled. */
function calibrate (): number {
  let best = 0
  for (let round = 0; round < 5; round++) {
    let n = 0
    const start = performance.now()
    while (performance.now() - start < 20) {
      slice()
      n++
    }
    best = Math.max(best, n / (performance.now() - start))
  }
  return best
}

/** Calibrates this thread once (about 0.1 s); call it before the clock starts. */
export function prepareCpuWork (): void {
  slicesPerMs ??= calibrate()
}

/** Blocks this thread for at least `ms` of CPU work. Returns the checksum, so it is not optimised away. */
export function burnCpu (ms: number): number {
  if (ms <= 0) return sink
  slicesPerMs ??= calibrate()
  const start = performance.now()
  const slices = Math.ceil(slicesPerMs * ms)
  for (let i = 0; i < slices; i++) slice()
  while (performance.now() - start < ms) slice()
  return sink
}
