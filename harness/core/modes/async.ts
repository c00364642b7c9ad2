// flags2_asyncio.py: one thread, one event loop, at most C requests in flight behind a
// semaphore, over a pool of C keep-alive connections; results taken as they complete.

import { Client, Pool } from 'undici'
import { downloadOne, withSalt } from '../download.js'
import { asCompleted } from '../executor/future.js'
import { Semaphore } from '../semaphore.js'
import { undiciTransport } from '../undici-transport.js'
import { recorder, type ModeContext, type ModeSession } from './mode.js'

export async function openAsync (context: ModeContext): Promise<ModeSession> {
  // The pool opens its connections as requests wait for one: the k-th to the k-th replica.
  const { replicas } = context
  let opened = 0
  const pool = new Pool(new URL(context.baseUrl).origin, {
    connections: context.concurrency,
    ...(replicas?.spread === true ? { factory: (origin, options) => new Client(origin, { ...options, ...replicas.connectOf(opened++) }) } : {})
  })
  const transport = undiciTransport(pool, context.baseUrl)
  return {
    run: async (onRecord, salt) => {
      const download = withSalt(context.download, salt)
      const run = recorder(onRecord)
      const semaphore = new Semaphore(context.concurrency)
      const toDo = context.codes.map(async cc => await semaphore.run(async () =>
        context.interrupt.aborted ? null : await downloadOne(transport, cc, download, context.interrupt)))
      for await (const future of asCompleted(toDo)) {
        const record = await future.result()
        if (record !== null) run.add(record)
      }
      return run.finish()
    },
    close: async () => await pool.destroy()
  }
}
