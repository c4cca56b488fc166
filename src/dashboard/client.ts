/**
 * The dashboard page's script: runs in the browser, the API's browser client.
 *
 * Compiled by ./tsconfig.json (DOM types, no Node types) to
 * dist/src/dashboard/client.js; src/api/dashboard-page.ts reads that file once
 * and inlines it as a module script, and its hash goes into the page's CSP.
 * Only type imports: they vanish at compile, so the output is this one module.
 * Values from peers only ever reach the DOM as text (textContent), never as markup.
 */
import type { AlertsResponse, API_PREFIX, ApiError, EventLine, HealthResponse, MetricValue, MetricView, PeerDetailResponse, PeersResponse, PeerState, PeerView } from '../api/types.js'
import type { MonitorEvent, MonitorEventType } from '../monitor/types.js'

const API: typeof API_PREFIX = '/api/v0'
const REFRESH_MS = 1000
const DETAILS_MS = 5000
const FEED_MAX = 100
const STATE_ORDER: Record<PeerState, number> = { alerting: 0, alive: 1, left: 2 }
// The browser script imports nothing at run time: this is monitor/informers.ts's
// BUILTIN_METRICS, kept equal by test/integration/dashboard-page.test.ts.
const BUILTIN = new Set(['ping', 'load', 'memory', 'freespace', 'peers', 'health'])
/** The `health` metric a peer reports about itself: 1 degraded, 2 isolated (0: healthy). */
const SELF_CONDITION: Record<number, string> = { 1: 'degraded', 2: 'isolated' }
const FEED_EVENTS: readonly MonitorEventType[] = ['joined', 'alert', 'recovered', 'left', 'forgotten', 'flapping', 'stable', 'degraded', 'healthy', 'isolated', 'reconnected', 'crowded']

/**
 * An event line of a monitor event, as the feed shows it: `ts`, `event` (its type)
 * and that event's own fields (MonitorEvent's, so renaming one breaks this build).
 */
type FeedLine = EventLine & { [T in MonitorEventType]: Omit<Extract<MonitorEvent, { type: T }>, 'type'> & { event: T } }[MonitorEventType]

/** A peer as the table shows it: its view, when it was fetched, its report intervals, its ticking age cell. */
interface PeerEntry {
  view: PeerView
  /** performance.now() when the view was fetched. */
  fetchedAt: number
  intervals: number[]
  ageCell: HTMLElement | null
}

/** A failed API request, with its HTTP status. */
class ApiRequestError extends Error {
  constructor (message: string, readonly status: number) {
    super(message)
  }
}

const params = new URLSearchParams(location.search)
// `||`: an empty ?token= keeps the stored token.
const token = params.get('token') || sessionStorage.getItem('peermon-token') || ''
if (params.has('token')) {
  sessionStorage.setItem('peermon-token', token)
  params.delete('token')
  const rest = params.toString()
  history.replaceState(null, '', location.pathname + (rest !== '' ? '?' + rest : ''))
}

let peers = new Map<string, PeerEntry>()
let refreshing = false
let again = false
let againDetails = false
let lastDetailsAt = -Infinity
let eventTimer: ReturnType<typeof setTimeout> | undefined
const feedLines: FeedLine[] = []
const feedKeys = new Set<string>()

function $ (id: string): HTMLElement {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`the page has no #${id}`)
  return node
}

/** Builds an element; children are nodes or strings (always text, never markup). */
function el<K extends keyof HTMLElementTagNameMap> (tag: K, cls: string, children: Array<Node | string | null>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (cls !== '') node.className = cls
  for (const child of children) {
    if (child == null) continue
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return node
}

function svg<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
  return node
}

async function api<T> (path: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token !== '') headers.authorization = 'Bearer ' + token
  const res = await fetch(API + path, { headers, cache: 'no-store' })
  if (res.ok) return await res.json() as T
  const body = await res.json().catch(() => ({})) as Partial<ApiError> | null
  throw new ApiRequestError(body?.error ?? res.statusText, res.status)
}

