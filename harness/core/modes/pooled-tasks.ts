// What each worker thread of the pooled mode runs: downloadOne over a client of its own, one
// connection, one download at a time (the Node twin of a thread blocked in I/O).

import { createRequire } from 'node:module'
import { threadId } from 'node:worker_threads'
import type { Client, Dispatcher } from 'undici'
import { downloadOne, withSalt, type DownloadOptions } from '../download.js'
import { taskData } from '../executor/task-data.js'
import type { RequestRecord } from '../record.js'
import { pinnedTo } from '../pinned-connect.js'
import { undiciTransport } from '../undici-transport.js'

export interface PooledWorkerData {
  baseUrl: string
  /** What baseUrl's host resolves to, when several: each worker pins its connection to one. */
  addresses?: readonly string[]
  download: DownloadOptions
}

// undici's index loads all of undici (fetch, WebSocket, the cache, the mocks, every agent):
// about 200 ms of CPU in each worker, ten times what its Client and request() cost loaded
// alone, and with 20 workers on 2 cores the pool's start-up was 4.4 × that of bare threads
// (npm run bench:pool). The index adds request() to Dispatcher's prototype; so does this.
const require = createRequire(import.meta.url)
const UndiciClient = require('undici/lib/dispatcher/client.js') as typeof Client
const DispatcherBase = require('undici/lib/dispatcher/dispatcher.js') as { prototype: Pick<Dispatcher, 'request'> }
DispatcherBase.prototype.request = require('undici/lib/api/api-request.js') as Dispatcher['request']

const { baseUrl, addresses = [], download: options } = taskData<PooledWorkerData>()
// A pool starts its workers one after another, so their thread ids (or, for processes, their
// pids) run in sequence: taken modulo the replicas, they deal the connections round robin.
const worker = threadId === 0 ? process.pid : threadId
const replica = addresses.length > 1 ? addresses[worker % addresses.length] : undefined
const transport = undiciTransport(new UndiciClient(new URL(baseUrl).origin, replica === undefined ? {} : { connect: pinnedTo(replica) }), baseUrl)

export async function download (cc: string, salt: string | null): Promise<RequestRecord> {
  return await downloadOne(transport, cc, withSalt(options, salt))
}
