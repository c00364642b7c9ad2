// --version and --help, as every command answers them.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../contract/project.js'
import { helpText, helpWidth } from './help.js'
import type { CommandLine } from './options.js'

/** What every command's --version prints: the program, the project's version, and Node's. */
export function versionLine (program: string): string {
  const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
  return `${program} ${version} (flag-lab, Node ${process.version})`
}

/**
 * --help (made from the command's declarations, at stdout's width) or --version, on stdout.
 * True when one was asked for, and the command has nothing else to do.
 */
export function answeredHelpOrVersion (command: CommandLine, asked: { help: boolean, version: boolean }): boolean {
  if (asked.help) process.stdout.write(helpText(command, helpWidth()))
  else if (asked.version) process.stdout.write(`${versionLine(command.program)}\n`)
  return asked.help || asked.version
}
