import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { runCompiled } from '../fixtures/run.js'

const runServer = async (args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runCompiled> => await runCompiled('server/main.js', args, env)

t.test('every invalid option: one line on stderr, exit 2, no stack trace', async t => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--latency', 'fast'], {}, /^flag-server: --latency: invalid value "fast"; accepted: /],
    [['--jitter', '3'], {}, /^flag-server: --jitter: /],
    [['--max-latency', '-1s'], {}, /^flag-server: --max-latency: /],
    [['--error-rate', '2'], {}, /^flag-server: --error-rate: /],
    [['--reset-rate', 'x'], {}, /^flag-server: --reset-rate: /],
    [['--hang-rate', '1.1'], {}, /^flag-server: --hang-rate: /],
    [['--slow-rate', '-0'], {}, /^flag-server: --slow-rate: /],
    [['--slow-bps', 'fast'], {}, /^flag-server: --slow-bps: /],
    [['--truncate-rate', '1/2'], {}, /^flag-server: --truncate-rate: /],
    [['--port', 'http'], {}, /^flag-server: --port: /],
    [['--seed', 'abc'], {}, /^flag-server: --seed: /],
    [['--profile', 'fast'], {}, /^flag-server: --profile: /],
    [['--overrides', '1'], {}, /^flag-server: --overrides: /],
    [['--grace', 'long'], {}, /^flag-server: --grace: /],
    [['--bogus'], {}, /^flag-server: --bogus: unknown option; accepted: /],
    [['--flags-dir', '/nonexistent/flags', '--port', '0'], {}, /^flag-server: flags directory \/nonexistent\/flags: cannot be read; expected folders like/],
    [[], { FLAGS_MAX_LATENCY: 'forever' }, /^flag-server: FLAGS_MAX_LATENCY: /]
  ]
  for (const [args, env, message] of cases) {
    const run = await runServer(args, env)
    t.equal(run.code, 2, `${[...args, ...Object.keys(env)].join(' ')}: exit 2`)
    t.match(run.stderr, message)
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line')
    t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
  }
})

t.test('--help prints the manual and exits 0', async t => {
  const run = await runServer(['--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^Usage: npm run server -- \[options\]/)
  for (const option of ['--latency', '--error-rate', '--seed', '--profile', '--max-latency', 'FLAGS_MAX_LATENCY']) t.match(run.stdout, option, `mentions ${option}`)
})

t.test('a port in use: one line, exit 1', async t => {
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const { port } = blocker.address() as AddressInfo
  const run = await runServer(['--host', '127.0.0.1', '--port', String(port)])
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`^flag-server: --port ${port}: already in use`))
  t.equal(run.stderr.trim().split('\n').length, 1)
})
