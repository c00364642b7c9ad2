// flags_threadpool.py with ProcessPoolExecutor, in TypeScript: the same map, over worker processes.
// npm run flags:processes [-- BASE_URL]     (default: the DELAY site of npm run server)

import { availableParallelism } from 'node:os'
import { ProcessPoolExecutor } from '../harness/core/executor/pool.js'
import { downloadMany } from './flags-pool.js'
import { main } from './flags-sequential.js'

// As the book's ProcessPoolExecutor(): one worker per CPU. Each is a node process of its own
// (its heap, event loop and connection) that imports flags-sequential.js and runs its
// downloadOne; the pool starts before the clock, its start-up printed apart.
await main(downloadMany, async () => await ProcessPoolExecutor.start<typeof import('./flags-sequential.js')>(
  availableParallelism(), new URL('./flags-sequential.js', import.meta.url)))
