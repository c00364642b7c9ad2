import t from 'tap'
import { loadHtmlReport, sweepHtmlReport } from '../../../harness/reports/load-html.js'
import { closedReport, HAND_SWEEP, openReport } from '../../fixtures/load-reports.js'

t.test('a sweep\'s page: the terminal\'s figures, its table, the chart, the knee', async t => {
  const html = sweepHtmlReport(HAND_SWEEP)
  t.match(html, /^<!DOCTYPE html>/)
  t.notMatch(html, /<script|<link|src=/, 'self-contained: no script, nothing loaded')
  t.match(html, /<h1>Flag load sweep, seed 7<\/h1>/)
  t.match(html, /<pre><code>npm run load -- --rate 100\/s,200\/s,400\/s --amount 400 --seed 7<\/code><\/pre>/, 'the command that reproduces it')
  t.match(html, /<tr><th>target<\/th><th>achieved<\/th><th>p50<\/th><th>p99<\/th><th>server loop<\/th><th>connections<\/th><th>dropped<\/th><th><\/th><\/tr>/, 'the terminal\'s columns')
  // 400/s asked, 250/s achieved, p50 half the p99 of 250 ms, the server's loop 4 ms late, 400 / 20 connections.
  t.match(html, /<tr><td>400\/s<\/td><td>250\/s<\/td><td>125ms<\/td><td>250ms<\/td><td>4\.00ms<\/td><td>20<\/td><td>0<\/td><td>&lt; knee<\/td><\/tr>/, 'the knee\'s row')
  t.equal(html.match(/<svg /g)?.length, 1, 'one chart')
  t.match(html, /<p class="note">Knee: 400\/s, achieved 250\/s, p99 250ms\.<\/p>/, 'the knee line')
  t.match(html, /<p class="note">Closed loop beside it, 5 connections \(as many as the open loop opened at the knee\): 300\/s, p50 20\.0ms, p99 40\.0ms\.<\/p>/, 'the closed loop\'s line')
  t.equal(sweepHtmlReport(structuredClone(HAND_SWEEP)), html, 'the same sweep gives the same bytes')
  t.match(sweepHtmlReport({ steps: [], knee: null, closed: null }), /Sweep: stopped before its first step/)
})

t.test('one run\'s page: every column, its lines, no chart', async t => {
  const closed = loadHtmlReport({ ...closedReport(5, 300, 40), command: 'npm run load -- --server "http://a/<b>"' })
  t.notMatch(closed, /<svg/, 'no chart for one run')
  t.match(closed, /<th>p90<\/th>.*<th>max<\/th>/, 'every column, as --wide')
  t.match(closed, /<p class="note">Little&#39;s law: C \/ mean latency = 5 \/ 20\.0ms = 300 req\/s; measured \/ that = 1\.000<\/p>/, 'the closed loop\'s lines')
  t.match(closed, /--server &quot;http:\/\/a\/&lt;b&gt;&quot;/, 'the command escaped')
  const open = loadHtmlReport(openReport(400, 250, 250))
  t.match(open, /<p class="note">Rate: target 400\/s, achieved 250\/s \(0\.625 of the target\)<\/p>/, 'the open loop\'s lines')
  t.notMatch(open, /<svg/)
})
