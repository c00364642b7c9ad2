// What the class programs share, as the book's flags2_common.py: the site they download from
// (the first argument, else $BASE_URL, else the book's DELAY site), what a failure says, and the
// pool's start-up printed apart. The DELAY site because the book's programs default to a remote
// site with real latency: without one, threads, processes and the event loop all finish at once
// and the lesson has nothing to show.

import { request } from 'undici'
import { EXIT, exitWith } from '../server/command-line/exit.js'
import { BOOK_SITES } from '../server/contract/sites.js'
import { TEXT_WIDTH, wrap } from '../server/contract/text.js'

/** The program's name, as its npm script says it: flags-pool is npm run flags:pool. */
export const PROGRAM = (process.argv[1] ?? '').replace(/^.*[\\/]/, '').replace(/\.js$/, '')

/**
 * The pool's size when $MAX_WORKERS names one, else undefined: the executor's default, as the
 * book's ThreadPoolExecutor() and ProcessPoolExecutor() (min(32, cpus + 4) threads, cpus processes).
 */
export function maxWorkers (): number | undefined {
  const text = process.env.MAX_WORKERS
  if (text === undefined || text === '') return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 256) exitWith(PROGRAM, `MAX_WORKERS ${JSON.stringify(text)}: a whole number of workers from 1 to 256, or unset for the book's default`, EXIT.usage)
  return n
}

/** The site every download goes to, in every thread: the pools' workers inherit the environment, not the arguments. */
export function siteUrl (): string {
  return process.env.BASE_URL ?? BOOK_SITES.delay.url
}

function notAnswering (url: string, reason: string): string {
  const book = Object.values(BOOK_SITES).find(site => site.url === url)
  const which = book === undefined ? '' : `, the ${book.label} site (${book.summary})`
  const start = book === undefined ? 'start a flag server there' : `start it with npm run server (it serves ${Object.values(BOOK_SITES).map(site => site.label).join(', ')} on ports ${BOOK_SITES.local.port}-${BOOK_SITES.error.port})`
  return `nothing answers at ${url}${which} (${reason}): ${start}, or name another site: npm run ${PROGRAM.replace('-', ':')} -- ${BOOK_SITES.local.url}`
}

/** --help: what every class program takes, wrapped to 80 columns. */
function help (): string {
  const about = `Downloads 20 flags as the book's program does, printing each code as it lands, then the time it took (a pool's start-up apart). BASE_URL: the argument, else $BASE_URL, else the book's DELAY site, ${BOOK_SITES.delay.url}; npm run server starts the sites. A pool's size: MAX_WORKERS=N, else the book's default.`
  return [`Usage: npm run ${PROGRAM.replace('-', ':')} [-- BASE_URL]`, '', ...wrap(about, TEXT_WIDTH)].join('\n')
}

/**
 * Puts the site named on the command line in the environment, before any pool starts, then
 * checks that a server answers there (GET /healthz: any status will do, ours answers without a
 * delay): if not, one line saying which site and how to start it, and an exit.
 */
async function chooseSite (argv: readonly string[]): Promise<void> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${help()}\n`)
    process.exit(EXIT.ok)
  }
  const example = `e.g. ${BOOK_SITES.delay.url}`
  if (argv.length > 1) exitWith(PROGRAM, `one argument at most: BASE_URL, ${example}`, EXIT.usage)
  const url = (argv[0] ?? siteUrl()).replace(/\/+$/, '')
  if (!/^https?:$/.test(URL.canParse(url) ? new URL(url).protocol : '')) {
    exitWith(PROGRAM, `BASE_URL ${JSON.stringify(url)}: not an http:// URL, ${example}`, EXIT.usage)
  }
  process.env.BASE_URL = url
  await openConnection().catch((error: { code?: unknown, message: string }) =>
    exitWith(PROGRAM, notAnswering(url, typeof error.code === 'string' ? error.code : error.message), EXIT.failed))
}

/** GET /healthz: a request that opens a connection to the site and readies the code that sends one (ours answers it at once). */
export async function openConnection (): Promise<void> {
  await (await request(new URL('/healthz', siteUrl()), { signal: AbortSignal.timeout(3000) })).body.dump()
}

/** A download, or the pool, failed: the line of codes ended, then one line saying why. */
export function failed (error: Error): never {
  process.stdout.write('\n')
  return exitWith(PROGRAM, error.message.split('\n', 1)[0] ?? 'a download failed', EXIT.failed)
}

/** A pool as the programs start it: W workers, each able to run openConnection. */
export interface Pool extends AsyncDisposable {
  readonly workers: number
  submit: (fn: 'openConnection') => { result: () => Promise<void> }
}

export interface Started<P extends Pool> extends AsyncDisposable { pool: P, startupMs: number }

/**
 * The site from the command line, checked; then the pool, if any, started and every worker's
 * connection to the site opened, as npm run harness warms its lanes: the pool's own cost, timed
 * apart from the downloads. Submitted all at once, the W warm-ups go one to each idle worker.
 * Leaving the `await using` block shuts the pool down.
 */
export async function siteAndPool<P extends Pool> (startPool: (() => Promise<P>) | undefined): Promise<Started<P> | undefined> {
  await chooseSite(process.argv.slice(2))
  if (startPool === undefined) return undefined
  const began = performance.now()
  const pool = await startPool().catch(failed)
  await Promise.all(Array.from({ length: pool.workers }, async () => await pool.submit('openConnection').result())).catch(failed)
  return { pool, startupMs: performance.now() - began, [Symbol.asyncDispose]: async () => await pool[Symbol.asyncDispose]() }
}

/** What the closing line adds for a pool: its start-up, apart. */
export function startupApart (started: Started<Pool> | undefined): string {
  return started === undefined ? '' : ` (start-up of ${started.pool.workers} workers ${(started.startupMs / 1000).toFixed(2)}s, apart)`
}
