import { readFile } from 'node:fs/promises'
import t from 'tap'
import type { HarnessReport } from '../../../harness/core/result.js'
import { LEGENDS, LOOP_COLUMNS, MODE_COLUMNS } from '../../../harness/reports/columns.js'
import { htmlReport } from '../../../harness/reports/html.js'
import { bookClosingLines, describeConfig, terminalReport } from '../../../harness/reports/terminal.js'

async function fixture (name: string): Promise<HarnessReport> {
  return JSON.parse(await readFile(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')) as HarnessReport
}

t.test('the terminal and the page show the same columns, from one definition', async t => {
  const report = await fixture('report.json')
  const text = terminalReport(report)
  const html = htmlReport(report)
  for (const columns of [MODE_COLUMNS, LOOP_COLUMNS]) {
    const headers = columns.map(c => c.header)
    t.match(text, new RegExp(`^${headers.map(h => h.replace(/[/]/g, '\\/')).join('\\s+')}$`, 'm'), `terminal: ${headers.join(' ')}`)
    t.ok(html.includes(`<tr>${headers.map(h => `<th>${h}</th>`).join('')}</tr>`), `page: ${headers.join(' ')}`)
    for (const m of report.modes) {
      const cells = columns.map(c => c.cell(m))
      t.ok(html.includes(`<tr>${cells.map(cell => `<td>${cell}</td>`).join('')}</tr>`), `page: the ${m.mode} row`)
    }
  }
  for (const legend of LEGENDS) t.ok(text.includes(legend), `terminal legend: ${legend.slice(0, 20)}...`)
})

t.test('the book\'s closing lines, word for word (flags2_common.final_report)', async t => {
  const base = (await fixture('report.json')).modes[0] as HarnessReport['modes'][number]
  t.equal(bookClosingLines({ ...base, ok: 17, notFound: 9, errors: 0, elapsedMs: 1234 }), '--------------------\n 17 flags downloaded.\n  9 not found.\nElapsed time: 1.23s')
  t.equal(bookClosingLines({ ...base, ok: 1, notFound: 0, errors: 1, elapsedMs: 50 }), '--------------------\n  1 flag downloaded.\n  1 error.\nElapsed time: 0.05s')
})

t.test('the injection line says what differs from none, as the server prints it', async t => {
  t.equal(describeConfig({ latency: '500ms..5s', jitter: '0ms', 'error-rate': '418:0.25' }), 'latency 500ms..5s, error-rate 418:0.25')
  t.equal(describeConfig({ latency: '0ms', 'slow-bps': '2048' }), 'latency 0ms', 'the defaults are left out, the latency never')
  t.equal(describeConfig(null), null, 'a server that does not show it')
})
