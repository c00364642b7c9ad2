// The conventions every command keeps (issue 13): --version prints one line and exits 0; SIGTERM
// ends a run as Ctrl-C does, with the partial report, but exit 143; npm start is the server.

import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import type { LoadReport } from '../../harness/reports/load.js'
import { projectRoot } from '../../server/contract/project.js'
import { parseReport } from '../fixtures/report.js'
import { runCompiled, spawnCompiled } from '../fixtures/run.js'

/** Resolves true when nothing listens on the port any more. */
async function refused (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise(resolve => {
    const socket = createConnection({ host: hostname, port: Number(port) })
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(true))
  })
}

t.test('--version: the program, the project\'s version and Node\'s, exit 0', async t => {
  const { version } = JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
  const commands: Array<[string, string]> = [
    ['harness/cli/main.js', 'flag-harness'],
    ['harness/load/main.js', 'flag-load'],
    ['harness/primes/main.js', 'flag-primes'],
    ['harness/race/main.js', 'flag-race'],
    ['bench/pool-vs-workers.js', 'bench:pool']
  ]
  for (const [script, program] of commands) {
    const run = await runCompiled(script, ['--version'])
    t.equal(run.code, 0, `${script}: exit 0`)
    t.equal(run.stdout, `${program} ${version} (flag-lab, Node ${process.version})\n`, `${script}: one line`)
    t.equal(run.stderr, '')
  }
})

t.test('npm start is npm run start:server', async t => {
  const { scripts } = JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.equal(scripts.start, scripts['start:server'])
  t.match(scripts.start, /dist\/server\/main\.js$/)
})

t.test('SIGTERM: the partial report, marked incomplete, exit 143, no server left', async t => {
  const running = spawnCompiled('harness/cli/main.js', ['--json', '-v', '--cold', '--latency', '300ms', '--mode', 'sequential', '-a', '--expect', 'errors==0'])
  await running.printed('stderr', /^\w\w OK\n\w\w OK\n/)
  running.child.kill('SIGTERM')
  const run = await running.finished
  t.equal(run.code, 143, 'exit 143, not 3: the run was cut, not judged')
  const report = parseReport(t, run.stdout)
  t.equal(report.incomplete, true, 'marked incomplete')
  const [sequential] = report.modes
  t.ok(sequential !== undefined && sequential.ok >= 2 && sequential.ok < 194, `kept what it measured (${sequential?.ok} ok)`)
  t.ok(await refused(report.server.url), 'the embedded server is stopped')
})

t.test('SIGTERM in the load mode: what was measured, marked incomplete, exit 143', async t => {
  // A server that answers after 10 ms and tells the test when the load has started.
  let firstFlag: () => void = () => {}
  const loadStarted = new Promise<void>(resolve => { firstFlag = resolve })
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return res.end('{"status":"ok"}')
    if (req.url === '/flags') return res.end('{"codes":["BR","CN"]}')
    if (req.url?.endsWith('.gif') !== true) return res.writeHead(404).end()
    firstFlag()
    setTimeout(() => res.end('GIF89a'), 10)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flags`
  const running = spawnCompiled('harness/load/main.js', ['-s', url, '-c', '4', '-d', '5m', '--json'])
  await loadStarted
  running.child.kill('SIGTERM')
  const run = await running.finished
  t.equal(run.code, 143, 'exit 143')
  const report = JSON.parse(run.stdout) as LoadReport
  t.match(report, { incomplete: true, connections: 4, flags: 2 })
  t.ok(report.requests > 0, `what was measured: ${report.requests} requests`)
})
