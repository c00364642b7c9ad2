// Debian's wrk as drive()'s load generator: a C program on one thread (-t1) and epoll, which
// outruns autocannon by about three times on this machine, so the server, not the generator,
// is what a bench measures. It runs in its own process; its CPU time comes from bash's `times`
// after it exits (the only way to read a child's CPU once it is gone), and its figures from a
// Lua `done` hook that prints them as one JSON line.
//
// wrk opens its connections anew each run: the warm-up is a run of its own, then the measured
// window is another (its first moments pay for the connections, alike for every server).

import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { GeneratorFigures, LoadGenerator, LoadWindow } from './generator.js'
import { onCore } from './placement.js'

/** A request that long is a timeout: far above any latency a bench injects. */
const TIMEOUT_S = 10

/** The wrk program on PATH, or null when there is none. */
export function wrkPath (): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, 'wrk')
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return null
}

/** Round-robin over the paths; `stopAfter` responses end the run early (a warm-up counted in requests). */
function script (paths: readonly string[], stopAfter: number | null): string {
  return `local paths = { ${paths.map(path => JSON.stringify(path)).join(', ')} }
local i = 0
local seen = 0
request = function ()
  i = i % #paths + 1
  return wrk.format('GET', paths[i])
end
${stopAfter === null
    ? ''
    : `response = function ()
  seen = seen + 1
  if seen >= ${stopAfter} then wrk.thread:stop() end
end`}
done = function (summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
`
}

interface WrkSummary { requests: number, durationUs: number, connect: number, read: number, write: number, status: number, timeout: number, p50Us: number, p99Us: number }

/** One wrk run; resolves with its summary and the CPU seconds it used. */
async function runWrk (wrk: string, core: number | null, window: LoadWindow, seconds: number, luaFile: string, signal: AbortSignal): Promise<{ summary: WrkSummary, cpuS: number }> {
  const args = ['-t1', `-c${window.connections}`, `-d${Math.max(1, Math.ceil(seconds))}s`, '--timeout', `${TIMEOUT_S}s`, '-s', luaFile, window.url]
  const [command, commandArgs] = onCore(core, wrk, args)
  // `times` prints this shell's CPU, then its children's: wrk's (and taskset's), user and system, to the ms.
  // wrk is not ours to change and never hears of its parent: the shell reads its stdin, a pipe
  // from this process, and stops wrk with SIGINT (wrk then prints what it measured) when the pipe
  // ends: when this process ends it, to stop early, or when this process dies, however it dies.
  // A background job's stdin is /dev/null unless redirected, hence fd 3; the watcher is killed
  // once wrk is done, and writes nowhere, so that it holds none of our pipes open.
  const watch = 'exec 3<&0; "$0" "$@" & w=$!; { read -r -u 3 _; kill -INT $w; } >/dev/null 2>&1 & r=$!; wait $w; code=$?; kill $r 2>/dev/null; times; exit $code'
  const child = spawn('bash', ['-c', watch, command, ...commandArgs], { stdio: ['pipe', 'pipe', 'pipe'] })
  const stop = (): void => { child.stdin.end() }
  signal.addEventListener('abort', stop, { once: true })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  signal.removeEventListener('abort', stop)
  const line = /^WRK (\{.*\})$/m.exec(out)?.[1]
  const times = [...out.matchAll(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g)].at(-1)
  if (line === undefined || times === undefined) throw new Error(`wrk ${args.join(' ')} failed (exit ${code ?? 'signal'}): ${(err || out).trim().split('\n').slice(-2).join(' | ')}`)
  const cpuS = Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])
  return { summary: JSON.parse(line) as WrkSummary, cpuS }
}

export function wrkGenerator (wrk: string, core: number | null): LoadGenerator {
  return {
    name: 'wrk',
    run: async (window, cut, signal): Promise<GeneratorFigures> => {
      if (window.ratePerS !== undefined) throw new Error('wrk cannot hold a request rate (that is wrk2\'s -R): use autocannon')
      const dir = mkdtempSync(join(tmpdir(), 'flag-wrk-'))
      try {
        const warmupFile = join(dir, 'warmup.lua')
        const windowFile = join(dir, 'window.lua')
        writeFileSync(warmupFile, script(window.paths, 'requests' in window.warmup ? window.warmup.requests : null))
        writeFileSync(windowFile, script(window.paths, null))
        const warmupS = 'seconds' in window.warmup ? window.warmup.seconds : 600
        const warm = warmupS > 0 && !signal.aborted ? await runWrk(wrk, core, window, warmupS, warmupFile, signal) : null
        cut()
        const { summary, cpuS } = await runWrk(wrk, core, window, window.durationS, windowFile, signal)
        const windowS = summary.durationUs / 1e6
        return {
          rps: windowS > 0 ? summary.requests / windowS : null,
          answered: summary.requests - summary.status,
          p50Ms: summary.p50Us / 1000,
          p99Ms: summary.p99Us / 1000,
          errorKinds: Object.fromEntries((['connect', 'read', 'write', 'timeout'] as const).filter(kind => summary[kind] > 0).map(kind => [kind, summary[kind]])),
          warmupErrors: warm === null ? 0 : warm.summary.connect + warm.summary.read + warm.summary.write + warm.summary.timeout,
          non2xx: summary.status,
          cpuS
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
