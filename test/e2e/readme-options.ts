import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { INJECTION_KEYS, optionName } from '../../server/contract/injection.js'
import { projectRoot } from '../../server/contract/project.js'
import { runCompiled } from '../fixtures/run.js'

// The option tables of docs/SERVER.md, HARNESS.md and LOAD.md, walked: every option each command's --help lists is in its table,
// and every option in the table, fed a bad value, stops the command with one line naming it,
// and exit 2. A new option without a row here fails this test.

const INJECTION = Object.fromEntries(INJECTION_KEYS.map(key => [`--${optionName(key)}`, key === 'slowBps' ? '0' : 'soon']))

const LAST_INJECTION_OPTION = `--${optionName(INJECTION_KEYS[INJECTION_KEYS.length - 1] ?? 'latency')}`

interface Command { script: string, doc: string, heading: RegExp, bad: Record<string, string[]> }

const COMMANDS: Record<string, Command> = {
  server: {
    script: 'server/main.js',
    doc: 'docs/SERVER.md',
    heading: /^## Options$/m,
    bad: {
      '--profile': ['fast'],
      '--port': ['http'],
      '--host': ['not a host'],
      '--seed': ['x'],
      '--overrides': ['yes'],
      '--admin-token': ['a b'],
      '--grace': ['5'],
      '--max-hung': ['0'],
      '--max-connections': ['0'],
      '--flags-dir': ['/nonexistent/flags', '--port', '0'],
      '--log': ['loud'],
      '--record': ['/nonexistent/arrivals.csv'],
      '--version': ['--version=yes'],
      ...Object.fromEntries(Object.entries(INJECTION).map(([option, value]) => [option, [value]]))
    }
  },
  harness: {
    script: 'harness/cli/main.js',
    doc: 'docs/HARNESS.md',
    heading: /^# The harness$/m,
    bad: {
      '--all': ['--all=yes'],
      '--every': ['--every=yes'],
      '--limit': ['0'],
      '--max-req': ['0'],
      '--mode': ['threads'],
      '--repeat': ['0'],
      '--warmup': ['x'],
      '--cold': ['--cold=yes'],
      '--fresh-fates': ['--fresh-fates=yes'],
      '--timeout': ['3'],
      '--save': ['/dev/null/x'],
      '--server': ['REMOTE'],
      '--seed': ['x'],
      '--cpu-work': ['3'],
      '--sync-save': ['--sync-save'],
      '--sweep': ['0'],
      '--timeline': ['--timeline=yes'],
      '--report': ['/nonexistent/r.html'],
      '--csv': ['/nonexistent/r.csv'],
      '--verbose': ['--verbose=yes'],
      '--json': ['--json=yes'],
      '--wide': ['--wide=yes'],
      '--expect': ['async.speedup>=fast'],
      '--version': ['--version=yes'],
      ...Object.fromEntries(Object.entries(INJECTION).map(([option, value]) => [option, [value]]))
    }
  },
  load: {
    script: 'harness/load/main.js',
    doc: 'docs/LOAD.md',
    heading: /^# Load mode and the race page$/m,
    bad: {
      '--connections': ['0'],
      '--duration': ['3'],
      '--amount': ['0'],
      '--rate': ['500'],
      '--arrivals': ['bursty', '--rate', '1/s'],
      '--max-connections': ['0', '--rate', '1/s'],
      '--warmup': ['2m', '--rate', '1/s'],
      '--server': ['REMOTE'],
      '--seed': ['x'],
      '--json': ['--json=yes'],
      '--report': ['/nonexistent/r.html'],
      '--wide': ['--wide=yes'],
      '--expect': ['rps>=fast'],
      '--version': ['--version=yes'],
      ...Object.fromEntries(Object.entries(INJECTION).map(([option, value]) => [option, [value]]))
    }
  }
}

/** The long options named in the first column of the first table after the heading. */
function tableOptions (readme: string, heading: RegExp): Set<string> {
  const from = readme.slice(readme.search(heading))
  const table = /\n\| option \|[^\n]*\n\|[-| ]+\|\n((?:\|[^\n]*\n)+)/.exec(from)?.[1] ?? ''
  const options = table.split('\n').flatMap(row => [...(row.split('|')[1] ?? '').matchAll(/`(--[a-z-]+)`/g)].map(m => m[1] as string))
  // "--latency ... --<the last injection option>" stands for every injection option.
  return new Set(options.includes(LAST_INJECTION_OPTION) ? [...options, ...Object.keys(INJECTION)] : options)
}

/** A bad value: a bare value goes after the option; a list that starts with a dash is the whole argument list. */
function argsFor (option: string, bad: string[]): string[] {
  return bad[0]?.startsWith('-') === true ? bad : [option, ...bad]
}

for (const [name, command] of Object.entries(COMMANDS)) {
  t.test(`${name}: the option table of ${command.doc}, walked`, async t => {
    const readme = await readFile(join(projectRoot(), command.doc), 'utf8')
    const inTable = tableOptions(readme, command.heading)
    const help = await runCompiled(command.script, ['--help'])
    const inHelp = new Set([...help.stdout.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map(m => m[1] as string).filter(o => o !== '--help'))
    t.same([...inHelp].filter(o => !inTable.has(o)), [], 'no option of --help is missing from the table')
    t.same([...inTable].filter(o => !(o in command.bad)).sort(), [], 'every option in the table has a bad value in this test')

    const runs = await Promise.all([...inTable].map(async option => [option, await runCompiled(command.script, argsFor(option, command.bad[option] ?? []))] as const))
    for (const [option, run] of runs) {
      t.equal(run.code, 2, `${option}: exit 2`)
      t.equal(run.stderr.trim().split('\n').length, 1, `${option}: one line`)
      t.match(run.stderr, option, `${option}: the line names it`)
    }
  })
}
