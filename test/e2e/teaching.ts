// docs/TEACHING.md's commands, as written: each npm script exists, and the harness's arguments
// are ones it takes (a typo in the page would otherwise wait for a class to find it). The
// Python helper it shows is run for real by test/scripts/book-local.ts; the book's own programs
// need httpx and the book's folder, which this machine may lack.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parseHarnessArgs } from '../../harness/cli/args.js'
import { projectRoot } from '../../server/contract/project.js'

t.test('every command in docs/TEACHING.md is one the project has', async t => {
  const page = await readFile(join(projectRoot(), 'docs', 'TEACHING.md'), 'utf8')
  const scripts = Object.keys((JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts)
  const commands = [...page.matchAll(/npm run ([\w:]+)((?: -- [^`\n]*)?)/g)].map(([, script = '', rest = '']) => ({ script, args: rest.replace(/^ -- /, '').split(' ').filter(Boolean) }))
  t.ok(commands.length >= 8, `${commands.length} npm commands found`)
  for (const { script, args } of commands) {
    t.ok(scripts.includes(script), `npm run ${script}: a script of package.json`)
    if (script === 'harness') t.doesNotThrow(() => parseHarnessArgs(args), `npm run harness -- ${args.join(' ')}: options it takes`)
  }
  t.match(page, /python3 scripts\/book-local\.py /, 'the helper for the hard-wired programs')
})
