// The injection options as the commands declare them, from the contract's rules: one spec per
// rule, named and documented by the rule.

import { envName, formatInjection, INJECTION_KEYS, NO_INJECTION, optionName, RULES } from '../contract/injection.js'
import type { OptionSpec } from './options.js'

/** As a client passes them on (the harness, the load tool): to its own server, or as x-flags-* headers. */
export const INJECTION_OPTIONS: readonly OptionSpec[] = INJECTION_KEYS.map(key => {
  const { help, metavar } = RULES[key]
  return { name: optionName(key), type: 'string', metavar, help }
})

const DEFAULTS = formatInjection(NO_INJECTION)

/** As the server takes them: each also from its environment variable, the default no injection. */
export const SERVER_INJECTION_OPTIONS: readonly OptionSpec[] = INJECTION_OPTIONS.map(spec => ({ ...spec, default: DEFAULTS[spec.name], env: envName(spec.name) }))
