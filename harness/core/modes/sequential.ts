// flags.py: one request after another, over one keep-alive connection.

import { Client } from 'undici'
import { prepareCpuWork } from '../cpu-work.js'
import { downloadOne } from '../download.js'
import { recorder, type ModeContext, type ModeSession } from './mode.js'

export async function openSequential (context: ModeContext): Promise<ModeSession> {
  const client = new Client(new URL(context.baseUrl).origin)
  if (context.download.cpuWorkMs > 0) prepareCpuWork()
  return {
    run: async onRecord => {
      const run = recorder(onRecord)
      for (const cc of context.codes) {
        if (context.interrupt.aborted) break
        run.add(await downloadOne(client, context.baseUrl, cc, context.download, context.interrupt))
      }
      return run.finish()
    },
    close: async () => await client.destroy()
  }
}
