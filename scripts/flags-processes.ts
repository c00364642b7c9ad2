// flags_threadpool.py with ProcessPoolExecutor, in TypeScript: the same map, over worker processes.
// npm run flags:processes [-- BASE_URL]     (default: the DELAY site of npm run server)

import { ProcessPoolExecutor } from '../harness/core/executor/pool.js'
import { maxWorkers } from './flags-common.js'
import { downloadMany } from './flags-pool.js'
import { main } from './flags-sequential.js'

// As the book's ProcessPoolExecutor(): one worker per CPU (MAX_WORKERS for another number). Each is a node process of its own
// (its heap, event loop and connection) that imports flags-sequential.js and runs its
// downloadOne; the pool starts before the clock, its start-up printed apart.
const workers = maxWorkers() // read before the site is checked: a bad value is a usage error
await main(downloadMany, async () => await ProcessPoolExecutor.start<typeof import('./flags-sequential.js')>(
  workers, new URL('./flags-sequential.js', import.meta.url)))
