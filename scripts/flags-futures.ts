// flags_threadpool_futures.py, in TypeScript: submit every download, keep the futures, then take
// the results as they complete (asCompleted), whatever the order they were scheduled in.
// npm run flags:futures [-- BASE_URL]     (default: the DELAY site of npm run server)

import { inspect } from 'node:util'
import { asCompleted, type Future } from '../harness/core/executor/future.js'
import { ThreadPoolExecutor } from '../harness/core/executor/pool.js'
import { main } from './flags-sequential.js'

type Tasks = typeof import('./flags-sequential.js')

async function downloadMany (ccList: string[], executor: ThreadPoolExecutor<Tasks>): Promise<number> {
  ccList = ccList.slice(0, 5) // as the book: five flags, three workers, so two must wait
  const toDo: Array<Future<string>> = []
  for (const cc of [...ccList].sort()) {
    const future = executor.submit('downloadOne', cc)
    toDo.push(future)
    // As Python's repr: <Future at 0x1 state=running> (our futures number themselves for an address).
    process.stdout.write(`Scheduled for ${cc}: ${future}\n`)
  }
  let count = 0
  for await (const future of asCompleted(toDo)) {
    const res = await future.result()
    process.stdout.write(`${future} result: ${inspect(res)}\n`)
    count++
  }
  return count
}

// The pool starts before the clock, its start-up printed apart, as npm run harness does.
await main(downloadMany, async () => await ThreadPoolExecutor.start<Tasks>(3, new URL('./flags-sequential.js', import.meta.url)))
