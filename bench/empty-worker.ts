// The yardstick of bench:pool: a worker thread or a child process with nothing to load, which
// says it is up (a process then ends by itself: nothing holds its IPC channel).
import { parentPort } from 'node:worker_threads'

parentPort?.postMessage('ready')
process.send?.('ready')
