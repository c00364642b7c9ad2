// Dockerfile and docker-compose.yml, checked without a Docker engine: the compose file against
// the Compose Specification's schema (what Compose v2 reads) and as Debian's docker-compose v1
// reads it, and the commands the containers run, run natively.
// scripts/docker-check.sh runs the same against a real engine.

import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { parse } from 'yaml'
import { startEmbeddedServer } from '../../harness/core/embedded.js'
import type { HarnessReport } from '../../harness/core/result.js'
import { projectRoot } from '../../server/contract/project.js'
import { composeSpecErrors, interpolated } from '../fixtures/compose-spec.js'
import { spawnCompiled } from '../fixtures/run.js'
import { onPath, skipUnless } from '../fixtures/tools.js'

const root = projectRoot()
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8')
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
const run = promisify(execFile)

interface Service {
  entrypoint?: string[]
  command?: string[]
  profiles?: string[]
  ports?: string[]
  volumes?: string[]
  network_mode?: string
  stop_grace_period?: string
  environment?: Record<string, string>
}

const compose = parse(interpolated(composeText)) as { services: Record<string, Service> }
const services = compose.services

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions (name: string): string[] {
  const joined = dockerfile.split('\n').filter(line => !line.trimStart().startsWith('#')).join('\n').replace(/\\\n/g, ' ')
  return joined.split('\n').filter(line => line.startsWith(`${name} `)).map(line => line.slice(name.length + 1).trim())
}

/** An exec-form instruction's argv (shell form would put sh between the signal and node). */
function execForm (text: string): string[] {
  const argv: unknown = JSON.parse(text)
  if (!Array.isArray(argv) || !argv.every(arg => typeof arg === 'string')) throw new Error(`not an exec form: ${text}`)
  return argv
}

async function healthz (url: string): Promise<number> {
  const response = await fetch(`${url}/healthz`)
  await response.arrayBuffer()
  return response.status
}

