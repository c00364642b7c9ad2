// flags_threadpool.py with ProcessPoolExecutor, in TypeScript: the same map, over worker processes.
// npm run flags:processes     (BASE_URL=... to use another server)

import { availableParallelism } from 'node:os'
import { ProcessPoolExecutor } from '../harness/core/executor/pool.js'
import { main } from './flags-sequential.js'

async function downloadMany (ccList: string[]): Promise<number> {
  // As the book's ProcessPoolExecutor(): one worker per CPU. Each is a node process of its own
  // (its heap, event loop and connection) that imports flags-sequential.js and runs its downloadOne.
  await using executor = await ProcessPoolExecutor.start<typeof import('./flags-sequential.js')>(
    availableParallelism(), new URL('./flags-sequential.js', import.meta.url))
  const res: string[] = []
  for await (const cc of executor.map('downloadOne', [...ccList].sort())) res.push(cc)
  return res.length
}

await main(downloadMany)
