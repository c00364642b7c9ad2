import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'
import {
  BOOK_CODES,
  FLAG_WIDTH,
  assertGif89a,
  buildFlagSet,
  countryName,
  flagMetadata,
  gecCode,
  main,
  metadataJson,
  renderFlagGif,
  sha256Manifest,
  writeFlagSet
} from '../../scripts/make-flags.js'
import { defaultFlagsDir, projectRoot } from '../../server/contract/project.js'

const root = projectRoot()
const flags = defaultFlagsDir()
const script = fileURLToPath(new URL('../../scripts/make-flags.ts', import.meta.url))

// Real ccTLDs, written out here rather than taken from the script under test.
const TLD_NOT_ISO: Record<string, string> = { GB: '.uk' }
// GEC codes from the CIA World Factbook, including the ones that differ from ISO.
const KNOWN_GEC: Record<string, string> = {
  AE: 'AE', AT: 'AU', BR: 'BR', CN: 'CH', DE: 'GM', FM: 'FM', GB: 'UK', JP: 'JA', RU: 'RS', US: 'US', VN: 'VM', ZA: 'SF'
}
const KNOWN_NAMES: Record<string, string> = {
  BR: 'Brazil', DE: 'Germany', RU: 'Russia', US: 'United States', GB: 'United Kingdom', CN: 'China'
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

t.test('the code list is the book\'s 194 upper-case codes', async t => {
  t.equal(BOOK_CODES.length, 194, '194 codes')
  t.equal(new Set(BOOK_CODES).size, 194, 'no code repeats')
  t.ok(BOOK_CODES.every(cc => /^[A-Z]{2}$/.test(cc)), 'every code is two upper-case letters')
  t.same([...BOOK_CODES].sort(), BOOK_CODES, 'codes are sorted')
})

t.test('flags/ holds one folder per code with its two files, and nothing else', async t => {
  const entries = readdirSync(flags).sort()
  const expected = [...BOOK_CODES.map(cc => cc.toLowerCase()), 'README.md', 'SHA256SUMS'].sort()
  t.same(entries, expected, 'top level of flags/ is the code folders, README.md and SHA256SUMS')
  for (const cc of BOOK_CODES) {
    const dir = cc.toLowerCase()
    t.same(readdirSync(join(flags, dir)).sort(), [`${dir}.gif`, 'metadata.json'].sort(), `${dir}/ holds exactly ${dir}.gif and metadata.json`)
  }
})

t.test('metadata.json has the four keys in order with sane values', async t => {
  for (const cc of BOOK_CODES) {
    const dir = cc.toLowerCase()
    const text = readFileSync(join(flags, dir, 'metadata.json'), 'utf8')
    t.ok(text.endsWith('}\n'), `${dir}/metadata.json ends with a newline`)
    const meta = JSON.parse(text) as Record<string, unknown>
    t.same(Object.keys(meta), ['country', 'gec_cc', 'iso_cc', 'tld_cc'], `${dir}: keys are country, gec_cc, iso_cc, tld_cc in that order`)
    t.equal(meta.iso_cc, cc, `${dir}: iso_cc is the upper-case code`)
    t.equal(meta.tld_cc, TLD_NOT_ISO[cc] ?? `.${dir}`, `${dir}: tld_cc is the real ccTLD`)
    t.ok(meta.gec_cc === null || (typeof meta.gec_cc === 'string' && /^[A-Z]{2}$/.test(meta.gec_cc)), `${dir}: gec_cc is null or two upper-case letters`)
    t.ok(typeof meta.country === 'string' && meta.country.length > 2 && meta.country.trim() === meta.country, `${dir}: country is a trimmed non-empty name`)
    t.equal(text, metadataJson(flagMetadata(cc)), `${dir}/metadata.json is what the script writes now`)
  }
  for (const [cc, gec] of Object.entries(KNOWN_GEC)) {
    t.equal(flagMetadata(cc).gec_cc, gec, `${cc}: GEC code is the Factbook's ${gec}`)
  }
  for (const [cc, name] of Object.entries(KNOWN_NAMES)) {
    t.equal(flagMetadata(cc).country, name, `${cc}: country is the short name ${name}`)
  }
  const names = BOOK_CODES.map(cc => flagMetadata(cc).country)
  t.equal(new Set(names).size, names.length, 'no two countries share a name')
})

t.test('every GIF is a GIF89a of the chosen size and a few KB at most', async t => {
  for (const cc of BOOK_CODES) {
    const dir = cc.toLowerCase()
    const gif = readFileSync(join(flags, dir, `${dir}.gif`))
    t.equal(gif.subarray(0, 6).toString('latin1'), 'GIF89a', `${dir}.gif starts with GIF89a`)
    t.equal(gif.readUInt16LE(6), FLAG_WIDTH, `${dir}.gif is ${FLAG_WIDTH} px wide`)
    t.equal(gif.readUInt16LE(8), FLAG_WIDTH * 3 / 4, `${dir}.gif is 4:3`)
    t.equal(gif[gif.length - 1], 0x3b, `${dir}.gif ends with the GIF trailer`)
    t.ok(gif.length < 8192, `${dir}.gif is under 8 KB (${gif.length} bytes)`)
  }
})

t.test('SHA256SUMS lists every flag file once with its hash', async t => {
  const lines = readFileSync(join(flags, 'SHA256SUMS'), 'utf8').split('\n')
  t.equal(lines.pop(), '', 'manifest ends with a newline')
  const listed = new Map<string, string>()
  for (const line of lines) {
    const m = /^([0-9a-f]{64}) {2}([a-z]{2}\/[a-z]{2}\.gif|[a-z]{2}\/metadata\.json)$/.exec(line)
    if (m === null || m[1] === undefined || m[2] === undefined) {
      t.fail(`manifest line is "<sha256>  <cc>/<file>": ${JSON.stringify(line)}`)
      continue
    }
    t.notOk(listed.has(m[2]), `${m[2]} is listed once`)
    listed.set(m[2], m[1])
  }
  const paths = [...listed.keys()]
  t.same(paths, [...paths].sort(), 'manifest is sorted by path')
  const onDisk = BOOK_CODES.flatMap(cc => {
    const dir = cc.toLowerCase()
    return readdirSync(join(flags, dir)).map(file => `${dir}/${file}`)
  }).sort()
  t.same(paths, onDisk, 'manifest lists exactly the files in the code folders')
  for (const [path, hash] of listed) {
    t.equal(sha256(readFileSync(join(flags, path))), hash, `${path} matches its SHA256SUMS hash`)
  }
})

t.test('regenerating in memory gives the committed bytes', async t => {
  // All 194 flags render in well under a second, so no sampling.
  const started = performance.now()
  const files = buildFlagSet()
  t.comment(`rendered ${BOOK_CODES.length} flags in ${Math.round(performance.now() - started)} ms`)
  for (const [path, data] of files) {
    t.ok(Buffer.from(data).equals(readFileSync(join(flags, path))), `regenerated ${path} is byte-identical to the committed file`)
  }
  t.ok(renderFlagGif('BR').equals(renderFlagGif('BR')), 'rendering the same flag twice gives the same bytes')
})

t.test('unknown codes are refused with a message naming them', async t => {
  t.throws(() => renderFlagGif('XX'), { message: /unknown country code "XX"/ }, 'renderFlagGif refuses XX')
  t.throws(() => flagMetadata('br'), { message: /unknown country code "br"/ }, 'flagMetadata wants upper case')
  t.throws(() => countryName('ZZ'), { message: /no English name for "ZZ"/ }, 'countryName refuses a code with no name')
})

t.test('gecCode finds the Factbook profile by ccTLD', async t => {
  t.equal(gecCode('ZZ'), null, 'null for a ccTLD no profile gives')
  t.throws(() => gecCode('PS'), { message: /\.ps to several profiles \(GZ, WE\)/ }, 'refuses a ccTLD two profiles share (Gaza Strip, West Bank)')
})

t.test('assertGif89a lets GIF89a through and names anything else', async t => {
  const gif = Buffer.from('GIF89a...')
  t.equal(assertGif89a(gif, 'ok.gif'), gif, 'a GIF89a comes back as is')
  t.throws(() => assertGif89a(Buffer.from('GIF87a...'), 'old.gif'), { message: 'old.gif starts with "GIF87a", not GIF89a' }, 'GIF87a is refused')
})

t.test('sha256Manifest writes sha256sum lines sorted by path', async t => {
  const manifest = sha256Manifest(new Map<string, Buffer | string>([['b/x', 'b'], ['a/x', Buffer.from('a')]]))
  t.equal(manifest,
    `${sha256(Buffer.from('a'))}  a/x\n${sha256(Buffer.from('b'))}  b/x\n`,
    'two files, sorted, two spaces between hash and path')
})

t.test('projectRoot walks up to the folder holding package.json', async t => {
  const fromDist = pathToFileURL(join(root, 'dist', 'scripts', 'make-flags.js')).href
  t.equal(projectRoot(fromDist), root, 'from dist/scripts/ it finds the repo root')
  t.ok(existsSync(join(root, 'package.json')), 'the root holds package.json')
  const lonely = mkdtempSync(join(tmpdir(), 'make-flags-root-'))
  t.teardown(() => rmSync(lonely, { recursive: true, force: true }))
  if (!existsSync(join(tmpdir(), 'package.json')) && !existsSync('/package.json')) {
    t.throws(() => projectRoot(pathToFileURL(join(lonely, 'x.js')).href), { message: /no package.json above/ }, 'without package.json above it says so')
  }
})

t.test('writeFlagSet writes the files and refuses a folder with stray entries', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'make-flags-out-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const files = new Map<string, Buffer | string>([['br/metadata.json', '{}\n'], ['SHA256SUMS', 'x\n']])
  const out = join(dir, 'flags')
  writeFlagSet(out, files)
  t.equal(readFileSync(join(out, 'br', 'metadata.json'), 'utf8'), '{}\n', 'nested file written into a folder that did not exist')
  t.equal(readFileSync(join(out, 'SHA256SUMS'), 'utf8'), 'x\n', 'top-level file written')
  writeFlagSet(out, files)
  t.pass('a second run over its own output is accepted')
  mkdirSync(join(out, 'zz'))
  writeFileSync(join(out, 'notes.txt'), '')
  t.throws(() => writeFlagSet(out, files), { message: /does not generate: notes\.txt, zz/ }, 'stray entries are named, not deleted')
  t.ok(existsSync(join(out, 'zz')), 'stray folder is left alone')
})

