// The yardstick of bench:pool: a worker thread with nothing to load, which says it is up.
import { parentPort } from 'node:worker_threads'

parentPort?.postMessage('ready')
