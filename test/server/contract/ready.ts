import { fork } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import t from 'tap'
import { isReadyMessage } from '../../../server/contract/ready.js'
import { projectRoot } from '../../../server/contract/project.js'

t.test('what counts as the ready message', async t => {
  t.ok(isReadyMessage({ type: 'flag-server-ready', sites: [{ name: 'LOCAL', origin: 'http://127.0.0.1:8000' }] }))
  t.ok(isReadyMessage({ type: 'flag-server-ready', sites: [] }), 'no site is still a message (the reader wants one)')
  t.notOk(isReadyMessage({ type: 'other', sites: [] }))
  t.notOk(isReadyMessage({ type: 'flag-server-ready', sites: [{ name: 'LOCAL' }] }), 'a site without its origin')
  t.notOk(isReadyMessage('flag-server-ready'))
  t.notOk(isReadyMessage(null))
})

t.test('the compiled server sends it over IPC, one origin per site, and still prints its lines', async t => {
  const child = fork(join(projectRoot(), 'dist', 'server', 'main.js'), ['--host', '127.0.0.1', '--port', '0', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let stdout = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const [message] = await once(child, 'message') as [unknown]
  t.ok(isReadyMessage(message), 'a ready message')
  const origin = isReadyMessage(message) ? message.sites[0]?.origin ?? '' : ''
  t.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/, 'the site\'s origin, its port the one bound')
  t.match(stdout, `${origin}/flags`, 'the human line names the same URL')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'SIGTERM: a graceful exit')
})