t.test('the command line writes the whole set to a folder, identical to flags/', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'make-flags-main-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const logs = t.capture(console, 'log')
  t.equal(main([], dir), 0, 'exit code 0')
  t.same(logs().map(call => call.args), [[`wrote 194 flags to ${relative(process.cwd(), dir)}/`]], 'one summary line')
  const committed = readFileSync(join(flags, 'SHA256SUMS'))
  t.ok(readFileSync(join(dir, 'SHA256SUMS')).equals(committed), 'fresh SHA256SUMS equals the committed one')
  t.same(readdirSync(dir).sort(), readdirSync(flags).sort(), 'same top-level entries as flags/')

  writeFileSync(join(dir, 'stray.txt'), '')
  const errors = t.capture(console, 'error')
  t.equal(main([], dir), 1, 'exit code 1 when the folder holds a stray entry')
  t.match(errors().map(call => call.args.join(' ')), [/^make-flags: .* does not generate: stray\.txt$/], 'one-line error naming the stray entry')
})

t.test('the command line refuses arguments with one line and exit code 2', async t => {
  // Same loader as this test process, so the .ts source runs as its own main module.
  const run = spawnSync(process.execPath, [...process.execArgv, script, '--out', 'x'], { encoding: 'utf8', cwd: root })
  t.equal(run.status, 2, 'exit code 2')
  t.equal(run.stdout, '', 'nothing on stdout')
  t.match(run.stderr, /^make-flags: takes no arguments, got "--out x" \(usage: npm run flags\)\n$/, 'one-line usage error on stderr')
})
