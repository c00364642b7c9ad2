import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { envName, INJECTION_NAMES } from '../../server/contract/injection.js'
import { projectRoot } from '../../server/contract/project.js'

// The lists of injection options kept outside the code, against the contract's registry (every
// fault kind's options, contract/faults.ts): a kind added there and not here fails this test.
// FLAGS_MAX_LATENCY is the server's variable; MAX_LATENCY the setting compose passes to it.

const read = async (path: string): Promise<string> => await readFile(join(projectRoot(), path), 'utf8')
const settingOf = (name: string): string => envName(name).slice('FLAGS_'.length)

t.test("docs/SERVER.md's option table has a row for every injection option", async t => {
  const readme = await read('docs/SERVER.md')
  const from = readme.slice(readme.search(/^## Options$/m))
  const table = /\n\| option \|[^\n]*\n\|[-| ]+\|\n((?:\|[^\n]*\n)+)/.exec(from)?.[1] ?? ''
  const rows = new Set(table.split('\n').map(row => /^\| `(--[a-z-]+)`/.exec(row)?.[1]))
  t.same(INJECTION_NAMES.filter(name => !rows.has(`--${name}`)), [], 'no option without its row')
})

t.test('docker-compose.yml passes every injection setting to the server, and docs/DOCKER.md names it', async t => {
  const compose = parse(await read('docker-compose.yml')) as { services: { server: { environment: Record<string, string> } } }
  const environment = compose.services.server.environment
  t.same(INJECTION_NAMES.filter(name => environment[envName(name)] !== `\${${settingOf(name)}:-}`), [], 'FLAGS_X from X, empty by default, for every option')
  const readme = await read('docs/DOCKER.md')
  const settings = /The injection settings are ([^.]*)/.exec(readme)?.[1] ?? ''
  t.same(INJECTION_NAMES.filter(name => !settings.includes(`\`${settingOf(name)}\``)), [], 'docs/DOCKER.md lists every setting')
})

t.test('scripts/docker-check.sh unsets every injection setting, so that the user\'s own cannot change what it checks', async t => {
  const script = await read('scripts/docker-check.sh')
  const unset = /^unset ((?:[^\n]*\\\n)*[^\n]*)$/m.exec(script)?.[1]?.split(/[\s\\]+/) ?? []
  t.same(INJECTION_NAMES.filter(name => !unset.includes(settingOf(name))), [], 'every setting in the unset list')
})
