// `npm run harness -- --json` as the README types it: the JSON document alone on stdout. npm
// prints a "> flag-lab@0.1.0 harness" banner above a script's output unless it is silent, which
// the project's .npmrc makes it. start:harness is the harness without the build (the build
// rewrites dist/, which the tests beside this one read); the banner is npm's, the same for both.

import { spawn } from 'node:child_process'
import t from 'tap'
import { projectRoot } from '../../server/contract/project.js'

async function npmRun (args: string[]): Promise<{ code: number | null, stdout: string }> {
  const child = spawn('npm', ['run', ...args], { cwd: projectRoot(), env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout }
}

const HARNESS = ['start:harness', '--', '--json', '-l', '2', '--latency', '5ms', '--mode', 'async']

t.test('npm run ... -- --json prints one JSON document, nothing of npm\'s above it', async t => {
  const run = await npmRun(HARNESS)
  t.equal(run.code, 0)
  const report = JSON.parse(run.stdout) as { schemaVersion: number, codes: string[] }
  t.match(report, { schemaVersion: 2, codes: ['BD', 'BR'] }, 'the whole of stdout parses')
  // Without the .npmrc's setting, as npm is by default: the banner comes first (so the check above can fail).
  const loud = await npmRun(['--loglevel=notice', ...HARNESS])
  t.match(loud.stdout, /^\n?> flag-lab@[\d.]+ start:harness\n/, 'npm\'s banner, with its default log level')
})
