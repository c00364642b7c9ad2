// Against the compiled server (npm run build first): the harness must start and stop the
// real thing, and leave nothing running behind it.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startEmbeddedServer } from '../../../harness/core/embedded.js'

const compiledHarness = new URL('../../../dist/harness/core/embedded.js', import.meta.url)
if (!existsSync(fileURLToPath(compiledHarness)) || !existsSync(fileURLToPath(new URL('../../../dist/server/main.js', import.meta.url)))) {
  throw new Error('test/embedded.ts runs the compiled server and harness: npm run build first')
}

/** A bound no machine, however busy, should reach: where a test is about the other bound. */
const GENEROUS_MS = 25_000

// The smallest valid GIF (1x1): the server serves bytes, it does not decode them.
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

/** One flag is enough, and does not depend on flags/ being complete. */
const FLAGS = {
  br: { 'br.gif': GIF, 'metadata.json': JSON.stringify({ country: 'Brazil', gec_cc: 'BR', iso_cc: 'BR', tld_cc: '.br' }) }
}

function flagsFixture (t: Test): string {
  return t.testdir(FLAGS)
}

/**
 * Polls rather than sleeping a fixed time, so a slow machine only takes longer. A zombie
 * counts as gone: once its parent has died, reaping it is up to init, not to the harness.
 */
