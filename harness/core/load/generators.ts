// The load generators a bench may name (--generator): Debian's wrk when it is installed,
// autocannon otherwise; the comparisons built on drive() and ServerRig do not change with it.

import { autocannonGenerator } from './autocannon-generator.js'
import type { GeneratorSettings, LoadGenerator } from './generator.js'
import { pin } from './placement.js'
import { wrkGenerator, wrkPath } from './wrk-generator.js'

/** The load generators a bench may name (--generator). */
const GENERATORS: Readonly<Record<string, (settings: GeneratorSettings) => LoadGenerator>> = {
  wrk: settings => {
    const wrk = wrkPath()
    if (wrk === null) throw new Error('no wrk on PATH: install it (apt-get install wrk), or use --generator autocannon')
    return wrkGenerator(wrk, settings.core)
  },
  autocannon: settings => {
    // autocannon runs in this process: the process goes to the generator's core.
    if (settings.core !== null) pin(process.pid, settings.core)
    return autocannonGenerator(settings.workers)
  }
}

export const GENERATOR_NAMES = Object.keys(GENERATORS)

/** wrk when it is installed, else autocannon: the faster generator there is, with why. */
export function defaultGenerator (): { name: string, why: string } {
  const wrk = wrkPath()
  return wrk === null
    ? { name: 'autocannon', why: 'wrk not found: apt-get install wrk for a generator about three times faster, so that the server, not the generator, is the ceiling' }
    : { name: 'wrk', why: `Debian's wrk, ${wrk}` }
}

export function loadGenerator (name: string, settings: GeneratorSettings): LoadGenerator {
  const make = GENERATORS[name]
  if (make === undefined) throw new Error(`no load generator ${JSON.stringify(name)}; known: ${GENERATOR_NAMES.join(', ')}`)
  return make(settings)
}
