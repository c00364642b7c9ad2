// The server's command line and environment → a validated plan of sites. Pure: main.ts runs it.

import { randomInt } from 'node:crypto'
import { SERVER_INJECTION_OPTIONS } from './command-line/injection-options.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine, type OptionSpec } from './command-line/options.js'
import { DURATION_ACCEPTED, parseDuration } from './contract/duration.js'
import { invalidOption } from './contract/errors.js'
import { envName, INJECTION_NAMES, parseInjection } from './contract/injection.js'
import { defaultFlagsDir } from './contract/project.js'
import { BOOK_SITES, PROFILE_NAMES, type ProfileName } from './contract/sites.js'
import { MAX_SEED, parsePort, parseSeed, wholeNumber } from './contract/values.js'
import { DEFAULT_MAX_CONNECTIONS } from './connections.js'
import { isLoopback, type SiteConfig } from './site.js'

/** A site option: also read from its environment variable (--max-hung: FLAGS_MAX_HUNG). */
function siteOption (spec: Omit<OptionSpec, 'type' | 'env'>): OptionSpec {
  return { ...spec, type: 'string', env: envName(spec.name) }
}

export const LOG_MODES = ['off', 'pretty', 'json'] as const
export type LogMode = typeof LOG_MODES[number]

export const SERVER_COMMAND: CommandLine = {
  program: 'flag-server',
  usage: 'npm run server -- [options]',
  about: [
    'With no options, starts the three sites of Fluent Python\'s flag examples:',
    ...Object.values(BOOK_SITES).map(site => `  ${site.label.padEnd(6)} ${site.url}  ${site.summary}`),
    'With --profile, --port or any injection option, starts one site.'
  ].join('\n'),
  groups: [
    {
      heading: 'Site',
      rows: [
        siteOption({ name: 'profile', metavar: PROFILE_NAMES.join('|'), help: 'start from a book site\'s settings', default: 'local' }),
        siteOption({ name: 'port', metavar: 'N', help: '0 to 65535; 0 picks a free port', default: 'the profile\'s, 8000-8002' }),
        siteOption({ name: 'host', metavar: 'HOST', help: 'address to bind', default: 'localhost: 127.0.0.1 and ::1' }),
        siteOption({ name: 'seed', metavar: 'N', help: `whole number from 0 to ${MAX_SEED}; the same seed gives every path the same delay and fault`, default: 'random, printed' }),
        siteOption({ name: 'overrides', metavar: 'on|off', help: 'per-request overrides by query (?latency=1s) or x-flags-* header', default: 'on for a loopback host, off otherwise' }),
        siteOption({ name: 'admin-token', metavar: 'TOKEN', help: 'require "Authorization: Bearer TOKEN" on /admin/config; without it, /admin/config is open on a loopback host, off otherwise' }),
        siteOption({ name: 'grace', metavar: 'DURATION', help: 'on SIGINT or SIGTERM, requests in flight get this long', default: '5s' }),
        siteOption({ name: 'max-hung', metavar: 'N', help: 'hung requests at once, at most; past it a hang is answered 503 (1 to 100000)', default: '1000' }),
        siteOption({ name: 'max-connections', metavar: 'N', help: 'open connections at once, at most, per site; past it a connection is answered 503 and closed (1 to 1000000)', default: String(DEFAULT_MAX_CONNECTIONS) }),
        siteOption({ name: 'flags-dir', metavar: 'DIR', help: 'where the flags are', default: 'the project\'s flags/' }),
        siteOption({ name: 'log', metavar: LOG_MODES.join('|'), help: 'a line on stdout for every request as it ends: time, method, path, status, injected delay and fault, requests in flight', default: 'pretty on a terminal, json lines otherwise' }),
        siteOption({ name: 'record', metavar: 'FILE', help: 'write every flag request to FILE as CSV as it ends: site, run, index, path, status, fault, delay_ms, start_ms, end_ms, bytes, connection, client (a gap of 2 s with nothing in flight starts a run)' }),
        HELP_OPTION,
        VERSION_OPTION
      ]
    },
    {
      heading: 'Injection (per request, drawn from the seed, the path and x-flags-salt)',
      rows: SERVER_INJECTION_OPTIONS,
      note: 'Rates are numbers from 0 to 1 and together add up to at most 1. --profile delay and error start from their site\'s latency and error rate instead of these defaults.'
    }
  ],
  closing: [
    'An option given wins over its environment variable; an empty variable is unset.',
    'Routes: /flags/<cc>/<cc>.gif, /flags/<cc>/metadata.json, /flags, /healthz, /metrics, /admin/config, /live (the requests as bars, live; where /admin/config answers).',
    '',
    'Exit codes: 0 closed on SIGINT or SIGTERM (or after --help, --version); 1 cannot listen, or closing failed; 2 a bad option or flags folder; 130 a second SIGINT or SIGTERM while closing.'
  ].join('\n'),
  noArguments: '; the server takes only options (see --help)'
}

