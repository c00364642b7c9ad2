// The race page's script, run by the browser (served as race/page.js from its compiled form).
// It only draws what the harness reports over Server-Sent Events (race/events): the clocks tick
// here between two events, but every flag, every lane's end and its final time come from the
// real run. Every change of state goes through an attribute (data-done, data-elapsed-ms) so
// that a person sees it and a test can wait on it. Every URL is relative to the page, so it
// works from wherever the race server is reached (a container's published port, say).

import type { RaceEvent } from '../race.js'

type Of<T extends RaceEvent['type']> = Extract<RaceEvent, { type: T }>

function required<T extends Element> (found: T | null, what: string): T {
  if (found === null) throw new Error(`race page: no ${what}`)
  return found
}

const lanes = new Map([...document.querySelectorAll<HTMLElement>('.lane')].map(el => [el.dataset.mode ?? '', el]))
const form = required(document.querySelector('form'), 'form')
const button = required(form.querySelector('button'), 'button')
const siteField = form.elements.namedItem('site') as HTMLSelectElement
const latencyField = form.elements.namedItem('latency') as HTMLInputElement
const cpuWorkField = form.elements.namedItem('cpuWork') as HTMLInputElement
const maxReqField = form.elements.namedItem('maxReq') as HTMLInputElement
const status = required(document.getElementById('status'), '#status')
const summary = required(document.getElementById('summary'), '#summary')
let race: Of<'race'> | null = null
/** When each lane's clock started: all at once, or each at its turn. */
const startedAt = new Map<string, number>()
let ticking: ReturnType<typeof setInterval> | null = null

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

function say (text: string, failed = false): void {
  status.textContent = text
  status.classList.toggle('failed', failed)
}

function lane (mode: string): HTMLElement {
  return required(lanes.get(mode) ?? null, `lane ${mode}`)
}

function part (of: HTMLElement, name: string): HTMLElement {
  return required(of.querySelector<HTMLElement>(`.${name}`), `.${name}`)
}

function trackBar (of: HTMLElement): HTMLElement {
  return required(part(of, 'track').firstElementChild as HTMLElement | null, 'track bar')
}

function stopTicking (): void {
  if (ticking !== null) clearInterval(ticking)
  ticking = null
}

function tick (): void {
  const now = performance.now()
  let running = 0
  for (const [mode, each] of lanes) {
    if (each.hasAttribute('data-done')) continue
    running++
    const at = startedAt.get(mode)
    if (at !== undefined) part(each, 'clock').textContent = seconds(now - at)
  }
  if (running === 0) stopTicking()
}

function onRace (event: Of<'race'>): void {
  race = event
  startedAt.clear()
  summary.textContent = ''
  document.body.removeAttribute('data-done')
  button.disabled = true
  for (const { mode, concurrency } of event.modes) {
    const each = lane(mode)
    each.removeAttribute('data-done')
    each.removeAttribute('data-elapsed-ms')
    each.dataset.count = '0'
    part(each, 'flags').replaceChildren()
    part(each, 'clock').textContent = seconds(0)
    part(each, 'count').textContent = `0/${event.codes.length}`
    part(each, 'speedup').textContent = ''
    part(each, 'ideal').textContent = ''
    part(each, 'cold').textContent = ''
    part(each, 'concurrency').textContent = `${concurrency} at a time`
    trackBar(each).style.width = '0'
  }
  say(`Starting ${event.codes.length} flags from ${event.site}: each lane starts its process (pooled its worker threads too), then warms up...`)
}

/** What a lane paid before the race, shown apart as the harness shows it. */
function coldCosts ({ startupMs, coldMs }: Of<'go'>['lanes'][number], warmed: boolean): string {
  if (!warmed) return 'raced cold: not warmed up (another server\'s latency is its own)'
  const startup = startupMs === null ? '' : `worker threads started in ${seconds(startupMs)}; `
  return `Before the race, not in its time: ${startup}warm-up run ${coldMs === null ? '-' : seconds(coldMs)} (new connections, cold JIT${startupMs === null ? '' : ', each worker\'s first request'}; at no latency).`
}

function onGo (event: Of<'go'>): void {
  for (const each of event.lanes) part(lane(each.mode), 'cold').textContent = coldCosts(each, event.warmed)
  const warmed = event.warmed ? ', every lane warmed up first' : ''
  if (race === null) return
  say(event.turns
    ? `With CPU work, the lanes take turns (${race.codes.length} flags from ${race.site}${warmed}): run together, they would fight over the machine's cores, and async's one event loop would lose the most. Each lane's clock starts at its turn, so each shows what it gets alone, as npm run harness does.`
    : `Racing: ${race.codes.length} flags from ${race.site}${warmed}.`)
}

function onTurn (event: Of<'turn'>): void {
  const now = performance.now()
  for (const mode of event.modes) startedAt.set(mode, now)
  ticking ??= setInterval(tick, 31)
}

