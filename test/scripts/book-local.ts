// scripts/book-local.py runs the book's hard-wired flag programs unchanged against the lab. The
// book's own programs need httpx; these stand-ins keep the book's shape (flags.py holds BASE_URL,
// hard-wired to the book's site, and main(downloader); flags_threadpool.py takes get_flag from
// it; flags_asyncio.py takes BASE_URL by name) with urllib, so the helper is tested for real
// wherever python3 is.

import { execFileSync, spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { projectRoot } from '../../server/contract/project.js'
import { startSite } from '../fixtures/site.js'

const python = ((): string | null => {
  try {
    execFileSync('python3', ['--version'])
    return 'python3'
  } catch {
    return null
  }
})()

const FLAGS_PY = `import time, urllib.request
from pathlib import Path
POP20_CC = ('CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR').split()
BASE_URL = 'https://www.fluentpython.com/data/flags'
DEST_DIR = Path('downloaded')

def save_flag(img, filename):
    (DEST_DIR / filename).write_bytes(img)

def get_flag(cc):
    with urllib.request.urlopen(f'{BASE_URL}/{cc}/{cc}.gif'.lower(), timeout=6.1) as resp:
        return resp.read()

def download_many(cc_list):
    for cc in sorted(cc_list):
        save_flag(get_flag(cc), f'{cc}.gif')
        print(cc, end=' ', flush=True)
    return len(cc_list)

def main(downloader):
    DEST_DIR.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    count = downloader(POP20_CC)
    print(f'\\n{count} downloads in {time.perf_counter() - t0:.2f}s')

if __name__ == '__main__':
    main(download_many)
`

const THREADPOOL_PY = `from concurrent import futures
from flags import save_flag, get_flag, main

def download_one(cc):
    save_flag(get_flag(cc), f'{cc}.gif')
    print(cc, end=' ', flush=True)
    return cc

def download_many(cc_list):
    with futures.ThreadPoolExecutor() as executor:
        return len(list(executor.map(download_one, sorted(cc_list))))

if __name__ == '__main__':
    main(download_many)
`

// Only what matters here: BASE_URL taken by name when the module loads.
const ASYNCIO_PY = `import urllib.request
from flags import BASE_URL, save_flag, main

def download_many(cc_list):
    for cc in sorted(cc_list):
        with urllib.request.urlopen(f'{BASE_URL}/{cc}/{cc}.gif'.lower()) as resp:
            save_flag(resp.read(), f'{cc}.gif')
    return len(cc_list)

if __name__ == '__main__':
    main(download_many)
`

async function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(python ?? 'python3', [join(projectRoot(), 'scripts', 'book-local.py'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk: Buffer) => { out.stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { out.stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, ...out }
}

t.test('the book\'s three hard-wired programs, unchanged, against a local site', { skip: python === null ? 'python3 is not installed' : false }, async t => {
  const url = `${await startSite(t)}/flags`
  for (const [program, text] of [['flags.py', FLAGS_PY], ['flags_threadpool.py', THREADPOOL_PY], ['flags_asyncio.py', ASYNCIO_PY]] as const) {
    const folder = t.testdir({ 'flags.py': FLAGS_PY, [program]: text })
    const ran = await run([join(folder, program), url])
    t.equal(ran.code, 0, `${program}: ${ran.stderr}`)
    t.match(ran.stdout, /^20 downloads in \d+\.\d\ds$/m, `${program}: the book's last line`)
    // The book's site is not reachable from here: 20 flags saved means they came from the lab.
    t.equal((await readdir(join(folder, 'downloaded'))).length, 20, `${program}: the 20 flags, from ${url}`)
  }
})

t.test('a wrong program or folder: one line, exit 1', { skip: python === null ? 'python3 is not installed' : false }, async t => {
  const missing = await run(['/nonexistent/flags_threadpool.py'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /^book-local: \/nonexistent\/flags_threadpool\.py: no such file; accepted: a book program/)
  const folder = t.testdir({ 'other.py': 'print(1)\n' })
  const alone = await run([join(folder, 'other.py')])
  t.match(alone.stderr, /no flags\.py beside the program/)
})