export interface ServerPlan {
  help: boolean
  version: boolean
  /** The request log (log.ts): off, or which format. */
  log: LogMode
  host: string
  graceMs: number
  flagsDir: string
  /** --record: the CSV file every flag request is written to; null without it. */
  record: string | null
  sites: Array<{ config: SiteConfig, port: number }>
}

function parseOnOff (text: string, spelt: string): boolean {
  if (text !== 'on' && text !== 'off') throw invalidOption(spelt, text, 'on or off')
  return text === 'on'
}

function parseLogMode (text: string, spelt: string): LogMode {
  if (!(LOG_MODES as readonly string[]).includes(text)) throw invalidOption(spelt, text, LOG_MODES.join(', '))
  return text as LogMode
}

function parseProfile (text: string, spelt: string): ProfileName {
  if (!(PROFILE_NAMES as string[]).includes(text)) throw invalidOption(spelt, text, PROFILE_NAMES.join(', '))
  return text as ProfileName
}

/** `stdoutIsTty` picks the log's default format: pretty for a person at a terminal, JSON lines for a pipe or a file. */
export function parseServerArgs (argv: readonly string[], env: NodeJS.ProcessEnv, stdoutIsTty = false): ServerPlan {
  const given = readCommandLine(SERVER_COMMAND, argv, env)
  /** A site option from the command line, else from the environment, parsed; errors spell it as its source does. */
  const read = <T>(name: string, parse: (text: string, spelt: string) => T): T | undefined => {
    const found = given.textOrEnv(name)
    return found === undefined ? undefined : parse(...found)
  }

  const host = read('host', (text, spelt) => {
    if (!/^[\w.:[\]-]+$/.test(text)) throw invalidOption(spelt, text, 'a host name or an IP address, e.g. localhost, 127.0.0.1, ::1, 0.0.0.0')
    return text
  }) ?? 'localhost'
  const loopback = isLoopback(host)
  const seed = read('seed', parseSeed) ?? randomInt(1, 1_000_000)
  const overrides = read('overrides', parseOnOff) ?? loopback
  // An empty --admin-token would turn the admin API on, even off loopback, for "Bearer " and
  // nothing: refused. (An empty FLAGS_ADMIN_TOKEN is unset, as every empty variable here: that is
  // how docker-compose.yml leaves the admin API off when ADMIN_TOKEN is not given.)
  const token = read('admin-token', (text, spelt) => {
    const accepted = 'a token of one or more characters, without spaces'
    if (text === '') throw invalidOption(spelt, text, accepted)
    if (/\s/.test(text)) throw invalidOption(spelt, '<hidden>', accepted)
    return text
  })
  const graceMs = read('grace', (text, spelt) => {
    const ms = parseDuration(text)
    if (ms === undefined) throw invalidOption(spelt, text, DURATION_ACCEPTED)
    return ms
  }) ?? 5000
  const maxHung = read('max-hung', (text, spelt) => wholeNumber(text, spelt, 1, 100_000)) ?? 1000
  const maxConnections = read('max-connections', (text, spelt) => wholeNumber(text, spelt, 1, 1_000_000)) ?? DEFAULT_MAX_CONNECTIONS
  const flagsDir = read('flags-dir', text => text) ?? defaultFlagsDir()
  const record = read('record', (text, spelt) => {
    if (text === '') throw invalidOption(spelt, text, 'a file to write the CSV to')
    return text
  }) ?? null
  const profileName = read('profile', parseProfile)
  const port = read('port', parsePort)
  const log = read('log', parseLogMode) ?? (stdoutIsTty ? 'pretty' : 'json')

  const fromEnv = Object.fromEntries(INJECTION_NAMES.filter(name => (env[envName(name)] ?? '') !== '').map(name => [name, env[envName(name)]]))
  const fromFlags = Object.fromEntries(INJECTION_NAMES.flatMap(name => given.text(name) === undefined ? [] : [[name, given.text(name)]]))
  const injectionGiven = Object.keys(fromEnv).length + Object.keys(fromFlags).length > 0
  const admin: SiteConfig['admin'] = token !== undefined || loopback ? { enabled: true, token } : { enabled: false }
  const site = (name: ProfileName): SiteConfig => {
    let injection = BOOK_SITES[name].injection
    injection = parseInjection(fromEnv, injection, envName)
    injection = parseInjection(fromFlags, injection, n => `--${n}`)
    return { name: injectionGiven ? 'CUSTOM' : name.toUpperCase(), seed, injection, overrides, maxHung, maxConnections, admin }
  }

  // The book's three sites, unless anything says which one site to start.
  const custom = profileName !== undefined || port !== undefined || injectionGiven
  const sites = custom
    ? [{ config: site(profileName ?? 'local'), port: port ?? BOOK_SITES[profileName ?? 'local'].port }]
    : PROFILE_NAMES.map(name => ({ config: site(name), port: BOOK_SITES[name].port }))
  return { help: given.on('help'), version: given.on('version'), log, host, graceMs, flagsDir, record, sites }
}
