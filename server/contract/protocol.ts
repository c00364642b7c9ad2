// The names a client and the server agree on, and the one header in which the server says what
// it injected (written by the server, read by every client, here both ways). Kept apart from
// the server so that a client can import them without loading Fastify.

/** Where the flags are served: GET /flags lists the codes, /flags/br/br.gif is a flag. */
export const FLAGS_PATH = '/flags'

/** The client's salt: the same path with another salt draws another fate. */
export const SALT_HEADER = 'x-flags-salt'

/** x-flags-latency: 200ms and the like override the site's injection for one request. */
export const OVERRIDE_HEADER_PREFIX = 'x-flags-'

/** br → "br/br.gif": a flag's file under the flags base, lower case as the book's clients ask. */
export function flagFile (cc: string): string {
  const lower = cc.toLowerCase()
  return `${lower}/${lower}.gif`
}

/** The URL (or path) of a flag under a base such as http://127.0.0.1:8000/flags or /flags. */
export function flagUrl (base: string, cc: string): string {
  return `${base}/${flagFile(cc)}`
}

/** Injection options as text (formatInjection's output) → the x-flags-* headers that ask for them. */
export function overrideHeaders (options: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([name, value]) => [`${OVERRIDE_HEADER_PREFIX}${name}`, value]))
}

/**
 * What the server says it did to a request: the delay it injected, the fault's name (none,
 * http-418, slow...) and, for a slow body, how long it takes to send the body after the delay.
 */
export interface InjectedTiming {
  delayMs: number
  fault: string
  bodyMs?: number
}

const ms = (value: number): number => Number(value.toFixed(3))

/** `delay;dur=812.5, fault;desc="slow", body;dur=2000`: the Server-Timing value a client reads the fate back from. */
export function formatServerTiming ({ delayMs, fault, bodyMs }: InjectedTiming): string {
  return `delay;dur=${ms(delayMs)}, fault;desc="${fault}"${bodyMs === undefined ? '' : `, body;dur=${ms(bodyMs)}`}`
}

const SERVER_TIMING = /delay;dur=([\d.]+)(?:.*?fault;desc="([^"]*)")?(?:.*?body;dur=([\d.]+))?/

/** The other way: null for what the header does not say (a server of another kind, or no header). */
export function parseServerTiming (header: string | string[] | undefined): { delayMs: number | null, fault: string | null, bodyMs: number | null } {
  const match = SERVER_TIMING.exec(Array.isArray(header) ? header.join(', ') : header ?? '')
  return { delayMs: match?.[1] === undefined ? null : Number(match[1]), fault: match?.[2] ?? null, bodyMs: match?.[3] === undefined ? null : Number(match[3]) }
}
