import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { runCompiled } from '../fixtures/run.js'

// npm run harness -- --save DIR makes the folder before the run. Where a folder cannot be made,
// one line naming --save and exit 2, before any server starts. /proc is the case that matters:
// it refuses a new folder with ENOENT though its parent exists, on which Node's recursive mkdir
// retried for ever at 100% CPU; /sys refuses with EPERM, and /dev/null is a file.
const UNWRITABLE: Array<[path: string, code: string]> = [['/proc/nope', 'ENOENT'], ['/proc/nope/deeper', 'ENOENT'], ['/sys/nope', 'EPERM'], ['/dev/null/x', 'ENOTDIR']]
for (const [path, code] of UNWRITABLE) {
  t.test(`--save ${path}`, async t => {
    const run = await runCompiled('harness/cli/main.js', ['--save', path])
    t.equal(run.code, 2, 'exit 2')
    t.equal(run.stderr, `flag-harness: --save ${path}: cannot create the folder (${code})\n`, 'one line naming --save, the path and the reason')
    t.equal(run.stdout, '', 'nothing run')
  })
}

t.test('--save makes the missing folders, a level at a time; a file on the way is refused', async t => {
  const dir = t.testdir({ file: 'not a folder' })
  const run = await runCompiled('harness/cli/main.js', ['--save', join(dir, 'a', 'b'), '--mode', 'async', '--limit', '1', '--latency', '0ms', '--warmup', '0'])
  t.equal(run.code, 0, 'exit 0')
  t.same(await readdir(join(dir, 'a', 'b')), ['BD.gif'], 'a/b made, the one flag saved in it (the first of the 20 codes sorted)')
  const refused = await runCompiled('harness/cli/main.js', ['--save', join(dir, 'file', 'x')])
  t.equal(refused.code, 2, 'exit 2')
  t.equal(refused.stderr, `flag-harness: --save ${join(dir, 'file', 'x')}: cannot create the folder (ENOTDIR)\n`, 'one line')
})
