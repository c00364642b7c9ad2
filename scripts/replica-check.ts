// Checks of a replicated flag server from a client on its network, by each replica's address
// (what scripts/swarm-check.sh runs in a one-shot container on the stack's network):
//
//   replica-check fates URL     every flag asked of every replica and of a single server of
//                               the same seed and site: the same status, Server-Timing and bytes
//   replica-check shares URL    each replica's flag requests so far, from its /metrics
//   replica-check traffic URL   a closed loop over every replica until SIGTERM (or --duration):
//                               each request answered or an error with its reason, as JSON
//
// URL is a site's origin by the service's name (http://server:8002). These checks go to each
// replica by its address themselves (as the harness and the load tool deal their connections,
// harness/core/replicas.ts), and traffic looks the name up again as tasks come and go.

import { setTimeout as sleep } from 'node:timers/promises'
import { Client, Pool } from 'undici'
import { startEmbeddedServer } from '../harness/core/embedded.js'
import { DURATION_ACCEPTED, parseDuration } from '../server/contract/duration.js'
import { EXIT, exitWith, parsedOrExit } from '../server/command-line/exit.js'
import { HELP_OPTION, readCommandLine, VERSION_OPTION, type CommandLine } from '../server/command-line/options.js'
import { answeredHelpOrVersion } from '../server/command-line/version.js'
import { invalidOption, usageError } from '../server/contract/errors.js'
import { flagUrl, FLAGS_PATH, SALT_HEADER } from '../server/contract/protocol.js'
import { bookSiteByLabel } from '../server/contract/sites.js'
import { wholeNumber } from '../server/contract/values.js'
import { CONNECT_ERRORS, RESOLVE_EVERY_MS, replicaOrigin } from '../harness/core/replicas.js'
import { fetchAnswer, flagRequestsServed, replicaAddresses, type Answer } from './replicas.js'

const PROGRAM = 'replica-check'
const COMMANDS = ['fates', 'shares', 'traffic'] as const
type Command = typeof COMMANDS[number]
/** Salts of the fates check: each flag once plain and once salted, so both ways of drawing are compared. */
const FATE_SALTS = [undefined, 'replica-check']
/** A book site's delays reach 5 s: every request of a replica at once keeps the check to about that. */
const FATE_CONNECTIONS = 400
/** How long an address that refused a connection is left out: Swarm's DNS drops a gone task within about a second. */
const SHUNNED_MS = 5_000
/**
 * How long an address whose connection broke under a request is left out: a killed replica's
 * listening socket can still accept for a moment while its process is torn down, and a request
 * sent there then would fail too, though it was never in flight when the replica died.
 */
const BROKEN_MS = 1_000
const REQUEST_TIMEOUT_MS = 10_000

const REPLICA_CHECK_COMMAND: CommandLine = {
  program: PROGRAM,
  usage: 'replica-check fates|shares|traffic URL [options]',
  about: 'Checks of a replicated flag server from a client on its network, by each replica\'s address (scripts/swarm-check.sh runs it in a one-shot container on the stack\'s network). URL is a site\'s origin by the service\'s name: http://server:8002.',
  groups: [
    {
      heading: 'Commands',
      rows: [
        { argument: 'fates URL', help: 'every flag asked of every replica and of a single server of the same seed and site: the same status, Server-Timing and bytes' },
        { argument: 'shares URL', help: 'each replica\'s flag requests so far, from its /metrics' },
        { argument: 'traffic URL', help: 'a closed loop over every replica until SIGTERM or --duration: each request answered or an error with its reason, as JSON' }
      ]
    },
    {
      heading: 'Options (traffic)',
      rows: [
        { name: 'connections', type: 'string', metavar: 'N', help: 'connections in all, 1 to 1000', default: '30' },
        { name: 'duration', type: 'string', metavar: 'DURATION', help: 'stop after this long', default: '10m' },
        { name: 'latency', type: 'string', metavar: 'DURATION', help: 'asked of each request as x-flags-latency' },
        HELP_OPTION,
        VERSION_OPTION
      ]
    }
  ],
  closing: 'Exit: 0 when the check holds, 1 when it does not (the line says why), 2 for bad options.'
}

interface Options {
  help: boolean
  version: boolean
  command: Command
  url: URL
  connections: number
  durationMs: number
  latency: string | undefined
}

