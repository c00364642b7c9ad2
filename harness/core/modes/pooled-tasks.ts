// What each worker thread of the pooled mode runs: downloadOne over a client of its own, one
// connection, one download at a time (the Node twin of a thread blocked in I/O).

import { workerData } from 'node:worker_threads'
import { Client } from 'undici'
import { prepareCpuWork } from '../cpu-work.js'
import { downloadOne, type DownloadOptions } from '../download.js'
import type { RequestRecord } from '../record.js'

export interface PooledWorkerData {
  baseUrl: string
  download: DownloadOptions
}

const { baseUrl, download: options } = workerData as PooledWorkerData
const client = new Client(new URL(baseUrl).origin)
// Calibrated while the pool starts, so that the start-up, not the first download, pays for it.
if (options.cpuWorkMs > 0) prepareCpuWork()

export async function download (cc: string): Promise<RequestRecord> {
  return await downloadOne(client, baseUrl, cc, options)
}
