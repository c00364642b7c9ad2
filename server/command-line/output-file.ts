// A command's --report or --csv: a file written after the run, its folder checked before it.

import { constants } from 'node:fs'
import { access, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { EXIT, exitWith } from './exit.js'

/** Known before the run, not after it: a run is too long to lose to a typo in a path. One line, exit 2. */
export async function checkWritable (program: string, option: string, file: string): Promise<void> {
  await access(dirname(resolve(file)), constants.W_OK).catch((error: NodeJS.ErrnoException) =>
    exitWith(program, `${option} ${file}: cannot write there (${error.code ?? error.message})`, EXIT.usage))
}

/** Writes an output after the run and says where; a failure is one line and exit 1, the report still printed. */
export async function writeOutput (program: string, option: string, what: string, file: string, text: string): Promise<void> {
  await writeFile(file, text).then(
    () => process.stderr.write(`${program}: ${what} is in ${resolve(file)}\n`),
    (error: NodeJS.ErrnoException) => {
      process.stderr.write(`${program}: ${option} ${file}: cannot write (${error.code ?? error.message})\n`)
      process.exitCode = EXIT.failed
    })
}
