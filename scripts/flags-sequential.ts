// flags.py, in TypeScript: download the 20 flags one after another.
// npm run flags:sequential [-- BASE_URL]     (default: the LOCAL site of npm run server)

import { mkdirSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { request } from 'undici'

export const POP20_CC = 'CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR'.split(' ')
export const BASE_URL = process.env.BASE_URL ?? 'http://localhost:8000/flags'
const DEST_DIR = 'downloaded'

export async function getFlag (cc: string): Promise<Buffer> {
  const url = `${BASE_URL}/${cc}/${cc}.gif`.toLowerCase()
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

export async function main (downloader: (ccList: string[]) => Promise<number>): Promise<void> {
  mkdirSync(DEST_DIR, { recursive: true })
  const t0 = performance.now()
  const count = await downloader(POP20_CC)
  const elapsed = (performance.now() - t0) / 1000
  process.stdout.write(`\n${count} downloads in ${elapsed.toFixed(2)}s\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(downloadMany)
