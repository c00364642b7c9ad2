// The flag set, read from flags/ once at start-up: every request is then a Map lookup, which
// also means no request path ever reaches the file system.

import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FlagsError } from './contract/errors.js'
import { flagFile } from './contract/protocol.js'
import type { Answer } from './inject.js'

/** Folders read at once: 32 files open, far under any file-descriptor limit a server can run with. */
const LOAD_AT_ONCE = 16

export interface FlagFile {
  body: Buffer
  contentType: string
  etag: string
  /** The 200's headers, built once: copying them per request costs about 5% of the throughput. */
  headers: Readonly<Record<string, string | number>>
  /** The 200 itself, built once too: the route's per-request object is the delivery that carries it. */
  ok: Answer
}

export interface FlagSet {
  /** Upper-case country codes, sorted. */
  codes: readonly string[]
  /** Keyed by the path under /flags/: "br/br.gif", "br/metadata.json". */
  files: ReadonlyMap<string, FlagFile>
}

function servedFile (body: Buffer, contentType: string): FlagFile {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  const headers = Object.freeze({ 'content-type': contentType, etag, 'cache-control': 'no-cache', 'content-length': body.length })
  return { body, contentType, etag, headers, ok: Object.freeze({ status: 200, headers, body }) }
}

export async function loadFlags (dir: string): Promise<FlagSet> {
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch {
    throw new FlagsError('FLAGS_ERR_FLAGS_DIR', `--flags-dir ${dir}: cannot be read; expected folders like ${join(dir, 'br')} holding br.gif and metadata.json`)
  }
  const codes = entries.filter(name => /^[a-z]{2}$/.test(name)).sort()
  if (codes.length === 0) {
    throw new FlagsError('FLAGS_ERR_FLAGS_DIR', `--flags-dir ${dir}: no country folders; expected folders like ${join(dir, 'br')} holding br.gif and metadata.json`)
  }
  const files = new Map<string, FlagFile>()
  const load = async (cc: string): Promise<void> => {
    const [gif, metadata] = await Promise.all([
      readFile(join(dir, cc, `${cc}.gif`)),
      readFile(join(dir, cc, 'metadata.json'))
    ]).catch((error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `should hold ${cc}.gif and metadata.json` : `cannot be read (${error.code ?? error.message})`
      throw new FlagsError('FLAGS_ERR_FLAGS_DIR', `--flags-dir ${dir}: ${join(dir, cc)} ${why}`)
    })
    files.set(flagFile(cc), servedFile(gif, 'image/gif'))
    files.set(`${cc}/metadata.json`, servedFile(metadata, 'application/json; charset=utf-8'))
  }
  // A few folders at a time: all 388 files at once failed under `ulimit -n 256` (EMFILE).
  for (let i = 0; i < codes.length; i += LOAD_AT_ONCE) await Promise.all(codes.slice(i, i + LOAD_AT_ONCE).map(load))
  return { codes: codes.map(cc => cc.toUpperCase()), files }
}
