// The check at the end of npm test, on a folder of the test's own: a process started there after
// the check's parent shell, and still running, fails it; none passes it.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import t from 'tap'
import { projectRoot } from '../../server/contract/project.js'

const SCRIPT = join(projectRoot(), 'dist', 'scripts', 'leftovers.js')

async function check (shell: string, root: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  // The shell is the check's parent, as npm's is in npm test: what it starts counts.
  const child = spawn('sh', ['-c', shell, 'sh', SCRIPT, root], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

t.test('a process left running in the folder fails the check, with its command line', async t => {
  const root = t.testdir({})
  // `sleep 61` from the folder, in the background; its pid is printed so the test can end it.
  const result = await check('(cd "$2" && exec sleep 61 >/dev/null 2>&1) & echo "sleeper $!" >&2; node "$1" "$2"', root)
  const pid = Number(/sleeper (\d+)/.exec(result.stderr)?.[1])
  t.teardown(() => { try { process.kill(pid) } catch {} })
  t.equal(result.code, 1, 'exit 1')
  t.match(result.stderr, new RegExp(`^leftovers: 1 process\\(es\\) started by the run still running:\\n  ${pid} sleep 61$`, 'm'), 'names it')
})

t.test('nothing left: the check passes', async t => {
  const root = t.testdir({})
  // A process that ends by itself within the settling time is not a leftover.
  const result = await check('(cd "$2" && exec sleep 1 >/dev/null 2>&1) & node "$1" "$2"', root)
  t.equal(result.code, 0, 'exit 0')
  t.match(result.stdout, /^leftovers: no process started by the run is still running$/m)
})
