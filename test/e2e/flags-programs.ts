import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { defaultFlagsDir, projectRoot } from '../../server/contract/project.js'
import { spawnCompiled } from '../fixtures/run.js'
import { startSite } from '../fixtures/site.js'

// The three short programs read in class, next to the book's flags.py, flags_threadpool.py and
// flags_asyncio.py: each downloads the 20 flags into ./downloaded and says how long it took.
for (const program of ['flags-sequential', 'flags-pool', 'flags-async']) {
  t.test(program, async t => {
    const base = await startSite(t)
    const cwd = t.testdir({})
    const running = spawnCompiled(`scripts/${program}.js`, [], { BASE_URL: `${base}/flags` }, cwd)
    const run = await running.finished
    t.equal(run.code, 0, 'exit 0')
    t.match(run.stdout, /^(?:[A-Z]{2} ){20}\n20 downloads in \d+\.\d\ds\n$/, 'the book\'s output: the codes as they come, then the count and the time')
    const saved = (await readdir(join(cwd, 'downloaded'))).sort()
    t.equal(saved.length, 20, '20 files in ./downloaded')
    for (const file of saved) {
      const cc = file.slice(0, 2).toLowerCase()
      t.ok((await readFile(join(cwd, 'downloaded', file))).equals(await readFile(join(defaultFlagsDir(), cc, `${cc}.gif`))), `${file} is the flag, byte for byte`)
    }
  })
}

t.test('each stays short enough for a screen', async t => {
  for (const program of ['flags-sequential', 'flags-pool', 'flags-async']) {
    const lines = (await readFile(join(projectRoot(), 'scripts', `${program}.ts`), 'utf8')).trimEnd().split('\n').length
    t.ok(lines <= 42, `${program}.ts: ${lines} lines`)
  }
})
