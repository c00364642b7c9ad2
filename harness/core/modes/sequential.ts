// flags.py: one request after another, over one keep-alive connection.

import { Client } from 'undici'
import { downloadOne, withSalt } from '../download.js'
import { undiciTransport } from '../undici-transport.js'
import { recorder, type ModeContext, type ModeSession } from './mode.js'

export async function openSequential (context: ModeContext): Promise<ModeSession> {
  // One connection: to the first replica when there are several.
  const client = new Client(new URL(context.baseUrl).origin, context.replicas?.connectOf(0))
  const transport = undiciTransport(client, context.baseUrl)
  return {
    run: async (onRecord, salt) => {
      const run = recorder(onRecord)
      for (const cc of context.codes) {
        if (context.interrupt.aborted) break
        run.add(await downloadOne(transport, cc, withSalt(context.download, salt), context.interrupt))
      }
      return run.finish()
    },
    close: async () => await client.destroy()
  }
}