function onFlag (event: Of<'flag'>): void {
  if (race === null) return
  const each = lane(event.mode)
  const count = Number(each.dataset.count) + 1
  each.dataset.count = String(count)
  const item = document.createElement('li')
  item.className = `flag ${event.outcome}`
  item.dataset.cc = event.cc
  item.title = `${event.cc}: ${event.reason ?? event.outcome} at ${seconds(event.atMs)}`
  if (event.outcome === 'ok') {
    const image = document.createElement('img')
    const cc = event.cc.toLowerCase()
    // From the race server, with no latency or fault: the picture is decoration, the race is the lanes'.
    image.src = `race/flags/${cc}.gif`
    image.alt = ''
    image.onerror = () => image.remove()
    item.append(image)
  }
  const label = document.createElement('span')
  label.className = 'cc'
  label.textContent = event.cc
  item.append(label)
  part(each, 'flags').append(item)
  part(each, 'count').textContent = `${count}/${race.codes.length}`
  trackBar(each).style.width = `${100 * count / race.codes.length}%`
}

function onLane (event: Of<'lane'>): void {
  const each = lane(event.mode)
  part(each, 'clock').textContent = seconds(event.elapsedMs)
  each.dataset.elapsedMs = String(event.elapsedMs)
  each.setAttribute('data-done', '')
}

/** The verdicts as the page says them: who beat whom beyond the spread, who the race cannot tell apart. */
function verdictText (verdicts: Of<'result'>['verdicts']): string {
  const ahead = verdicts.flatMap(({ modes, ahead }) => ahead === 'spread' || ahead === 'unknown' ? [] : [`${ahead} ahead of ${modes[0] === ahead ? modes[1] : modes[0]}`])
  const spread = verdicts.filter(v => v.ahead === 'spread').map(v => `${v.modes[0]} and ${v.modes[1]}`)
  const unknown = verdicts.filter(v => v.ahead === 'unknown').map(v => `${v.modes[0]} and ${v.modes[1]}`)
  return [
    ahead.length > 0 ? `Beyond the spread: ${ahead.join(', ')}.` : '',
    spread.length > 0 ? `Within the run-to-run spread, not ranked: ${spread.join('; ')} (neither finished before the other's ideal).` : '',
    unknown.length > 0 ? `Not ranked, no ideal to judge by: ${unknown.join('; ')}.` : ''
  ].filter(text => text !== '').join(' ')
}

function onResult (event: Of<'result'>): void {
  const sequential = event.modes.find(m => m.mode === 'sequential')
  const speedup = (m: Of<'result'>['modes'][number]): string => `${(m.speedup ?? 0).toFixed(1)}×`
  const ideal = (m: Of<'result'>['modes'][number]): string => m.idealMs === null ? 'ideal unknown' : m.mode === 'sequential' ? `ideal ${seconds(m.idealMs)}` : `ideal ${(m.idealSpeedup ?? 0).toFixed(1)}× (${seconds(m.idealMs)})`
  for (const m of event.modes) {
    const each = lane(m.mode)
    part(each, 'clock').textContent = seconds(m.elapsedMs)
    each.dataset.idealMs = String(m.idealMs)
    each.title = `ideal ${m.idealMs === null ? 'unknown' : seconds(m.idealMs)} (only the server's waits and the CPU work); process ${m.pid}`
    const failed = m.errors + m.notFound > 0 ? ` (${m.ok} ok)` : ''
    part(each, 'speedup').textContent = (m.mode === 'sequential' ? 'baseline' : `${speedup(m)} sequential`) + failed
    part(each, 'ideal').textContent = ideal(m)
  }
  summary.textContent = event.modes.filter(m => m.mode !== 'sequential')
    .map(m => `${m.mode} ${speedup(m)}`).join(', ') + ` faster than sequential (${seconds(sequential?.elapsedMs ?? 0)}); ideal ` +
    event.modes.filter(m => m.mode !== 'sequential').map(m => `${m.mode} ${m.idealSpeedup === null ? '-' : `${m.idealSpeedup.toFixed(1)}×`}`).join(', ') + '. ' +
    'Elapsed over the ideal: ' + event.modes.map(m => `${m.mode} ${m.idealMs === null ? '-' : `${(m.idealMs > 0 ? m.elapsedMs / m.idealMs : 0).toFixed(2)}×`}`).join(', ') + '. ' +
    verdictText(event.verdicts)
  say('Done. Run it again, or npm run harness for the clean figures.')
  document.body.setAttribute('data-done', '')
  button.disabled = false
}

function onFailed (event: Of<'failed'>): void {
  say(event.message, true)
  stopTicking()
  button.disabled = false
}

const events = new EventSource('race/events')
const listen = <T extends RaceEvent['type']>(type: T, handle: (event: Of<T>) => void): void => {
  events.addEventListener(type, message => handle(JSON.parse((message as MessageEvent<string>).data) as Of<T>))
}
listen('race', onRace)
listen('go', onGo)
listen('turn', onTurn)
listen('flag', onFlag)
listen('lane', onLane)
listen('result', onResult)
listen('failed', onFailed)

form.addEventListener('submit', event => {
  event.preventDefault()
  button.disabled = true
  say('Starting the server...')
  const body = JSON.stringify({ site: siteField.value, latency: latencyField.value, cpuWork: cpuWorkField.value, maxReq: maxReqField.value })
  fetch('race/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async answer => {
    if (answer.ok) return
    say(((await answer.json()) as { error: string }).error, true)
    if (answer.status !== 409) button.disabled = false
  }, (error: Error) => {
    say(`The race server does not answer: ${error.message}`, true)
    button.disabled = false
  })
})
siteField.addEventListener('change', () => { latencyField.disabled = siteField.value !== 'embedded' })
