import { dirname, relative, resolve } from 'node:path'
import neostandard from 'neostandard'

// The layers, lowest first; each may import only from the layers it lists (README, "Layout").
// A folder belongs to the first entry whose prefix it starts with.
const LAYERS = [
  { name: 'contract', folders: ['server/contract/'], may: ['contract'] },
  { name: 'server', folders: ['server/'], may: ['contract', 'server'] },
  { name: 'core', folders: ['harness/core/'], may: ['contract', 'core'] },
  { name: 'reports', folders: ['harness/reports/'], may: ['contract', 'core', 'reports'] },
  { name: 'tools', folders: ['harness/', 'scripts/', 'bench/'], may: ['contract', 'core', 'reports', 'tools'] }
]

const root = dirname(new URL(import.meta.url).pathname)

function layerOf (path) {
  const inProject = relative(root, path).split('\\').join('/')
  return LAYERS.find(layer => layer.folders.some(folder => inProject.startsWith(folder)))
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
      const to = layerOf(resolve(dirname(context.filename), path))
      if (to !== undefined && !from.may.includes(to.name)) {
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