function fmtDuration (ms: number): string {
  if (!isFinite(ms)) return '-'
  if (ms < 0) ms = 0
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60000) return `${Math.round(ms / 100) / 10}s`
  let s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600); s -= h * 3600
  const m = Math.floor(s / 60); s -= m * 60
  return (h !== 0 ? `${h}h` : '') + (m !== 0 ? `${m}m` : '') + (s !== 0 ? `${s}s` : '')
}

function fmtBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[i]}`
}

function fmtValue (v: MetricValue): string {
  if (typeof v === 'number') return String(Number.isInteger(v) ? v : Math.round(v * 1000) / 1000)
  const s = String(v)
  return s.length > 40 ? s.slice(0, 39) + '\u2026' : s
}

function shortPeer (id: string | undefined): string {
  const chars = Array.from(id ?? '')
  return chars.length <= 9 ? chars.join('') : '\u2026' + chars.slice(-8).join('')
}

function clock (ts: string): string {
  const d = new Date(ts)
  if (isNaN(d.getTime())) return ''
  const two = (n: number): string => (n < 10 ? '0' : '') + String(n)
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

function showBanner (text: string): void {
  const banner = $('banner')
  banner.textContent = text
  banner.className = text !== '' ? 'show' : ''
}

function describeError (err: unknown): string {
  if (err instanceof ApiRequestError && err.status === 401) return 'This daemon needs its API token: open this page as /?token=<token>.'
  return "Cannot read the daemon's API: " + (err instanceof Error && err.message !== '' ? err.message : String(err))
}

/** Report intervals (ms) from a peer's windows: differences of consecutive receivedAt, oldest first. */
function intervalsOf (detail: PeerDetailResponse): number[] {
  const windows = detail.windows ?? {}
  let chosen: MetricView[] | undefined = windows.ping
  if (chosen === undefined) {
    // No ping window (it expired and was dropped): the longest one.
    for (const window of Object.values(windows)) if (chosen === undefined || window.length > chosen.length) chosen = window
  }
  const out: number[] = []
  for (let i = 1; chosen !== undefined && i < chosen.length; i++) out.push(chosen[i].receivedAt - chosen[i - 1].receivedAt)
  return out
}

function median (values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : NaN
}

/** An inline SVG sparkline of the intervals, the expected interval dashed, and the current silence of an alerting peer in red. */
function sparkline (entry: PeerEntry): SVGSVGElement {
  const W = 110; const H = 26; const P = 3
  const values = entry.intervals
  const view = entry.view
  // `||`: an unknown interval (0) and an empty window's NaN median both fall through.
  const expected = view.intervalMs || median(values) || 1000
  const gap = view.state === 'alerting' ? view.lastSeenAgoMs : null
  const top = Math.max(expected * 2, ...values, 1)
  const node = svg('svg', { class: 'spark', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' })
  const y = (v: number): string => (H - P - (Math.min(v, top) / top) * (H - 2 * P)).toFixed(1)
  // An alerting peer's silence takes the last 20 px, after its last interval.
  const right = W - P - (gap != null ? 20 : 0)
  const slots = Math.max(values.length - 1, 1)
  const x = (i: number): string => (i > slots ? W - P : P + (i / slots) * (right - P)).toFixed(1)
  const last = values.length - 1
  node.appendChild(svg('line', { class: 'expected', x1: P, x2: W - P, y1: y(expected), y2: y(expected) }))
  if (values.length > 1) {
    node.appendChild(svg('polyline', { points: values.map((v, i) => `${x(i)},${y(v)}`).join(' ') }))
  }
  if (values.length > 0) node.appendChild(svg('circle', { class: 'last', cx: x(last), cy: y(values[last]), r: 2 }))
  if (gap != null) {
    if (values.length > 0) node.appendChild(svg('line', { class: 'silence', x1: x(last), y1: y(values[last]), x2: x(slots + 1), y2: y(gap) }))
    node.appendChild(svg('circle', { class: 'gap', cx: x(slots + 1), cy: y(gap), r: 3 }))
  }
  const title = svg('title', {})
  title.textContent = values.length === 0
    ? 'no report intervals yet'
    : `report intervals (last ${values.length}): min ${fmtDuration(Math.min(...values))}, median ${fmtDuration(median(values))}, ` +
      `max ${fmtDuration(Math.max(...values))}; expected ${fmtDuration(expected)}` + (gap != null ? `; silent for ${fmtDuration(gap)}` : '')
  node.appendChild(title)
  return node
}

function metricCell (metric: MetricView | undefined, bytes: boolean): HTMLTableCellElement {
  if (metric === undefined) return el('td', 'num', ['-'])
  const text = bytes && typeof metric.value === 'number' ? fmtBytes(metric.value) : fmtValue(metric.value)
  const td = el('td', 'num' + (metric.expiresInMs <= 0 ? ' stale' : ''), [text])
  if (metric.expiresInMs <= 0) td.title = `expired ${fmtDuration(-metric.expiresInMs)} ago`
  return td
}

function tagsCell (view: PeerView): HTMLTableCellElement {
  const td = el('td', 'tags', [])
  for (const name of Object.keys(view.metrics).sort()) {
    const metric = view.metrics[name]
    if (name.startsWith('tag:')) td.appendChild(el('span', 'chip', [`${name.slice(4)}=${fmtValue(metric.value)}`]))
    else if (!BUILTIN.has(name)) td.appendChild(el('span', 'chip custom', [`${name}=${fmtValue(metric.value)}`]))
  }
  return td
}

function ageOf (entry: PeerEntry): number {
  return entry.view.lastSeenAgoMs + (performance.now() - entry.fetchedAt)
}

function renderTable (): void {
  const list = Array.from(peers.values()).sort((a, b) => {
    const s = STATE_ORDER[a.view.state] - STATE_ORDER[b.view.state]
    return s !== 0 ? s : (a.view.peer < b.view.peer ? -1 : 1)
  })
  const rows = list.map(entry => {
    const view = entry.view
    const tr = el('tr', view.state, [])
    tr.dataset.peer = view.peer
    tr.dataset.state = view.state
    tr.appendChild(el('td', 'health', []))
    const id = el('td', 'mono', [shortPeer(view.peer)])
    id.title = view.peer
    tr.appendChild(id)
    const state = el('td', '', [el('span', 'state ' + view.state, [view.state])])
    if (view.state === 'alerting' && view.alerting.length > 0) state.appendChild(el('span', 'why', [view.alerting.join(', ')]))
    if (view.flapping === true) {
      const badge = el('span', 'state flapping', ['flapping'])
      badge.title = 'going into and out of alert: its alerts still show here, its hooks are held until it is stable'
      state.appendChild(badge)
      tr.dataset.flapping = 'true'
    }
    if (view.confirmed === false) {
      const badge = el('span', 'state unconfirmed', ['unconfirmed'])
      badge.title = 'never connected to this node, heard through one neighbour only: it may be invented (a Sybil); when many such peers go silent they are counted in one crowded event instead of an alert each'
      state.appendChild(badge)
    }
    const own = view.metrics.health?.value
    const condition = typeof own === 'number' ? SELF_CONDITION[own] : undefined
    if (condition !== undefined) {
      const badge = el('span', 'state self-' + condition, [`itself ${condition}`])
      badge.title = condition === 'isolated'
        ? 'this peer says it hears none of its peers: it is cut off'
        : 'this peer says it is struggling (stalled, overloaded or on a bad link): it waits before alerting'
      state.appendChild(badge)
      tr.dataset.selfCondition = condition
    }
    tr.appendChild(state)
    entry.ageCell = el('td', 'num', [fmtDuration(ageOf(entry))])
    tr.appendChild(entry.ageCell)
    tr.appendChild(el('td', '', [view.connected ? 'yes' : 'no']))
    tr.appendChild(metricCell(view.metrics.load, false))
    tr.appendChild(metricCell(view.metrics.memory, true))
    tr.appendChild(metricCell(view.metrics.freespace, true))
    tr.appendChild(metricCell(view.metrics.peers, false))
    tr.appendChild(tagsCell(view))
    const med = median(entry.intervals)
    tr.appendChild(el('td', 'spark-cell', [sparkline(entry), el('span', 'median', [isFinite(med) ? fmtDuration(med) : ''])]))
    return tr
  })
  $('peers').replaceChildren(...rows)
  $('no-peers').hidden = rows.length > 0
  const counts: Record<PeerState, number> = { alive: 0, alerting: 0, left: 0 }
  for (const entry of list) counts[entry.view.state]++
  for (const [state, count] of Object.entries(counts)) $('count-' + state).textContent = String(count)
  document.title = (counts.alerting !== 0 ? `(${counts.alerting} alerting) ` : '') + 'peermon'
}

function tick (): void {
  for (const entry of peers.values()) if (entry.ageCell !== null) entry.ageCell.textContent = fmtDuration(ageOf(entry))
}

/**
 * Reloads the peer list (each second) and, every few seconds or when asked,
 * each peer's windows for its sparkline.
 */
function refresh (withDetails: boolean): void {
  if (refreshing) { again = true; againDetails = againDetails || withDetails; return }
  refreshing = true
  void load(withDetails)
    .then(() => { showBanner('') }, err => { showBanner(describeError(err)) })
    .then(() => {
      refreshing = false
      if (again) {
        const details = againDetails
        again = false
        againDetails = false
        refresh(details)
      }
    })
}

async function load (withDetails: boolean): Promise<void> {
  const list = await api<PeersResponse>('/peers')
  const fetchedAt = performance.now()
  const details = withDetails || fetchedAt - lastDetailsAt >= DETAILS_MS
  if (details) lastDetailsAt = fetchedAt
  $('self').textContent = list.self
  if (details) void api<HealthResponse>('/health').then(showConnections, () => {})
  const windows = await Promise.all(list.peers.map(async view => {
    if (!details && peers.has(view.peer)) return null
    return await api<PeerDetailResponse>('/peers/' + encodeURIComponent(view.peer)).catch(() => null)
  }))
  const next = new Map<string, PeerEntry>()
  list.peers.forEach((view, i) => {
    const detail = windows[i]
    const intervals = detail !== null ? intervalsOf(detail) : (peers.get(view.peer)?.intervals ?? [])
    next.set(view.peer, { view, fetchedAt, intervals, ageCell: null })
  })
  peers = next
  renderTable()
}

/** `5 / 6 connections` in the header, red while below the target with nobody to dial (or none at all). */
function showConnections (health: HealthResponse): void {
  const view = health.connections
  if (view === undefined) return
  $('count-connections').textContent = view.target > 0 ? `${view.connected} / ${view.target}` : String(view.connected)
  $('connections').classList.toggle('short', view.short || view.connected === 0)
  $('connections').title = `${view.connected} peers connected; keeps at least ${view.target} (--min-connections); ${view.known} known peers to dial; dials ${view.dials.ok} ok, ${view.dials.failed} failed${view.short ? '; below target with no known peer to dial' : ''}`
}

function feedDetail (line: FeedLine): string {
  switch (line.event) {
    case 'alert': return `${line.metric ?? ''} expired, silent ${fmtDuration(line.silentMs)} (ttl ${fmtDuration(line.ttlMs)})${line.flapping === true ? ', flapping' : ''}${line.degraded !== undefined ? `, this node ${line.degraded}` : ''}`
    case 'recovered': return `${line.metric ?? ''} back after ${fmtDuration(line.downMs)}${line.flapping === true ? ', flapping' : ''}`
    case 'flapping': return `${line.transitions} changes in ${fmtDuration(line.spanMs)} (window ${fmtDuration(line.windowMs)})`
    case 'stable': return `${line.state} after flapping ${fmtDuration(line.flappedMs)} (${line.transitions} changes)`
    case 'forgotten': return 'silent ' + fmtDuration(line.silentMs)
    case 'left': return 'left gracefully'
    case 'joined': return 'first report'
    case 'degraded': return `this node: ${line.reason}${line.lateMs !== undefined ? `, a timer ${fmtDuration(line.lateMs)} late` : ''}${line.overdue !== undefined ? `, ${line.overdue} of ${line.peers ?? '?'} peers overdue` : ''}; judging waits`
    case 'healthy': return `this node healthy again after ${fmtDuration(line.degradedMs)}`
    case 'isolated': return `this node hears none of its ${line.peers} peers; no alert per peer`
    case 'reconnected': return `this node hears its peers again after ${fmtDuration(line.isolatedMs)}`
    case 'crowded': return line.reason === 'silent'
      ? `${String(line.silent ?? '?')} unconfirmed peers went silent, no alert each`
      : line.reason === 'budget' ? 'peer state reached its budget: new peers wait' : 'new peers arrive faster than admitted: unconfirmed ones wait'
    default: return ''
  }
}

function feedItem (line: FeedLine): HTMLLIElement {
  const li = el('li', line.event, [
    el('span', 'time', [clock(line.ts)]),
    el('span', 'what', [line.event]),
    el('span', 'mono', [shortPeer(line.peer)]),
    el('span', 'detail', [feedDetail(line)])
  ])
  li.dataset.event = line.event
  li.dataset.peer = line.peer ?? ''
  li.title = `${line.ts} ${line.peer ?? ''}`
  return li
}

const feedKey = (line: FeedLine): string => `${line.ts} ${line.event} ${line.peer ?? ''} ${line.metric ?? ''}`

/**
 * Merges events into the feed, newest first, without duplicates: the history
 * (loaded at start and after a reconnect) and the stream may overlap and
 * arrive in either order.
 */
function mergeFeed (lines: FeedLine[]): void {
  for (const line of lines) {
    const key = feedKey(line)
    if (feedKeys.has(key)) continue
    feedKeys.add(key)
    feedLines.push(line)
  }
  feedLines.sort((a, b) => a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0)
  for (const line of feedLines.splice(FEED_MAX)) feedKeys.delete(feedKey(line))
  $('feed').replaceChildren(...feedLines.map(feedItem))
  $('no-events').hidden = feedLines.length > 0
}

/** The alert history holds only monitor events (HistoryEventType). */
function loadHistory (): void {
  api<AlertsResponse>('/alerts?limit=' + FEED_MAX).then(res => {
    mergeFeed(res.events as FeedLine[])
  }).catch(err => { showBanner(describeError(err)) })
}

function follow (): void {
  const live = $('live')
  const url = `${API}/events?type=${FEED_EVENTS.join(',')}` + (token !== '' ? '&token=' + encodeURIComponent(token) : '')
  const source = new EventSource(url)
  let dropped = false
  source.onopen = () => {
    live.className = 'live on'
    live.textContent = 'live'
    if (dropped) { dropped = false; loadHistory(); refresh(true) }
  }
  source.onerror = () => {
    dropped = true
    live.className = 'live off'
    live.textContent = 'reconnecting\u2026'
  }
  for (const type of FEED_EVENTS) {
    source.addEventListener(type, (message: MessageEvent<string>) => {
      let line: EventLine | null
      try { line = JSON.parse(message.data) } catch { return }
      if (line == null || typeof line.event !== 'string') return
      mergeFeed([line as FeedLine])
      clearTimeout(eventTimer)
      eventTimer = setTimeout(() => { refresh(true) }, 150)
    })
  }
}

loadHistory()
refresh(true)
follow()
setInterval(() => { refresh(false) }, REFRESH_MS)
setInterval(tick, 250)