async function isGone (pid: number, withinMs = 5000): Promise<boolean> {
  const deadline = Date.now() + withinMs
  while (true) {
    try {
      process.kill(pid, 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true
      throw error
    }
    if (isZombie(pid)) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

/** Linux only (elsewhere, false): the state follows the command name, which is in parentheses. */
function isZombie (pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** The environment for a plain node child: tap's loader and coverage hooks stay in tap. */
function plainEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

t.test('starts the compiled server on a loopback port and answers /healthz', async t => {
  const flagsDir = flagsFixture(t)
  const server = await startEmbeddedServer(['--flags-dir', flagsDir])
  t.teardown(() => server.stop())

  const url = new URL(server.url)
  t.equal(url.protocol, 'http:', 'plain http')
  t.equal(url.hostname, '127.0.0.1', 'bound to loopback')
  t.ok(Number(url.port) > 0, `a real port, not 0 (${url.port})`)
  t.equal(url.pathname, '/', 'the URL is the origin, without /flags')
  t.ok(Number.isInteger(server.pid) && server.pid > 0, 'pid is a process id')

  const health = await request(`${server.url}/healthz`)
  t.equal(health.statusCode, 200, '/healthz answers 200')
  t.equal((await health.body.json() as { status: string }).status, 'ok', '/healthz says ok')

  const flag = await request(`${server.url}/flags/br/br.gif`)
  t.equal(flag.statusCode, 200, 'the flag from --flags-dir is served')
  t.same(Buffer.from(await flag.body.arrayBuffer()), GIF, 'with the fixture bytes')
})

t.test('stop() ends the process, and stopping twice is harmless', async t => {
  const server = await startEmbeddedServer(['--flags-dir', flagsFixture(t)])
  t.teardown(() => server.stop())

  await server.stop()
  t.throws(() => process.kill(server.pid, 0), { code: 'ESRCH' }, 'the pid is gone once stop() resolves')
  await t.resolves(server.stop(), 'a second stop() resolves too')
})

t.test('an invalid server option rejects with the server\'s own message, on one line', async t => {
  const started = startEmbeddedServer(['--latency', 'nope', '--flags-dir', flagsFixture(t)])
  await t.rejects(started, /^embedded server exited with code 2: flag-server: --latency: invalid value "nope"/, 'names the option and the exit code')
  const message = await started.then(() => '', (error: Error) => error.message)
  t.notMatch(message, /\n/, 'one line')
})

t.test('a missing script is named, with the fix', async t => {
  await t.rejects(startEmbeddedServer([], { script: join(t.testdir(), 'absent.js') }), /absent\.js not found \(npm run build/, 'says to build')
})

t.test('a script that never says it is ready is killed at the ready bound', async t => {
  const dir = t.testdir({ 'silent.mjs': 'setInterval(() => {}, 1000)\n' })
  // A shorter health bound, which must not be the one that applies.
  const began = performance.now()
  const started = startEmbeddedServer([], { script: join(dir, 'silent.mjs'), readyTimeoutMs: 300, healthTimeoutMs: 100 })
  await t.rejects(started, /did not say it is ready within 300 ms/, 'says what it waited for and how long')
  // 299: timers count whole milliseconds, so a 300 ms timer may end a fraction of one early.
  t.ok(performance.now() - began >= 299, 'and gave up no sooner than the ready bound')
  const message = await started.then(() => '', (error: Error) => error.message)
  const pid = Number(/pid (\d+)/.exec(message)?.[1])
  t.ok(pid > 0, `the message names the pid (${pid})`)
  t.ok(await isGone(pid), 'the child is gone')
})

/** Says it is ready like the flag server (the contract's IPC message), then answers /healthz 503 until the nth request. */
const SLOW_TO_START = `import { createServer } from 'node:http'
const readyAt = Number(process.env.READY_AT ?? process.argv.at(-1))
let asked = 0
const server = createServer((req, res) => {
  res.statusCode = req.url === '/healthz' && ++asked >= readyAt ? 200 : 503
  res.end()
})
server.listen(0, '127.0.0.1', () => process.send({ type: 'flag-server-ready', sites: [{ name: 'FAKE', origin: 'http://127.0.0.1:' + server.address().port }] }))
`

t.test('/healthz is polled until it answers 200, and only so long', async t => {
  const script = join(t.testdir({ 'slow.mjs': SLOW_TO_START }), 'slow.mjs')
  const server = await startEmbeddedServer(['3'], { script })
  t.teardown(() => server.stop())
  t.equal((await request(`${server.url}/healthz`)).statusCode, 200, 'ready after two 503s')

  // A generous ready bound: however slow the child is to start, the health bound is what runs out.
  const never = startEmbeddedServer(['1000000'], { script, readyTimeoutMs: GENEROUS_MS, healthTimeoutMs: 300 })
  await t.rejects(never, /did not answer 200 on http:\/\/127\.0\.0\.1:\d+\/healthz within 300 ms/, 'names the URL it polled and the bound')
})

/**
 * Waits until the file named by its last argument exists (the test's gate), then says it is
 * ready like the flag server and cuts every request, /healthz included: the poll sees errors, not
 * statuses. It writes <gate>.waiting once it runs.
 */
const GATED = `import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
const gate = process.argv.at(-1)
writeFileSync(gate + '.waiting', '')
const poll = setInterval(() => {
  if (!existsSync(gate)) return
  clearInterval(poll)
  const server = createServer(req => { req.socket.destroy() })
  server.listen(0, '127.0.0.1', () => process.send({ type: 'flag-server-ready', sites: [{ name: 'FAKE', origin: 'http://127.0.0.1:' + server.address().port }] }))
}, 10)
`

t.test('the health bound runs from the ready message, not from the start', async t => {
  const dir = t.testdir({ 'gated.mjs': GATED })
  const gate = join(dir, 'gate')
  const began = performance.now()
  const started = startEmbeddedServer([gate], { script: join(dir, 'gated.mjs'), readyTimeoutMs: GENEROUS_MS, healthTimeoutMs: 300 })
  let done = false
  const settled = started.then(server => { t.teardown(() => server.stop()); return null }, (error: Error) => error).finally(() => { done = true })
  // Once the child runs and waits at the gate (unless the start failed already), it is held there
  // longer than the health bound.
  while (!existsSync(`${gate}.waiting`)) {
    if (done) break
    await sleep(20)
  }
  await sleep(600)
  const opened = performance.now()
  writeFileSync(gate, '')
  const error = await settled
  t.match(error?.message, /did not answer 200 on http:\/\/127\.0\.0\.1:\d+\/healthz within 300 ms/, `the health bound ran out, not start-up (${Math.round(opened - began)} ms before the gate opened)`)
  // 299: timers count whole milliseconds, so a 300 ms timer may end a fraction of one early.
  t.ok(performance.now() - opened >= 299, 'and 300 ms after the gate opened, at the earliest: the bound began at the ready message')
})

t.test('stop() after the server died on its own resolves', async t => {
  const server = await startEmbeddedServer(['--flags-dir', flagsFixture(t)])
  t.teardown(() => server.stop())
  process.kill(server.pid, 'SIGKILL')
  t.ok(await isGone(server.pid), 'the server is gone')
  await t.resolves(server.stop(), 'stop() resolves')
})

// How the parent ends: the harness takes its children along in every case; a SIGKILL, which no
// handler hears, ends the server because its IPC channel closes with the parent.
const ENDINGS: Array<{ name: string, code: string, signal?: NodeJS.Signals }> = [
  { name: 'process.exit(0)', code: 'process.exit(0)' },
  { name: 'an uncaught error', code: 'throw new Error(\'the parent fails\')' },
  { name: 'the end of its work, without stop()', code: '' },
  { name: 'a SIGTERM handler that calls stop()', code: 'process.once(\'SIGTERM\', () => { server.stop().then(() => process.exit(143)) })\nsetInterval(() => {}, 1000)', signal: 'SIGTERM' },
  { name: 'a SIGINT handler that calls process.exit()', code: 'process.once(\'SIGINT\', () => process.exit(130))\nsetInterval(() => {}, 1000)', signal: 'SIGINT' },
  { name: 'SIGKILL', code: 'setInterval(() => {}, 1000)', signal: 'SIGKILL' }
]

for (const ending of ENDINGS) {
  t.test(`the server does not outlive a parent that ends by ${ending.name}`, async t => {
    // One testdir per test (a second t.testdir() would replace the first), named before it exists.
    const dir = t.testdirName
    t.testdir({
      flags: FLAGS,
      'parent.mjs': [
        `import { startEmbeddedServer } from ${JSON.stringify(compiledHarness.href)}`,
        `const server = await startEmbeddedServer(['--flags-dir', ${JSON.stringify(join(dir, 'flags'))}])`,
        'process.stdout.write(server.pid + \'\\n\')',
        ending.code,
        ''
      ].join('\n')
    })
    const script = join(dir, 'parent.mjs')
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: plainEnv() })
    t.teardown(() => { parent.kill('SIGKILL') })
    let stdout = ''
    let stderr = ''
    parent.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    parent.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    const closed = once(parent, 'close')

    // Waiting for the pid line rather than a fixed time: the parent signals once it is serving.
    while (!stdout.includes('\n') && parent.exitCode === null) await sleep(20)
    const pid = Number(stdout.trim())
    if (!t.ok(pid > 0, 'the parent printed the server\'s pid', { stdout, stderr })) return
    if (ending.signal !== undefined) parent.kill(ending.signal)
    await closed
    t.ok(await isGone(pid), `server pid ${pid} is gone within 5 s of the parent`)
  })
}
