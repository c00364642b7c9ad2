// Where the project is, found from this module whether it runs from its source (server/contract)
// or compiled (dist/server/contract): the flags, the compiled server and the bench scripts are
// found from there.

import { existsSync, readFileSync } from 'node:fs'
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

/** What every command's --version prints: the program, the project's version, and Node's. */
export function versionLine (program: string): string {
  const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
  return `${program} ${version} (flag-lab, Node ${process.version})`
}

/**
 * --help and --version, as every command answers them: the text on stdout. True when one was
 * asked for, and the command has nothing else to do.
 */
export function answeredHelpOrVersion (program: string, asked: { help: boolean, version: boolean }, help: () => string): boolean {
  if (asked.help) process.stdout.write(help())
  else if (asked.version) process.stdout.write(`${versionLine(program)}\n`)
  return asked.help || asked.version
}
