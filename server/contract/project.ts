// Where the project is, found from this module whether it runs from its source (server/contract)
// or compiled (dist/server/contract): the flags, the compiled server and the bench scripts are
// found from there.

import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FlagsError } from './errors.js'

/** The nearest folder above `fromUrl` (by default this module) holding package.json. */
export function projectRoot (fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new FlagsError('FLAGS_ERR_FLAGS_DIR', `no package.json above ${fileURLToPath(fromUrl)}`)
    dir = parent
  }
  return dir
}

export function defaultFlagsDir (): string {
  return join(projectRoot(), 'flags')
}