/** Flag requests the server has answered so far, from its /metrics. */
async function flagRequests (url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return [...text.matchAll(/^flags_requests_total\{route="\/flags\/:cc\/:file"[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0)
}

t.test('the compose file follows the Compose Specification (what Compose v2 reads)', async t => {
  const errors = composeSpecErrors(compose)
  t.ok(errors === null, `valid${errors === null ? '' : `: ${errors}`}`)
  t.same(Object.keys(services).sort(), ['harness', 'race', 'server'], 'three services: server, harness, race')
  t.same(services.harness?.profiles, ['harness'], 'the harness under its own profile')
  t.same(services.race?.profiles, ['race'], 'the race under its own profile')
  t.equal(services.server?.profiles, undefined, 'the server in every profile')
  t.match(composeText, /^\s+stop_grace_period: \$\{GRACE_STOP:-\d+m\}$/m, 'stop_grace_period from GRACE_STOP, a minute by default: well above the default 5 s GRACE')
  t.same(services.server?.ports, ['127.0.0.1:8000:8000', '127.0.0.1:8001:8001', '127.0.0.1:8002:8002', '127.0.0.1:8080:8080'],
    "the three sites and the race page, on the host's loopback by default")
  t.equal(services.race?.network_mode, 'service:server', "the race shares the server's network: LOCAL, DELAY and ERROR are its localhost")
  t.same(services.harness?.volumes, ['./out:/app/out'], "the host's ./out is where --report out/... lands")
})

t.test('docker-compose (v1) config accepts the file: the ports, the healthcheck, the profiles, the settings', { skip: skipUnless(onPath('docker-compose') !== null, 'docker-compose') }, async t => {
  const env = { PATH: process.env.PATH, SEED: '42', GRACE: '15s', GRACE_STOP: '20s' }
  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', '--profile', 'harness', '--profile', 'race', 'config'], { cwd: root, env })
  for (const port of [8000, 8001, 8002, 8080]) t.match(stdout, new RegExp(`^\\s+- (\\S+:)?${port}:${port}(/tcp)?$`, 'm'), `port ${port} published`)
  t.match(stdout, /^\s+healthcheck:$/m, 'the server has a healthcheck')
  t.match(stdout, /^\s+profiles:\n\s+- harness$/m, 'the harness is under a profile')
  t.match(stdout, /^\s+profiles:\n\s+- race$/m, 'the race is under a profile')
  t.match(stdout, /^\s+condition: service_healthy$/m, 'the harness and the race wait for a healthy server')
  t.match(stdout, /^\s+FLAGS_SEED: '42'$/m, 'SEED reaches the server as FLAGS_SEED')
  t.match(stdout, /^\s+FLAGS_GRACE: 15s$/m, 'GRACE reaches the server as FLAGS_GRACE')
  t.match(stdout, /^\s+stop_grace_period: 20s$/m, 'GRACE_STOP is how long compose waits before SIGKILL')
  t.match(stdout, /^\s+FLAGS_OVERRIDES: "?on"?$/m, 'per-request overrides on, for the harness')
  t.match(stdout, /^\s+FLAGS_ADMIN_TOKEN: ''$/m, 'no ADMIN_TOKEN: the admin API stays off')
  t.match(stdout, /^\s+network_mode: service:server$/m, "the race in the server's network")
})

t.test('every container runs node itself: no npm, no shell between the signal and the process', async t => {
  const [entrypoint = [], ...more] = instructions('ENTRYPOINT').map(execForm)
  t.equal(more.length, 0, 'one ENTRYPOINT')
  t.same(instructions('CMD'), [], 'no CMD: arguments after the image name go to the server')
  t.same(entrypoint, scripts['start:server']?.split(' '), "the image's ENTRYPOINT is start:server's command, word for word")
  t.same(services.harness?.entrypoint, ['node', 'dist/scripts/docker-harness.js'], 'the harness: its launcher, which imports dist/harness/cli/main.js')
  t.same(services.race?.entrypoint, ['node', 'dist/harness/race/main.js', '--host', '0.0.0.0', '--port', '8080'], 'the race: its page on every interface of the shared network, port 8080')
  for (const name of ['harness', 'race']) t.same(services[name]?.command, [], `${name}: no command of its own; the user's arguments follow`)
  t.match(scripts['start:harness'], /^node dist\/harness\/cli\/main\.js$/, 'start:harness runs the file the launcher imports')
  t.match(readFileSync(join(root, 'scripts', 'docker-harness.ts'), 'utf8'), "await import('../harness/cli/main.js')", 'the launcher imports the harness: one process')
})

t.test("the image's entry point, run natively: healthy, then SIGTERM → exit 0", async t => {
  const [entrypoint = []] = instructions('ENTRYPOINT').map(execForm)
  const script = entrypoint.find(arg => arg.startsWith('dist/')) ?? ''
  const server = spawnCompiled(script.slice('dist/'.length), ['--host', '127.0.0.1', '--port', '0'], { NODE_ENV: 'production' }, root)
  t.teardown(() => { server.child.kill('SIGKILL') })
  const url = /(http:\/\/127\.0\.0\.1:\d+)\/flags/.exec(await server.printed('stdout', /http:\/\/\S+\/flags/))?.[1] ?? ''
  t.equal(await healthz(url), 200, '/healthz answers 200')

  const [healthcheck = '[]'] = instructions('HEALTHCHECK').map(text => text.replace(/^.*?CMD /, ''))
  const [command = '', ...args] = execForm(healthcheck)
  t.equal(command, 'node', 'the healthcheck runs node (no curl in a slim image)')
  const check = async (): Promise<number | null | undefined> => await run(process.execPath, args, { env: { FLAGS_PORT: new URL(url).port } }).then(
    () => 0,
    (error: { code?: number | null }) => error.code
  )
  t.equal(await check(), 0, 'the HEALTHCHECK command passes')

  // SIGTERM, as docker stop sends it (through the init that compose's init: true puts first).
  server.child.kill('SIGTERM')
  const { code, signal, stdout } = await server.finished
  t.same({ code, signal }, { code: 0, signal: null }, 'exit 0')
  t.match(stdout, /SIGTERM: closing/, 'the server itself got the SIGTERM')
  t.equal(await check(), 1, 'the HEALTHCHECK command fails once the server is gone')
})

t.test("the harness's launcher, run natively: it aims at the site that answers, an -s wins", async t => {
  const server = await startEmbeddedServer()
  t.teardown(server.stop)
  const sites = `http://127.0.0.1:1/flags ${server.url}/flags`
  const found = await spawnCompiled('scripts/docker-harness.js', ['--latency', '20ms', '-l', '3', '--json'], { HARNESS_SITES: sites }, root).finished
  t.equal(found.code, 0, `exit 0${found.stderr === '' ? '' : `: ${found.stderr}`}`)
  const report = JSON.parse(found.stdout) as HarnessReport
  t.equal(report.server.url, `${server.url}/flags`, 'past a refused port, the first site that answers /healthz')
  t.equal(report.server.embedded, false, 'not a server of its own')
  t.same(report.modes.map(mode => mode.ok), [3, 3, 3], 'three flags in each mode')
  t.ok(report.modes.every(mode => mode.latencyMs.p50 >= 20), '--latency 20ms went as an x-flags-latency header')

  const given = await spawnCompiled('scripts/docker-harness.js', ['-s', `${server.url}/flags`, '-l', '1', '--json'], { HARNESS_SITES: 'http://127.0.0.1:1/flags' }, root).finished
  t.equal(given.code, 0, 'with -s, no site is asked: the refused one does not matter')

  const fromEnv = await spawnCompiled('scripts/docker-harness.js', ['-l', '1', '--json'], { HARNESS_SERVER: `${server.url}/flags`, HARNESS_SITES: 'http://127.0.0.1:1/flags' }, root).finished
  t.equal(fromEnv.code, 0, 'HARNESS_SERVER: no site is asked either')
  t.equal((JSON.parse(fromEnv.stdout) as HarnessReport).server.url, `${server.url}/flags`, 'HARNESS_SERVER is the server measured')

  const none = await spawnCompiled('scripts/docker-harness.js', ['-l', '1'], { HARNESS_SITES: 'http://127.0.0.1:1/flags' }, root).finished
  t.equal(none.code, 1, 'no site answers: exit 1')
  t.match(none.stderr, /no flag server answers \/healthz at http:\/\/127\.0\.0\.1:1\/flags/, 'saying where it asked')
})

t.test('SIGINT to the launcher reaches the harness once: the partial report, exit 130', async t => {
  const server = await startEmbeddedServer()
  t.teardown(server.stop)
  const harness = spawnCompiled('scripts/docker-harness.js', ['--latency', '200ms', '-l', '20'], { HARNESS_SITES: `${server.url}/flags` }, root)
  t.teardown(() => { harness.child.kill('SIGKILL') })
  // Off a terminal the harness prints only at the end: the server's count of flag requests
  // says when it is into the sequential warm-up (20 × 200 ms), its SIGINT handler in place.
  for (let tries = 0; tries < 100 && await flagRequests(server.url) < 2; tries++) await new Promise(resolve => setTimeout(resolve, 100))
  harness.child.kill('SIGINT')
  const { code, stdout } = await harness.finished
  t.equal(code, 130, 'exit 130')
  t.match(stdout, /^INCOMPLETE RUN/m, 'the partial report, marked incomplete')
})
