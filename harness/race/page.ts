// The race page: one HTML document with its style inline and its script served beside it
// (browser/race-page.ts, compiled, as race/page.js), nothing from a CDN, every URL relative.

import { BOOK_SITES, PROFILE_NAMES } from '../../server/contract/sites.js'
import { MODES, RACED_MODES, type ModeName } from '../core/modes/registry.js'
import { escapeHtml } from '../reports/svg.js'

/** Where a race can go: the harness's own server, or one of the book's sites by its label. */
export const RACE_SITES: readonly string[] = ['embedded', ...PROFILE_NAMES.map(name => BOOK_SITES[name].label)]

function siteLabel (site: string): string {
  const book = PROFILE_NAMES.map(name => BOOK_SITES[name]).find(each => each.label === site)
  return book === undefined ? 'the harness\'s own server (a child process)' : `${book.label}: localhost:${book.port}, ${book.summary}`
}

const STYLE = `
body { font: 15px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif; color: #222; max-width: 1100px; margin: 20px auto; padding: 0 12px; }
h1 { font-size: 22px; margin: 0 0 4px; }
.note { color: #444; font-size: 14px; margin: 4px 0 12px; }
form { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: end; background: #f3f3f3; padding: 10px 12px; }
label { display: flex; flex-direction: column; font-size: 13px; color: #444; }
select, input, button { font: inherit; padding: 4px 6px; }
input { width: 8em; }
button { background: #0077BB; color: #fff; border: 0; padding: 6px 16px; font-weight: 600; cursor: pointer; }
button:disabled { background: #99BBE6; cursor: default; }
#status { min-height: 1.5em; margin: 10px 0; }
#status.failed { color: #AA0022; font-weight: 600; }
.lane { border-left: 6px solid var(--colour); padding: 6px 10px 10px; margin: 12px 0; background: #fafafa; }
.lane header { display: flex; align-items: baseline; gap: 14px; }
.lane h2 { font-size: 18px; margin: 0; color: var(--colour); min-width: 6.5em; }
.lane .blurb { color: #444; font-size: 13px; flex: 1; }
.lane .count, .lane .clock { font-variant-numeric: tabular-nums; }
.lane .clock { font: 600 24px/1 ui-monospace, "DejaVu Sans Mono", monospace; min-width: 5.5em; text-align: right; }
.lane[data-done] .clock { color: var(--colour); }
.lane .speedup { font-weight: 700; min-width: 10em; text-align: right; }
.lane .ideal { color: #444; font-size: 13px; min-width: 9em; }
.lane .cold { color: #666; font-size: 12px; margin: 2px 0 0; min-height: 1.2em; }
.track { height: 4px; background: #e4e4e4; margin: 6px 0; }
.track div { height: 100%; width: 0; background: var(--colour); }
ol.flags { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 0; min-height: 48px; }
.flag { width: 46px; text-align: center; font-size: 11px; }
.flag img { display: block; width: 44px; height: 33px; margin: 0 auto; border: 1px solid #ccc; }
.flag .cc { display: block; }
.flag.not-found .cc, .flag.error .cc { height: 33px; line-height: 33px; margin: 0 1px 14px; color: #fff; }
.flag.not-found .cc { background: #997700; } .flag.error .cc { background: #994455; }
#summary { font-size: 16px; font-weight: 600; }
`

function laneSection (mode: ModeName): string {
  return `<section class="lane" data-mode="${mode}" style="--colour: ${MODES[mode].colour}">
<header><h2>${mode}</h2><span class="blurb">${MODES[mode].blurb}, <span class="concurrency"></span></span><span class="count"></span><span class="speedup"></span><span class="ideal"></span><span class="clock">0.00 s</span></header>
<p class="cold"></p>
<div class="track"><div></div></div>
<ol class="flags"></ol>
</section>`
}

export interface RacePageDefaults {
  codes: readonly string[]
  latency: string
  /** The CPU work per flag the form shows first, e.g. 0ms. */
  cpuWork: string
  /** The concurrency the form shows first, as the harness's --max-req. */
  maxReq: string
}

export function racePage ({ codes, latency, cpuWork, maxReq }: RacePageDefaults): string {
  const options = RACE_SITES.map(site => `<option value="${site}">${escapeHtml(siteLabel(site))}</option>`).join('')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Flag race</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Flag race: sequential, pooled and async</h1>
<p class="note">${codes.length} flags (${escapeHtml(codes.join(' '))}), downloaded by three clients at once, each flag shown as its download completes.
Each client runs in a process of its own, started and warmed up before the race as <code>npm run harness</code> warms each mode: the three share only the server and the machine's cores.
The CPU work is done by the client after each download, on the thread that downloaded it (the harness's <code>--cpu-work</code>). With CPU work the lanes take turns, each with the cores to itself: run together, they would compete for the cores and each would show less than it gets alone.</p>
<form>
<label>Server <select name="site">${options}</select></label>
<label>Latency (own server) <input name="latency" value="${escapeHtml(latency)}" spellcheck="false"></label>
<label>CPU work per flag <input name="cpuWork" value="${escapeHtml(cpuWork)}" spellcheck="false"></label>
<label>Concurrency (max-req) <input name="maxReq" value="${escapeHtml(maxReq)}" inputmode="numeric" spellcheck="false"></label>
<button type="submit">Start the race</button>
</form>
<p id="status">Ready.</p>
${RACED_MODES.map(laneSection).join('\n')}
<p id="summary"></p>
<p class="note" id="rule">Each lane's ideal is its own schedule with nothing but the server's waits and the CPU work (as <code>npm run harness</code> reckons it); its ideal speedup is sequential's ideal over it.
What a lane takes beyond its ideal is overhead (its client, the machine's other load), and that changes from one race to the next: the lane could finish anywhere from its ideal to this race's time.
So a lane is ranked ahead of another only when it finished before the other's ideal; otherwise the two are within the run-to-run spread, and the page does not rank them.</p>
<script type="module" src="race/page.js"></script>
</body>
</html>
`
}
