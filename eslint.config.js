import { dirname, relative, resolve } from 'node:path'
import neostandard from 'neostandard'

// The layers, lowest first; each may import only from the layers it lists (docs/DEVELOPING.md, "Layout").
// A folder belongs to the first entry whose prefix it starts with.
const LAYERS = [
  { name: 'contract', folders: ['server/contract/'], may: ['contract'] },
  // Process plumbing (exit codes, signals, --help and --version): for the commands, the server's
  // and the tools'; the core and the reports never print or exit, so they may not import it.
  { name: 'command-line', folders: ['server/command-line/'], may: ['contract', 'command-line'] },
  { name: 'server', folders: ['server/'], may: ['contract', 'command-line', 'server'] },
  { name: 'core', folders: ['harness/core/'], may: ['contract', 'core'] },
  { name: 'reports', folders: ['harness/reports/'], may: ['contract', 'core', 'reports'] },
  { name: 'tools', folders: ['harness/', 'scripts/', 'bench/'], may: ['contract', 'command-line', 'core', 'reports', 'tools'] }
]

/**
 * Imports allowed across the layers, each with its reason. The bench's bare server is the
 * yardstick for the flag server's machinery: it must send the very same bytes, headers
 * included, so it reads the flags with the server's own loader.
 */
const EXCEPTIONS = [
  { file: 'bench/bare-server.ts', imports: 'server/flags.ts' }
]

const root = dirname(new URL(import.meta.url).pathname)
const inProject = path => relative(root, path).split('\\').join('/')

function layerOf (path) {
  return LAYERS.find(layer => layer.folders.some(folder => inProject(path).startsWith(folder)))
}

function excepted (file, target) {
  return EXCEPTIONS.some(e => e.file === inProject(file) && e.imports === inProject(target).replace(/\.js$/, '.ts'))
}

/** layers/imports: an import that goes across the layers the wrong way is an error. */
const imports = {
  meta: { type: 'problem', schema: [], messages: { across: '{{from}} may not import {{to}} ({{path}}): the {{from}} layer imports only {{may}}' } },
  create (context) {
    const from = layerOf(context.filename)
    if (from === undefined) return {}
    const check = node => {
      const path = node.source?.value
      if (typeof path !== 'string' || !path.startsWith('.')) return
      const target = resolve(dirname(context.filename), path)
      const to = layerOf(target)
      if (to !== undefined && !from.may.includes(to.name) && !excepted(context.filename, target)) {
        context.report({ node, messageId: 'across', data: { from: from.name, to: to.name, path, may: from.may.join(', ') } })
      }
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check }
  }
}

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'flags/**', 'node_modules/**', '.tap/**', 'coverage/**'] }),
  {
    files: ['server/**/*.ts', 'harness/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    plugins: { layers: { rules: { imports } } },
    rules: { 'layers/imports': 'error' }
  },
  {
    // The core and the reports say nothing themselves: whoever calls them prints and exits.
    files: ['harness/core/**/*.ts', 'harness/reports/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'process', property: 'stdout', message: 'the core and the reports print nothing: return it, or emit an event' },
        { object: 'process', property: 'stderr', message: 'the core and the reports print nothing: return it, or emit an event' },
        { object: 'process', property: 'exit', message: 'only a command decides how to exit' }]
    }
  }
]
