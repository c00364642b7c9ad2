// flags_threadpool.py, in TypeScript: a pool of worker threads maps downloadOne over the codes.
// npm run flags:pool     (BASE_URL=... to use another server)

import { ThreadPoolExecutor } from '../harness/core/executor.js'
import { main } from './flags-sequential.js'

async function downloadMany (ccList: string[]): Promise<number> {
  // Each worker imports flags-sequential.js and runs its downloadOne, one flag at a time.
  const executor = await ThreadPoolExecutor.start<typeof import('./flags-sequential.js')>(
    20, new URL('./flags-sequential.js', import.meta.url))
  const res = await executor.map('downloadOne', [...ccList].sort())
  await executor.shutdown()
  return res.length
}

await main(downloadMany)