function parseOptions (argv: string[]): Options {
  const { positionals, text, on } = readCommandLine(REPLICA_CHECK_COMMAND, argv)
  const [help, version] = [on('help'), on('version')]
  if (help || version) return { help, version, command: 'shares', url: new URL('http://localhost'), connections: 0, durationMs: 0, latency: undefined }
  const [command, url, ...more] = positionals
  if (!COMMANDS.includes(command as Command)) throw invalidOption('command', command ?? '', COMMANDS.join(', '))
  if (url === undefined || more.length > 0) throw usageError(`${command}: one URL, a site's origin by the service's name (http://server:8002)`)
  let site: URL
  try {
    site = new URL(url)
  } catch {
    throw invalidOption('URL', url, "a site's origin, http://HOST:PORT")
  }
  const [connections, duration, latency] = [text('connections') ?? '30', text('duration') ?? '10m', text('latency')]
  const durationMs = parseDuration(duration)
  if (durationMs === undefined || durationMs <= 0) throw invalidOption('--duration', duration, DURATION_ACCEPTED)
  if (latency !== undefined && parseDuration(latency) === undefined) throw invalidOption('--latency', latency, DURATION_ACCEPTED)
  return { help, version, command: command as Command, url: site, connections: wholeNumber(connections, '--connections', 1, 1000), durationMs, latency }
}

function addressesOrExit (addresses: string[], url: URL): string[] {
  if (addresses.length === 0) exitWith(PROGRAM, `${url.hostname} resolves to no IPv4 address`, EXIT.failed)
  return addresses
}

/** Every flag GIF the replica at origin lists. */
async function flagPaths (origin: string): Promise<string[]> {
  const pool = new Pool(origin, { connections: 1 })
  try {
    const { codes } = JSON.parse((await fetchAnswer(pool, FLAGS_PATH)).body) as { codes: string[] }
    return codes.map(cc => flagUrl(FLAGS_PATH, cc.toLowerCase()))
  } finally {
    await pool.close()
  }
}

/** What a fate check compares: the bytes' length stands for them (a truncate fault cuts them). */
function fate (answer: Answer): string {
  return `${answer.status} ${answer.serverTiming} ${answer.body.length}`
}

async function askEvery (origin: string, paths: Array<{ path: string, salt: string | undefined }>): Promise<string[]> {
  const pool = new Pool(origin, { connections: FATE_CONNECTIONS })
  try {
    return await Promise.all(paths.map(async ({ path, salt }) => fate(await fetchAnswer(pool, path, salt === undefined ? {} : { [SALT_HEADER]: salt }))))
  } finally {
    await pool.close()
  }
}

async function fates (url: URL): Promise<void> {
  const addresses = addressesOrExit(await replicaAddresses(url.hostname), url)
  const origins = addresses.map(address => replicaOrigin(url, address))
  const health = await Promise.all(origins.map(async origin => {
    const pool = new Pool(origin, { connections: 1 })
    try {
      return JSON.parse((await fetchAnswer(pool, '/healthz')).body) as { site: string, seed: number }
    } finally {
      await pool.close()
    }
  }))
  const [first] = health
  const differing = health.findIndex(h => h.seed !== first?.seed || h.site !== first?.site)
  if (first === undefined || differing >= 0) {
    exitWith(PROGRAM, `replica ${addresses[differing] ?? '?'} serves ${health[differing]?.site ?? '?'} with seed ${health[differing]?.seed ?? '?'}, replica ${addresses[0] ?? '?'} ${first?.site ?? '?'} with seed ${first?.seed ?? '?'}`, EXIT.failed)
  }
  const site = bookSiteByLabel(first.site)
  if (site === undefined) exitWith(PROGRAM, `the replicas serve ${first.site}: a single server can be started alike only for a book site (LOCAL, DELAY, ERROR)`, EXIT.failed)

  const paths = (await flagPaths(origins[0] ?? '')).flatMap(path => FATE_SALTS.map(salt => ({ path, salt })))

  const single = await startEmbeddedServer(['--profile', site.name, '--seed', String(first.seed)])
  let answers: string[][]
  try {
    answers = await Promise.all([single.url, ...origins].map(async origin => await askEvery(origin, paths)))
  } finally {
    await single.stop()
  }
  const [expected = [], ...replicas] = answers
  const unlike = replicas.flatMap((got, r) => got.flatMap((answer, i) => answer === expected[i] ? [] : [`${addresses[r] ?? '?'} ${paths[i]?.path ?? '?'}: ${answer}, the single server: ${expected[i] ?? '?'}`]))
  const faults = expected.filter(answer => !/desc="none"/.test(answer)).length
  const summary = `${addresses.length} replicas (${addresses.join(', ')}), site ${site.label}, seed ${first.seed}: ${paths.length} requests of each`
  if (unlike.length > 0) exitWith(PROGRAM, `${summary}, ${unlike.length} fates unlike the single server's, first ${unlike[0] ?? ''}`, EXIT.failed)
  process.stdout.write(`${summary}: the same fates on every replica as on a single server with seed ${first.seed} (status, Server-Timing, length; ${faults} faulted)\n`)
}

async function shares (url: URL): Promise<void> {
  const addresses = addressesOrExit(await replicaAddresses(url.hostname), url)
  const served = await Promise.all(addresses.map(async address => await flagRequestsServed(replicaOrigin(url, address))))
  process.stdout.write(addresses.map((address, i) => `${address} ${served[i] ?? 0}\n`).join(''))
}

