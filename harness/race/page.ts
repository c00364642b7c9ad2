// The race page: one self-contained HTML document (inline style and script, nothing from a CDN).
// It only draws what the harness reports over Server-Sent Events (/race/events): the clocks tick
// in the browser between two events, but every flag, every lane's end and its final time come
// from the real run.

import { escapeHtml } from '../report/html.js'
import { MODE_NAMES, type ModeName } from '../modes/mode.js'

/** The report's palette: pooled and async as in the sweep chart, outcomes as in the timelines. */
const MODE_COLOURS: Record<ModeName, string> = { sequential: '#555555', pooled: '#EE7733', async: '#0077BB' }

const MODE_BLURBS: Record<ModeName, string> = {
  sequential: 'one request after another',
  pooled: 'worker threads, one download each',
  async: 'one event loop, many requests in flight'
}

export const RACE_SITES = ['embedded', 'LOCAL', 'DELAY', 'ERROR'] as const
export type RaceSite = typeof RACE_SITES[number]

const SITE_LABELS: Record<RaceSite, string> = {
  embedded: 'the harness\'s own server (a child process)',
  LOCAL: 'LOCAL: localhost:8000, no delay',
  DELAY: 'DELAY: localhost:8001, 0.5 s to 5 s',
  ERROR: 'ERROR: localhost:8002, delays and 418s'
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

// The browser side. Every change of state goes through an attribute (data-done, data-elapsed-ms)
// so that a person sees it and a test can wait on it.
const SCRIPT = `
const lanes = new Map([...document.querySelectorAll('.lane')].map(el => [el.dataset.mode, el]))
const form = document.querySelector('form')
const button = form.querySelector('button')
const status = document.getElementById('status')
const summary = document.getElementById('summary')
let race = null
let goAt = null
let ticking = null

const seconds = ms => (ms / 1000).toFixed(2) + ' s'
const say = (text, failed) => { status.textContent = text; status.classList.toggle('failed', failed === true) }
const part = (lane, name) => lane.querySelector('.' + name)

function tick () {
  const now = performance.now()
  let running = 0
  for (const lane of lanes.values()) {
    if (lane.hasAttribute('data-done')) continue
    running++
    part(lane, 'clock').textContent = seconds(now - goAt)
  }
  if (running === 0) { clearInterval(ticking); ticking = null }
}

const handlers = {
  race (event) {
    race = event
    goAt = null
    summary.textContent = ''
    document.body.removeAttribute('data-done')
    button.disabled = true
    for (const { mode, concurrency } of event.modes) {
      const lane = lanes.get(mode)
      lane.removeAttribute('data-done')
      lane.removeAttribute('data-elapsed-ms')
      lane.dataset.count = '0'
      part(lane, 'flags').replaceChildren()
      part(lane, 'clock').textContent = seconds(0)
      part(lane, 'count').textContent = '0/' + event.codes.length
      part(lane, 'speedup').textContent = ''
      part(lane, 'concurrency').textContent = concurrency + ' at a time'
      part(lane, 'track').firstElementChild.style.width = '0'
    }
    say('Starting ' + event.codes.length + ' flags from ' + event.site + ' (pooled starts its worker threads first)...')
  },
  go () {
    goAt = performance.now()
    ticking ??= setInterval(tick, 31)
    say('Racing: ' + race.codes.length + ' flags from ' + race.site + '.')
  },
  flag (event) {
    const lane = lanes.get(event.mode)
    const count = Number(lane.dataset.count) + 1
    lane.dataset.count = String(count)
    const item = document.createElement('li')
    item.className = 'flag ' + event.outcome
    item.dataset.cc = event.cc
    item.title = event.cc + ': ' + (event.reason ?? event.outcome) + ' at ' + seconds(event.atMs)
    if (event.outcome === 'ok') {
      const image = document.createElement('img')
      const cc = event.cc.toLowerCase()
      // No latency or fault of its own: the picture is decoration, the race is the harness's.
      image.src = race.baseUrl + '/' + cc + '/' + cc + '.gif?latency=0ms&jitter=0ms&error-rate=0&reset-rate=0&hang-rate=0&slow-rate=0&truncate-rate=0'
      image.alt = ''
      image.onerror = () => image.remove()
      item.append(image)
    }
    const label = document.createElement('span')
    label.className = 'cc'
    label.textContent = event.cc
    item.append(label)
    part(lane, 'flags').append(item)
    part(lane, 'count').textContent = count + '/' + race.codes.length
    part(lane, 'track').firstElementChild.style.width = (100 * count / race.codes.length) + '%'
  },
  lane (event) {
    const lane = lanes.get(event.mode)
    part(lane, 'clock').textContent = seconds(event.elapsedMs)
    lane.dataset.elapsedMs = String(event.elapsedMs)
    lane.setAttribute('data-done', '')
  },
  result (event) {
    const sequential = event.modes.find(m => m.mode === 'sequential')
    for (const m of event.modes) {
      const lane = lanes.get(m.mode)
      part(lane, 'clock').textContent = seconds(m.elapsedMs)
      const failed = m.errors + m.notFound > 0 ? ' (' + m.ok + ' ok)' : ''
      part(lane, 'speedup').textContent = (m.mode === 'sequential' ? 'baseline' : m.speedup.toFixed(1) + '× sequential') + failed
    }
    summary.textContent = event.modes.filter(m => m.mode !== 'sequential')
      .map(m => m.mode + ' ' + m.speedup.toFixed(1) + '×').join(', ') + ' faster than sequential (' + seconds(sequential.elapsedMs) + ').'
    say('Done. Run it again, or npm run harness for the clean figures.')
    document.body.setAttribute('data-done', '')
    button.disabled = false
  },
  failed (event) {
    say(event.message, true)
    clearInterval(ticking)
    ticking = null
    button.disabled = false
  }
}

const events = new EventSource('/race/events')
for (const [type, handle] of Object.entries(handlers)) events.addEventListener(type, message => handle(JSON.parse(message.data)))

form.addEventListener('submit', async event => {
  event.preventDefault()
  button.disabled = true
  say('Starting the server...')
  const body = JSON.stringify({ site: form.site.value, latency: form.latency.value })
  try {
    const answer = await fetch('/race/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    if (!answer.ok) {
      say((await answer.json()).error, true)
      if (answer.status !== 409) button.disabled = false
    }
  } catch (error) {
    say('The race server does not answer: ' + error.message, true)
    button.disabled = false
  }
})
form.site.addEventListener('change', () => { form.latency.disabled = form.site.value !== 'embedded' })
`

function laneSection (mode: ModeName): string {
  return `<section class="lane" data-mode="${mode}" style="--colour: ${MODE_COLOURS[mode]}">
<header><h2>${mode}</h2><span class="blurb">${MODE_BLURBS[mode]}, <span class="concurrency"></span></span><span class="count"></span><span class="speedup"></span><span class="clock">0.00 s</span></header>
<div class="track"><div></div></div>
<ol class="flags"></ol>
</section>`
}

export interface RacePageDefaults {
  codes: readonly string[]
  latency: string
}

export function racePage ({ codes, latency }: RacePageDefaults): string {
  const options = RACE_SITES.map(site => `<option value="${site}">${escapeHtml(SITE_LABELS[site])}</option>`).join('')
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
<h1>Flag race: sequential, pooled and async, at the same time</h1>
<p class="note">${codes.length} flags (${escapeHtml(codes.join(' '))}), downloaded by three clients at once in the harness, each flag shown as its download completes.
The three share one event loop and the machine's cores, so this shows the shape; <code>npm run harness</code> gives the clean figures.</p>
<form>
<label>Server <select name="site">${options}</select></label>
<label>Latency (own server) <input name="latency" value="${escapeHtml(latency)}" spellcheck="false"></label>
<button type="submit">Start the race</button>
</form>
<p id="status">Ready.</p>
${MODE_NAMES.map(laneSection).join('\n')}
<p id="summary"></p>
<script>${SCRIPT}</script>
</body>
</html>
`
}
