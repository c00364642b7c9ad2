// The live page: one HTML document with its style inline and its script served beside it
// (page/live-page.ts, compiled, as live/page.js), nothing from a CDN, every URL relative.

import { FAULT_COLOURS } from './colours.js'

const STYLE = `
body { font: 15px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif; color: #222; margin: 16px 20px; }
h1 { font-size: 22px; margin: 0 0 2px; }
.note { color: #444; font-size: 14px; margin: 2px 0 8px; }
#bar { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
button { font: inherit; padding: 4px 14px; background: #0077BB; color: #fff; border: 0; cursor: pointer; }
#summary { font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
#legend span { display: inline-block; margin-right: 12px; font-size: 13px; }
#legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
svg { display: block; background: #fafafa; margin: 6px 0; }
svg text { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; fill: #444; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; }
td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
#status.warn { color: #AA0022; }
`

export function livePage (site: string): string {
  const legend = Object.entries(FAULT_COLOURS).map(([fate, colour]) => `<span data-fate="${fate}" data-colour="${colour}"><i style="background:${colour}"></i>${fate}</span>`).join('')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Live: ${site}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Live: the requests site ${site} sees, from any client</h1>
<p class="note">Each flag request is a bar from its arrival to the end of its answer, one row per client connection (per client address when there are many); under them, the requests in flight. A pause of a few seconds with nothing in flight ends a run.</p>
<div id="bar"><button type="button" id="pause">Pause</button><span id="injection"></span><span id="status">Connecting…</span></div>
<p id="summary" data-run="0">Waiting for requests.</p>
<p id="legend">${legend}</p>
<svg id="bars" width="1200" height="60"></svg>
<svg id="concurrency" width="1200" height="110"></svg>
<table><thead><tr><th>run</th><th>requests</th><th>elapsed</th><th>greatest concurrency</th><th>connections</th><th>errors</th></tr></thead><tbody id="runs"></tbody></table>
<script type="module" src="live/page.js"></script>
</body>
</html>
`
}
