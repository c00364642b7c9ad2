// flags_asyncio.py, in TypeScript: one thread, one event loop, every request in flight at once.
// npm run flags:async [-- BASE_URL]     (default: the DELAY site of npm run server)

import { downloadOne, main } from './flags-sequential.js'

async function downloadMany (ccList: string[]): Promise<number> {
  const toDo = [...ccList].sort().map(cc => downloadOne(cc))
  const res = await Promise.all(toDo)
  return res.length
}

await main(downloadMany)
