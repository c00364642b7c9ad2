// flags.py, in TypeScript: download the 20 flags one after another.
// npm run flags:sequential [-- BASE_URL]     (default: the DELAY site of npm run server, 0.5 s to 5 s a flag)

import { mkdirSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { request } from 'undici'
import { failed, siteAndPool, siteUrl, startupApart, type Pool } from './flags-common.js'
export { openConnection } from './flags-common.js' // a task too: the pools' workers warm up with it

export const POP20_CC = 'CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR'.split(' ')
const DEST_DIR = 'downloaded'

export async function getFlag (cc: string): Promise<Buffer> {
  const url = `${siteUrl()}/${cc}/${cc}.gif`.toLowerCase()
  const resp = await request(url, { signal: AbortSignal.timeout(6100) })
  if (resp.statusCode !== 200) throw new Error(`${resp.statusCode} for ${url}`)
  return Buffer.from(await resp.body.arrayBuffer())
}

export async function downloadOne (cc: string): Promise<string> {
  const image = await getFlag(cc)
  writeFileSync(`${DEST_DIR}/${cc}.gif`, image)
  process.stdout.write(`${cc} `)
  return cc
}

async function downloadMany (ccList: string[]): Promise<number> {
  for (const cc of [...ccList].sort()) await downloadOne(cc)
  return ccList.length
}

export async function main (downloader: (ccList: string[]) => Promise<number>): Promise<void>
export async function main<P extends Pool> (downloader: (ccList: string[], pool: P) => Promise<number>, startPool: () => Promise<P>): Promise<void>
export async function main (downloader: (ccList: string[], pool?: Pool) => Promise<number>, startPool?: () => Promise<Pool>): Promise<void> {
  mkdirSync(DEST_DIR, { recursive: true })
  await using started = await siteAndPool(startPool)
  const t0 = performance.now()
  const count = await downloader(POP20_CC, started?.pool).catch(failed)
  process.stdout.write(`\n${count} downloads in ${((performance.now() - t0) / 1000).toFixed(2)}s${startupApart(started)}\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(downloadMany)