interface RequestError { address: string, reason: string, startedAt: number, endedAt: number }

interface Tally { sent: number, answered: number, errored: number }

/**
 * A closed loop of C connections, each to the next replica in turn (round robin over the
 * addresses the name resolves to, looked up again every 250 ms), each with one request at a time.
 * A request is counted once it is sent, and ends answered (its body read whole) or as an
 * error with its reason; a connection refused is not a request: it goes to the next address.
 * The loop is for replicas that answer every request (the LOCAL site, a latency): an error
 * leaves its address out for a moment (BROKEN_MS).
 */
async function traffic (options: Options): Promise<void> {
  const { url } = options
  let addresses = addressesOrExit(await replicaAddresses(url.hostname), url)
  const seen = new Set(addresses)
  const shunned = new Map<string, number>()
  let turn = 0
  const stopped = new AbortController()
  const stop = (): void => { stopped.abort() }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  const deadline = setTimeout(stop, options.durationMs)

  const resolver = (async () => {
    while (!stopped.signal.aborted) {
      await sleep(RESOLVE_EVERY_MS)
      // A failed lookup (no task at all for a moment) keeps the last list.
      const now = await replicaAddresses(url.hostname).catch(() => addresses)
      if (now.length > 0) addresses = now
      for (const address of addresses) seen.add(address)
    }
  })()
  const nextAddress = (): string | undefined => {
    const usable = addresses.filter(address => (shunned.get(address) ?? 0) <= Date.now())
    return usable.length === 0 ? undefined : usable[turn++ % usable.length]
  }

  const perAddress = new Map<string, Tally>()
  const tally = (address: string): Tally => perAddress.get(address) ?? perAddress.set(address, { sent: 0, answered: 0, errored: 0 }).get(address) as Tally
  const statuses = new Map<number, number>()
  const errors: RequestError[] = []
  const refused = new Map<string, number>()
  const headers: Record<string, string> = options.latency === undefined ? {} : { 'x-flags-latency': options.latency }
  const paths = await flagPaths(replicaOrigin(url, addresses[0] ?? ''))
  const started = Date.now()

  const connection = async (k: number): Promise<void> => {
    let request = 0
    while (!stopped.signal.aborted) {
      const address = nextAddress()
      if (address === undefined) { await sleep(100); continue }
      const client = new Client(replicaOrigin(url, address), { connectTimeout: 2_000, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS })
      try {
        while (!stopped.signal.aborted) {
          const path = paths[(k + request) % paths.length] ?? FLAGS_PATH
          const startedAt = Date.now()
          try {
            const { statusCode, body } = await client.request({ method: 'GET', path, headers: { ...headers, [SALT_HEADER]: `traffic.${k}.${request}` } })
            await body.arrayBuffer()
            tally(address).sent++
            tally(address).answered++
            statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1)
            request++
          } catch (error) {
            const code = (error as { code?: string }).code ?? (error as Error).message
            if (CONNECT_ERRORS.has(code)) {
              shunned.set(address, Date.now() + SHUNNED_MS)
              refused.set(code, (refused.get(code) ?? 0) + 1)
            } else {
              shunned.set(address, Date.now() + BROKEN_MS)
              tally(address).sent++
              tally(address).errored++
              errors.push({ address, reason: `${code}: ${(error as Error).message}`, startedAt, endedAt: Date.now() })
              request++
            }
            break
          }
        }
      } finally {
        await client.destroy()
      }
    }
  }
  await Promise.all(Array.from({ length: options.connections }, async (_, k) => await connection(k)))
  clearTimeout(deadline)
  await resolver

  const totals = [...perAddress.values()].reduce((sum, t) => ({ sent: sum.sent + t.sent, answered: sum.answered + t.answered, errored: sum.errored + t.errored }), { sent: 0, answered: 0, errored: 0 })
  process.stdout.write(JSON.stringify({
    connections: options.connections,
    latency: options.latency ?? null,
    elapsedMs: Date.now() - started,
    addressesSeen: [...seen].sort(),
    ...totals,
    statuses: Object.fromEntries(statuses),
    perAddress: Object.fromEntries(perAddress),
    refusedConnections: Object.fromEntries(refused),
    errors
  }, null, 2) + '\n')
}

async function main (): Promise<void> {
  const options = parsedOrExit(PROGRAM, () => parseOptions(process.argv.slice(2)))
  if (answeredHelpOrVersion(REPLICA_CHECK_COMMAND, options)) return
  if (options.command === 'fates') await fates(options.url)
  else if (options.command === 'shares') await shares(options.url)
  else await traffic(options)
}

main().catch((error: Error) => exitWith(PROGRAM, error.message, EXIT.failed))
