// A command killed outright (SIGKILL: the out-of-memory killer, kill -9, a CI runner ending a
// job) runs no handler: whatever it started must end on its own. Each command here is killed
// mid-run, with every process below it noted first; each of them must then end. The race's lanes
// and server are checked in test/e2e/race.ts, a process pool's workers in
// test/harness/core/executor/pool.endings.ts, the library's embedded server in
// test/harness/core/embedded.ts.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { commandOf, descendantsOf, gone, listeningPorts } from '../fixtures/executor-processes.js'
import { spawnCompiled } from '../fixtures/run.js'

/**
 * Polls until the flag server below `pid` has a request in flight (its /metrics gauge, on the
 * port it listens on): the run is under way. The processes below `pid` then.
 */
async function underWay (pid: number): Promise<number[]> {
  while (true) {
    const below = descendantsOf(pid)
    const server = below.find(child => commandOf(child).includes('dist/server/main.js'))
    const port = server === undefined ? undefined : listeningPorts(server)[0]
    if (port !== undefined) {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then(async res => await res.text(), () => '')
      if (/^flags_requests_in_flight [1-9]/m.test(metrics)) return below
    }
    await sleep(50)
  }
}

const PARENTS: Array<{ name: string, script: string, args: string[] }> = [
  // 30 s a request: the run is under way for as long as the test needs.
  { name: 'npm run harness', script: 'harness/cli/main.js', args: ['--latency', '30s', '--mode', 'sequential', '--warmup', '0'] },
  { name: 'npm run load', script: 'harness/load/main.js', args: ['--latency', '30s', '--connections', '2', '--duration', '10m'] }
]

for (const parent of PARENTS) {
  t.test(`${parent.name} killed with SIGKILL: its embedded server ends too`, async t => {
    const running = spawnCompiled(parent.script, parent.args)
    t.teardown(() => { running.child.kill('SIGKILL') })
    const pid = running.child.pid as number
    const children = await underWay(pid)
    t.ok(children.length > 0, `it started ${children.map(commandOf).join('; ')}`)
    running.child.kill('SIGKILL')
    t.match(await running.finished, { signal: 'SIGKILL' }, 'the command was killed')
    // No deadline of our own: a slow machine only takes longer, and the test's timeout is the bound.
    for (const child of children) t.equal(await gone(child), true, `process ${child} is gone`)
  })
}

t.test('a flag server started by hand runs on when its launcher is killed', async t => {
  // No IPC channel: nothing to close, nothing that ends it but a signal (npm run server, Docker).
  const running = spawnCompiled('server/main.js', ['--port', '0', '--log', 'off'])
  t.teardown(() => { running.child.kill('SIGKILL') })
  await running.printed('stdout', /Ctrl-C stops it/)
  await sleep(500)
  t.equal(running.child.exitCode, null, 'still running')
  running.child.kill('SIGTERM')
  t.match(await running.finished, { code: 0 }, 'and ends on SIGTERM as before')
})
