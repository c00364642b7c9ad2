import t from 'tap'
import { rateSweepChart } from '../../../harness/reports/rate-sweep-chart.js'
import { HAND_SWEEP } from '../../fixtures/load-reports.js'

/** Every point's centre of one kind, as "cx,cy". */
const centres = (svg: string, kind: string): string[] =>
  [...svg.matchAll(new RegExp(`<circle class="point ${kind}" cx="([\\d.]+)" cy="([\\d.]+)"`, 'g'))].map(m => `${m[1]},${m[2]}`)

t.test('a hand-built sweep: every point where the scales put it, the knee and the closed loop labelled', async t => {
  // The plot runs from x = 64 to 904 (840 px). x is the target on a log scale from 100/√2 to
  // 400·√2, log10(8) = 3 log10(2) wide: each doubling is a third of 840 = 280 px, and 100/s sits
  // half a doubling in: x(100) = 64 + 140 = 204, x(200) = 484, x(400) = 764.
  // The rates' panel runs from y = 330 (bottom) up to 30 (300 px) over the same span, as every
  // rate (250·√2, and the closed loop's 300·√2 = 424) lies inside 70.7..565.7: a doubling is
  // 100 px, y(100) = 330 − 50 = 280, y(200) = 180; y(250) = 330 − 300 × log10(2.5·√2) / log10(8)
  // = 330 − 300 × 0.548455 / 0.903090 = 330 − 182.19 = 147.8; the closed loop's 300/s:
  // 330 − 300 × log10(3·√2) / log10(8) = 330 − 300 × 0.627636 / 0.903090 = 121.5.
  // The p99 panel runs from y = 592 up to 392 (200 px), linear from 0 to 250 × 1.08 = 270 ms:
  // y(25) = 592 − 25 / 270 × 200 = 573.5, y(50) = 592 − 37.04 = 555.0, y(250) = 592 − 185.19 = 406.8.
  const svg = rateSweepChart(HAND_SWEEP)
  t.same(centres(svg, 'achieved'), ['204.0,280.0', '484.0,180.0', '764.0,147.8'], 'achieved against target')
  t.same(centres(svg, 'p99'), ['204.0,573.5', '484.0,555.0', '764.0,406.8'], 'p99 against target')
  // y = x from corner to corner: the two axes span the same rates here.
  t.match(svg, /<line class="keeps-up" x1="64\.0" y1="330\.0" x2="904\.0" y2="30\.0"[^>]*stroke-dasharray/, 'y = x, dashed, corner to corner')
  t.match(svg, /<line x1="64" y1="121\.5" x2="904" y2="121\.5"[^>]*\/><text[^>]*>closed loop, 5 connections: 300\/s<\/text>/, 'the closed loop at 300/s, labelled')
  // The knee at x = 764, in the right half (past (64 + 904) / 2 = 484): its label ends 6 px left of the line.
  t.match(svg, /<g class="knee"><line x1="764\.0" y1="30" x2="764\.0" y2="330"[^>]*\/><line x1="764\.0" y1="392" x2="764\.0" y2="592"[^>]*\/><text x="758\.0" y="44" text-anchor="end">knee: 400\/s, achieved 250\/s<\/text><\/g>/, 'the knee down both panels, labelled')
  t.match(svg, /<title>400\/s: achieved 250\/s \(0\.625 of the target\), p99 250ms<\/title>/, 'each point\'s figures on hover')
  t.equal(rateSweepChart(structuredClone(HAND_SWEEP)), svg, 'the same sweep gives the same bytes')
})

t.test('no knee, no closed loop, no step', async t => {
  const kept = rateSweepChart({ ...HAND_SWEEP, steps: HAND_SWEEP.steps.slice(0, 2), knee: null, closed: null })
  t.match(kept, /<text class="knee"[^>]*>no knee: the server kept up with every rate<\/text>/, 'said in the plot')
  t.notMatch(kept, /closed loop, /, 'no closed loop line when it did not run')
  t.equal(centres(kept, 'achieved').length, 2)
  t.equal(rateSweepChart({ steps: [], knee: null, closed: null }), '', 'a sweep stopped before its first step: no chart')
})
