// asyncio.Semaphore's twin: at most `limit` holders at once, the rest wait in FIFO order, so
// the async mode dispatches in the same order as the others.

export class Semaphore {
  private free: number
  private readonly waiting: Array<() => void> = []

  constructor (limit: number) {
    this.free = limit
  }

  async run<T> (task: () => Promise<T>): Promise<T> {
    if (this.free > 0) {
      this.free--
    } else {
      await new Promise<void>(resolve => this.waiting.push(resolve))
    }
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next === undefined) this.free++
      else next()
    }
  }
}
