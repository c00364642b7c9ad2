// The conventions every command keeps (issue 13): --version prints one line and exits 0, --help
// fits 80 columns (issue 24), and so does an error on a terminal; npm start is the server. (SIGTERM's 143 is tested beside Ctrl-C's 130 in harness.ts and load.ts.)

import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { projectRoot } from '../../server/contract/project.js'
import { runCompiled } from '../fixtures/run.js'

t.test('--version: the program, the project\'s version and Node\'s, exit 0', async t => {
  const { version } = JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
  const commands: Array<[string, string]> = [
    ['harness/cli/main.js', 'flag-harness'],
    ['harness/load/main.js', 'flag-load'],
    ['harness/primes/main.js', 'flag-primes'],
    ['harness/race/main.js', 'flag-race'],
    ['server/main.js', 'flag-server']
  ]
  // Not the benches (bench/paired.ts answers --version for all of them, as these do): a bench
  // started here would bring every bench module into the coverage figures, which are the
  // figures of what the suite tests.
  for (const [script, program] of commands) {
    const run = await runCompiled(script, ['--version'])
    t.equal(run.code, 0, `${script}: exit 0`)
    t.equal(run.stdout, `${program} ${version} (flag-lab, Node ${process.version})\n`, `${script}: one line`)
    t.equal(run.stderr, '')
  }
})

t.test('--help: every line fits 80 columns on a pipe', async t => {
  for (const script of ['harness/cli/main.js', 'harness/load/main.js', 'harness/primes/main.js', 'harness/race/main.js', 'server/main.js']) {
    const run = await runCompiled(script, ['--help'])
    t.equal(run.code, 0, `${script}: exit 0`)
    t.same(run.stdout.split('\n').filter(line => line.length > 80), [], `${script}: no line wider than 80`)
  }
})

t.test('an error on a terminal is wrapped to 80 columns; on a pipe it stays one line', async t => {
  // script(1) (util-linux, in every Debian) runs the command on a pseudo-terminal of no set size:
  // stderr is a TTY there, and 80 columns is the width. The same bad option to a pipe gives the
  // one line; on the terminal, its words again in lines of at most 80, the later ones indented.
  const piped = await runCompiled('harness/load/main.js', ['--rate', '500'])
  t.equal(piped.code, 2)
  const line = piped.stderr.trimEnd()
  t.ok(!line.includes('\n') && line.length > 80, `one line on a pipe, ${line.length} characters`)
  const tty = await new Promise<{ code: number | null, out: string }>((resolve, reject) => {
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} dist/harness/load/main.js --rate 500`, '/dev/null'], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    child.on('error', reject).on('close', code => resolve({ code, out }))
  })
  t.equal(tty.code, 2, 'exit 2 on the terminal too')
  const lines = tty.out.replace(/\r/g, '').trimEnd().split('\n')
  t.ok(lines.length > 1, `wrapped into ${lines.length} lines`)
  t.same(lines.filter(l => l.length > 80), [], 'none wider than 80')
  t.ok(lines.slice(1).every(l => l.startsWith('  ')), 'the lines after the first indented')
  t.equal(lines.map(l => l.trim()).join(' '), line, 'the same words as the one line')
})

t.test('npm start is npm run start:server', async t => {
  const { scripts } = JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.equal(scripts.start, scripts['start:server'])
  t.match(scripts.start, /dist\/server\/main\.js$/)
})
