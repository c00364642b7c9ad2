// flags_threadpool_futures.py, in TypeScript: submit every download, keep the futures, then take
// the results as they complete (asCompleted), whatever the order they were scheduled in.
// npm run flags:futures [-- BASE_URL]     (default: the DELAY site of npm run server)

import { inspect } from 'node:util'
import { asCompleted, type Future } from '../harness/core/executor/future.js'
import { ThreadPoolExecutor } from '../harness/core/executor/pool.js'
import { main } from './flags-sequential.js'

// Python prints <Future at 0x10079 state=running>; a JS object has no address: its code stands in.
function repr (cc: string, future: Future<string>): string {
  const state = future.cancelled() ? 'cancelled' : future.done() ? 'finished' : future.running() ? 'running' : 'pending'
  return `<Future for ${cc}: ${state}>`
}

type Tasks = typeof import('./flags-sequential.js')

async function downloadMany (ccList: string[], executor: ThreadPoolExecutor<Tasks>): Promise<number> {
  ccList = ccList.slice(0, 5) // as the book: five flags, three workers, so two must wait
  const toDo = new Map<Future<string>, string>()
  for (const cc of [...ccList].sort()) {
    const future = executor.submit('downloadOne', cc)
    toDo.set(future, cc)
    process.stdout.write(`Scheduled for ${cc}: ${repr(cc, future)}\n`)
  }
  let count = 0
  for await (const future of asCompleted(toDo.keys())) {
    const res = await future.result()
    process.stdout.write(`${repr(toDo.get(future) ?? '??', future)} result: ${inspect(res)}\n`)
    count++
  }
  return count
}

// The pool starts before the clock, its start-up printed apart, as npm run harness does.
await main(downloadMany, async () => await ThreadPoolExecutor.start<Tasks>(3, new URL('./flags-sequential.js', import.meta.url)))
