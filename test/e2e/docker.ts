// Dockerfile and docker-compose.yml, checked without a Docker engine: the compose file as
// Debian's docker-compose reads it, and the commands the containers run, run natively.

import { execFile } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, dirname, join, relative } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { startEmbeddedServer } from '../../harness/core/embedded.js'
import type { HarnessReport } from '../../harness/core/result.js'
import { projectRoot } from '../../server/contract/project.js'
import { spawnCompiled, type Running } from '../fixtures/run.js'

const root = projectRoot()
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8')
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
const run = promisify(execFile)
const COMPOSE_MISSING = "docker-compose not found on PATH: install Debian's docker-compose (apt-get install -y docker-compose); CI installs it"

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

/** The compose file's entrypoint or command lists, written as one-line flow sequences. */
function composeLists (key: 'entrypoint' | 'command'): string[][] {
  return [...compose.matchAll(new RegExp(`^\\s+${key}:\\s*(\\[.*\\])\\s*$`, 'gm'))].map(match => execForm(match[1] ?? ''))
}

/** The npm script an argv runs: npm run [--flags] NAME -- args. */
function npmScript (argv: string[]): string | undefined {
  if (argv[0] !== 'npm' || argv[1] !== 'run') return undefined
  return argv.slice(2).find(arg => !arg.startsWith('-'))
}

/** The image's ENV, so that a native run sees what the container sees (NPM_CONFIG_SCRIPT_SHELL above all). */
function imageEnv (): Record<string, string> {
  const pairs = instructions('ENV').flatMap(text => [...text.matchAll(/(\w+)=(\S+)/g)])
  return Object.fromEntries(pairs.map(([, key, value]) => [key ?? '', value ?? '']))
}

/**
 * npm's own CLI, run through spawnCompiled: spawnCompiled takes a path under dist/, and a
 * relative one that climbs out of it reaches npm as well as any compiled script.
 */
function spawnNpm (args: string[], env: NodeJS.ProcessEnv): Running {
  const npmCli = process.env.npm_execpath?.endsWith('npm-cli.js') === true
    ? process.env.npm_execpath
    : join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
  return spawnCompiled(relative(join(root, 'dist'), npmCli), args, { HOME: process.env.HOME, ...env }, root)
}

async function healthz (url: string): Promise<number> {
  const response = await fetch(`${url}/healthz`)
  await response.arrayBuffer()
  return response.status
}

function onPath (command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some(dir => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

t.test('docker-compose config accepts the file: the three ports, the healthcheck, the harness profile', async t => {
  if (!onPath('docker-compose')) {
    t.fail(COMPOSE_MISSING)
    return
  }
  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, env: { PATH: process.env.PATH, SEED: '42' } })
  for (const port of [8000, 8001, 8002]) t.match(stdout, new RegExp(`^\\s+- (\\S+:)?${port}:${port}(/tcp)?$`, 'm'), `port ${port} published`)
  t.match(stdout, /^\s+healthcheck:$/m, 'the server has a healthcheck')
  t.match(stdout, /^\s+profiles:\n\s+- harness$/m, 'the harness is under a profile')
  t.match(stdout, /^\s+condition: service_healthy$/m, 'the harness waits for a healthy server')
  t.match(stdout, /^\s+FLAGS_SEED: '42'$/m, 'SEED reaches the server as FLAGS_SEED')
  t.match(stdout, /^\s+FLAGS_OVERRIDES: "?on"?$/m, 'per-request overrides on, for the harness')
  t.match(stdout, /^\s+FLAGS_ADMIN_TOKEN: ''$/m, 'no ADMIN_TOKEN: the admin API stays off')
})

t.test('the containers run npm scripts that start the compiled code, and the native scripts share them', async t => {
  const [entrypoint, ...more] = instructions('ENTRYPOINT').map(execForm)
  t.equal(more.length, 0, 'one ENTRYPOINT')
  t.same(instructions('CMD'), [], 'no CMD: arguments after the image name go to the server')
  const server = npmScript(entrypoint ?? [])
  const harnessLists = composeLists('entrypoint')
  t.equal(harnessLists.length, 1, 'one entrypoint in compose: the harness')
  const harness = npmScript(harnessLists[0] ?? [])
  t.same(composeLists('command'), [[]], 'compose adds no command of its own')
  for (const [name, main] of [[server, 'dist/server/main.js'], [harness, 'dist/harness/cli/main.js']] as const) {
    t.ok(name !== undefined && scripts[name] !== undefined, `${name ?? 'npm run'}: a script in package.json`)
    const script = scripts[name ?? ''] ?? ''
    t.match(script, new RegExp(`^node (--\\S+ )*${main.replace('.', '\\.')}$`), `${name ?? ''} starts ${main} and nothing else (no tsc in the image)`)
    const native = name === server ? 'server' : 'harness'
    t.match(scripts[native], `npm run build --silent && npm run ${name ?? ''} `, `npm run ${native} builds, then runs the same script`)
  }
})

t.test("the server's start script, run natively as the container runs it: healthy, then SIGTERM → exit 0", async t => {
  const [entrypoint = []] = instructions('ENTRYPOINT').map(execForm)
  const server = spawnNpm([...entrypoint.slice(1), '--host', '127.0.0.1', '--port', '0'], imageEnv())
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

  // SIGTERM to npm, as docker stop sends it to PID 1: npm forwards it to node, which closes.
  server.child.kill('SIGTERM')
  const { code, signal, stdout } = await server.finished
  t.same({ code, signal }, { code: 0, signal: null }, 'npm exits 0')
  t.match(stdout, /SIGTERM: closing/, 'the server itself got the SIGTERM')
  await t.rejects(healthz(url), 'and is gone, not orphaned')
  t.equal(await check(), 1, 'the HEALTHCHECK command fails once the server is gone')
})

t.test("the harness's compose entrypoint, run natively against a server of the test's", async t => {
  const server = await startEmbeddedServer()
  t.teardown(server.stop)
  const [entrypoint = []] = composeLists('entrypoint')
  const args = entrypoint.slice(1).map(arg => arg.startsWith('${HARNESS_SERVER') ? `${server.url}/flags` : arg)
  const { code, stdout, stderr } = await spawnNpm([...args, '--latency', '20ms', '-l', '3', '--json'], imageEnv()).finished
  t.equal(code, 0, `exit 0${stderr === '' ? '' : `: ${stderr}`}`)
  const report = JSON.parse(stdout) as HarnessReport
  t.equal(report.server.embedded, false, 'the harness used the given server')
  t.same(report.modes.map(mode => mode.ok), [3, 3, 3], 'three flags in each mode')
  t.ok(report.modes.every(mode => mode.latencyMs.p50 >= 20), '--latency 20ms went as an x-flags-latency header')
})
