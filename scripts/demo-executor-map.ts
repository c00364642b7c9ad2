// demo_executor_map.py, in TypeScript: three worker threads loiter; map yields the results in
// input order, whatever the order the tasks finish in.
// npm run demo:executor-map [-- 3 2 0 1 4]     (the book's 0 1 2 3 4 by default; LOITER_MS=250: 250 ms a "second")

import { writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { ThreadPoolExecutor } from '../harness/core/executor/pool.js'

const SECOND_MS = Number(process.env.LOITER_MS ?? 1000) // how long loiter's "second" lasts

// One write per line, from any thread straight to stdout (a worker's console.log goes through the main thread).
export function display (...args: unknown[]): void {
  writeSync(1, `[${new Date().toTimeString().slice(0, 8)}] ${args.join(' ')}\n`)
}

export async function loiter (n: number): Promise<number> {
  display(`${'\t'.repeat(n)}loiter(${n}): doing nothing for ${n}s...`)
  await sleep(n * SECOND_MS)
  display(`${'\t'.repeat(n)}loiter(${n}): done.`)
  return n * 10
}

async function main (inputs: number[]): Promise<void> {
  display('Script starting.')
  await using executor = await ThreadPoolExecutor.start<typeof import('./demo-executor-map.js')>(3, new URL('./demo-executor-map.js', import.meta.url))
  const results = executor.map('loiter', inputs) // submits all five at once, as Python's does
  // As Python's <generator object result_iterator at 0x...>: nothing taken yet (a JS object has no address).
  display('results:', `<${Object.prototype.toString.call(results).slice(8, -1)} object Executor.map>`)
  display('Waiting for individual results:')
  let i = 0
  for await (const result of results) display(`result ${i++}: ${result}`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const inputs = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [0, 1, 2, 3, 4]
  if (!inputs.every(n => Number.isInteger(n) && n >= 0)) {
    console.error('demo-executor-map: loiter takes whole numbers of seconds, e.g. 3 2 0 1 4')
    process.exit(2)
  }
  await main(inputs)
}
