// The harness service's entry point (docker-compose.yml): the harness's own command line, aimed
// at the site the server container actually serves. Compose cannot derive a port from PROFILE or
// LATENCY, and a one-site server listens on its profile's port (PROFILE=error: 8002, LATENCY
// alone: 8000), so a fixed -s http://server:8001 met ECONNREFUSED there. This asks instead: the
// first of HARNESS_SITES whose /healthz answers, DELAY first (the three sites' default).
// An -s or --server of the user's, or HARNESS_SERVER, wins without asking.
// The harness runs in this process (imported, not spawned), so SIGINT reaches it alone.

import { EXIT } from '../server/command-line/exit.js'

/** The three sites' URLs in the compose network, DELAY first. */
const COMPOSE_SITES = ['http://server:8001/flags', 'http://server:8000/flags', 'http://server:8002/flags']

/** Whether the arguments already name a server (the harness's -s, --server, --server=URL, -sURL) or only ask for help. */
function namesServer (argv: string[]): boolean {
  return argv.some(arg => /^(-s|--server(=|$)|-h$|--help$)/.test(arg))
}

/** The first site whose /healthz answers 200 within 2 s, or undefined. */
async function firstAnswering (sites: string[]): Promise<string | undefined> {
  for (const site of sites) {
    try {
      // /healthz sits beside /flags; the server never delays or faults it.
      const response = await fetch(new URL('/healthz', site), { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.ok) return site
    } catch {
      // Refused or timed out: this port has no site; try the next.
    }
  }
  return undefined
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  if (!namesServer(argv)) {
    const given = process.env.HARNESS_SERVER ?? ''
    const sites = (process.env.HARNESS_SITES ?? '').split(/\s+/).filter(site => site !== '')
    const candidates = sites.length > 0 ? sites : COMPOSE_SITES
    const server = given !== '' ? given : await firstAnswering(candidates)
    if (server === undefined) {
      process.stderr.write(`flag-harness: no flag server answers /healthz at ${candidates.join(', ')}; is the server service up and healthy?\n`)
      process.exit(EXIT.failed)
    }
    // Before the user's arguments, so that a later -s of theirs would still win.
    process.argv.splice(2, 0, '-s', server)
  }
  await import('../harness/cli/main.js')
}

await main()
