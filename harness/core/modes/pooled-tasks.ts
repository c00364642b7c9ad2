// What each worker thread of the pooled mode runs: downloadOne over a client of its own, one
// connection, one download at a time (the Node twin of a thread blocked in I/O).

import { Client } from 'undici'
import { downloadOne, withSalt, type DownloadOptions } from '../download.js'
import { taskData } from '../executor/task-data.js'
import type { RequestRecord } from '../record.js'
import { undiciTransport } from '../undici-transport.js'

export interface PooledWorkerData {
  baseUrl: string
  download: DownloadOptions
}

const { baseUrl, download: options } = taskData<PooledWorkerData>()
const transport = undiciTransport(new Client(new URL(baseUrl).origin), baseUrl)

export async function download (cc: string, salt: string | null): Promise<RequestRecord> {
  return await downloadOne(transport, cc, withSalt(options, salt))
}
