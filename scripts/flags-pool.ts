// flags_threadpool.py, in TypeScript: a pool of worker threads maps downloadOne over the codes.
// npm run flags:pool     (BASE_URL=... to use another server)

import { ThreadPoolExecutor } from '../harness/core/executor/pool.js'
import { main } from './flags-sequential.js'

async function downloadMany (ccList: string[]): Promise<number> {
  // `await using`: the twin of the book's `with` block, the pool shut down on leaving it.
  // Each worker imports flags-sequential.js and runs its downloadOne, one flag at a time.
  await using executor = await ThreadPoolExecutor.start<typeof import('./flags-sequential.js')>(
    20, new URL('./flags-sequential.js', import.meta.url))
  const res: string[] = []
  for await (const cc of executor.map('downloadOne', [...ccList].sort())) res.push(cc)
  return res.length
}

await main(downloadMany)
