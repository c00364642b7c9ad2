// What the page loads besides itself: its script, and the flags' pictures.

import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { projectRoot } from '../../server/contract/project.js'

/**
 * The page's script, compiled from browser/race-page.ts by npm run build: read from dist/ even
 * when this module runs from its source (the tests), as the browser needs JavaScript.
 */
export function pageScript (): string {
  const file = join(projectRoot(), 'dist', 'harness', 'race', 'browser', 'race-page.js')
  try {
    return readFileSync(file, 'utf8')
  } catch {
    throw new Error(`race page: ${file} not found (npm run build compiles it)`)
  }
}

/** A flag's picture as the page asks for it: flags/cn.gif. */
const FLAG_FILE = /^([a-z]{2})\.gif$/

/** The GIF of `file` (cn.gif) in the flags folder, or null when there is none. */
export async function flagPicture (flagsDir: string, file: string): Promise<Buffer | null> {
  const cc = FLAG_FILE.exec(file)?.[1]
  return cc === undefined ? null : await readFile(join(flagsDir, cc, `${cc}.gif`)).catch(() => null)
}
