// flags_threadpool.py, in TypeScript: a pool of worker threads maps downloadOne over the codes.
// npm run flags:pool [-- BASE_URL]     (default: the DELAY site of npm run server)
// As the book's ThreadPoolExecutor(), min(32, cpus + 4) workers; MAX_WORKERS=20 for another number.

import { pathToFileURL } from 'node:url'
import { ThreadPoolExecutor, type ProcessPoolExecutor } from '../harness/core/executor/pool.js'
import { maxWorkers } from './flags-common.js'
import { main } from './flags-sequential.js'

type Tasks = typeof import('./flags-sequential.js')

// Each worker imports flags-sequential.js and runs its downloadOne, one flag at a time.
export async function downloadMany (ccList: string[], executor: ThreadPoolExecutor<Tasks> | ProcessPoolExecutor<Tasks>): Promise<number> {
  const res: string[] = []
  for await (const cc of executor.map('downloadOne', [...ccList].sort())) res.push(cc)
  return res.length
}

// main() starts the pool before the clock (its start-up printed apart, as npm run harness does)
// and shuts it down at the end: `await using`, the twin of the book's `with` block.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const workers = maxWorkers() // read before the site is checked: a bad value is a usage error
  await main(downloadMany, async () => await ThreadPoolExecutor.start<Tasks>(workers, new URL('./flags-sequential.js', import.meta.url)))
}
