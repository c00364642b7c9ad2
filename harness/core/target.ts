// Which server the harness measures: its own (a child process, never on the harness's event
// loop) or one given by label or URL, with the injection flags sent as per-request headers.

import { randomInt } from 'node:crypto'
import { request } from 'undici'
import { formatInjection, NO_INJECTION, parseInjection, type Injection } from '../../server/contract/injection.js'
import { FLAGS_PATH, overrideHeaders } from '../../server/contract/protocol.js'
import { startEmbeddedServer } from './embedded.js'
import { DEFAULT_INJECTION, type TargetOptions } from './options.js'
import { replicaAddresses } from './replicas.js'

export interface Target {
  baseUrl: string
  /** Every address the server's host name resolves to: more than one, and connections spread over them (replicas.ts). */
  addresses: readonly string[]
  embedded: boolean
  /** The embedded server's process id (for its CPU time); null for another server. */
  pid: number | null
  seed: number | null
  /** The injection in force as the server shows it (GET /admin/config), as it said it; null if it does not. */
  config: Record<string, string> | null
  /** The same, read by our rules; null if the server does not show it or speaks another version. */
  injection: Injection | null
  note: string | null
  /** Sent with every download: the injection flags, for a server the harness did not start. */
  headers: Record<string, string>
  /** The flag codes the server lists (GET /flags), for --all. */
  listCodes: () => Promise<string[]>
  /** After a run: null if the server is still there, else what became of it. */
  lost: () => Promise<string | null>
  stop: () => Promise<void>
}

/** The server cannot be used: exit 1 with this one line. */
export class TargetError extends Error {}

const PROBE_TIMEOUT_MS = 3000

async function getJson (url: string): Promise<{ status: number, body: unknown }> {
  const res = await request(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
  const text = await res.body.text()
  try {
    return { status: res.statusCode, body: JSON.parse(text) }
  } catch {
    return { status: res.statusCode, body: null }
  }
}

function describeFailure (error: unknown): string {
  const { code, name, message } = error as { code?: string, name?: string, message?: string }
  return code ?? (name === 'TimeoutError' ? `no answer in ${PROBE_TIMEOUT_MS / 1000}s` : message ?? String(error))
}

function siteOrigin (baseUrl: string): string {
  return new URL(baseUrl).origin
}

/** GET /healthz, /admin/config: what the server says of itself. A server that is not ours may have neither. */
async function inspect (baseUrl: string): Promise<Pick<Target, 'seed' | 'config' | 'injection'>> {
  const origin = siteOrigin(baseUrl)
  let health: { status: number, body: unknown }
  try {
    health = await getJson(`${origin}/healthz`)
  } catch (error) {
    throw new TargetError(`server ${baseUrl}: unreachable (${describeFailure(error)}); start it with npm run server, or leave out --server to let the harness start its own`)
  }
  if (health.status >= 500) throw new TargetError(`server ${baseUrl}: unhealthy (GET /healthz answered ${health.status})`)
  const seed = (health.body as { seed?: unknown } | null)?.seed
  const answer = await getJson(`${origin}/admin/config`).catch(() => ({ status: 0, body: null }))
  const config = answer.status === 200 && answer.body !== null && typeof answer.body === 'object' ? answer.body as Record<string, string> : null
  return { seed: typeof seed === 'number' ? seed : null, config, injection: config === null ? null : readInjection(config) }
}

function readInjection (config: Record<string, string>): Injection | null {
  try {
    return parseInjection(config, NO_INJECTION, name => name)
  } catch {
    return null
  }
}

async function listCodes (baseUrl: string): Promise<string[]> {
  const list = await getJson(baseUrl).catch(error => { throw new TargetError(`--all: GET ${baseUrl} failed (${describeFailure(error)})`) })
  const codes = (list.body as { codes?: unknown } | null)?.codes
  if (list.status !== 200 || !Array.isArray(codes) || !codes.every(c => typeof c === 'string')) {
    throw new TargetError(`--all: the server at ${baseUrl} does not list its flags (GET answered ${list.status})`)
  }
  return codes as string[]
}

/** Injection options as text → command-line arguments: --latency 200ms ... */
function optionArgs (text: Readonly<Record<string, string>>): string[] {
  return Object.entries(text).flatMap(([name, value]) => [`--${name}`, value])
}

export async function openTarget (options: TargetOptions): Promise<Target> {
  const given = formatInjection(options.injection)
  const injectionArgs = optionArgs(given)
  if (options.server.kind === 'url') {
    const { baseUrl } = options.server
    const { seed, config, injection } = await inspect(baseUrl)
    // It answered /healthz by this name just now; should the lookup fail now, the name is left
    // to each connection, as with one address.
    const { hostname } = new URL(baseUrl)
    const addresses = await replicaAddresses(hostname).catch(() => [hostname])
    const headers = overrideHeaders(given)
    const note = injectionArgs.length > 0 ? `per-request overrides sent: ${injectionArgs.join(' ')}` : null
    const lost = async (): Promise<string | null> => await getJson(`${siteOrigin(baseUrl)}/healthz`).then(
      ({ status }) => status === 200 ? null : `the server answers /healthz with ${status}`,
      error => `the server stopped answering (${describeFailure(error)})`)
    return { baseUrl, addresses, embedded: false, pid: null, seed, config, injection, note, headers, listCodes: async () => await listCodes(baseUrl), lost, stop: async () => {} }
  }

  const seed = options.seed ?? randomInt(1, 1_000_000)
  const defaulted = injectionArgs.length === 0
  const args = ['--seed', String(seed), ...(defaulted ? optionArgs(formatInjection(DEFAULT_INJECTION)) : injectionArgs)]
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>
  try {
    server = await startEmbeddedServer(args)
  } catch (error) {
    throw new TargetError(`the harness's own server did not start: ${(error as Error).message}`)
  }
  const baseUrl = `${server.url}${FLAGS_PATH}`
  const { config, injection } = await inspect(baseUrl).catch(async error => { await server.stop(); throw error })
  return {
    baseUrl,
    addresses: [new URL(baseUrl).hostname],
    embedded: true,
    pid: server.pid,
    seed,
    config,
    injection,
    note: defaulted ? 'the harness\'s default latency, as no injection option was given (--latency 0ms for none)' : null,
    headers: {},
    listCodes: async () => await listCodes(baseUrl),
    lost: async () => server.diedEarly(),
    stop: server.stop
  }
}

/** The command that gives the same run again: the seed is added when the tool drew it for its own server. */
export function reproduceCommand (script: string, argv: readonly string[], seedGiven: boolean, target: Target): string {
  const seed = target.embedded && !seedGiven ? ['--seed', String(target.seed)] : []
  return [`npm run ${script} --`, ...argv, ...seed].join(' ')
}
