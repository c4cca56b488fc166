/**
 * The swarm view's script: runs in the browser. Follows `/api/events`
 * (a `snapshot`, then `state` at most twice a second), redraws only the
 * matrix cells and node rows that changed, and posts the buttons' actions.
 *
 * Compiled by ./tsconfig.json (DOM types, no Node types) to
 * dist/src/swarm/browser-view/page/client.js; src/swarm/browser-view/page.ts inlines it and
 * its hash goes into the page's CSP. Only type imports. Values reach the DOM
 * as text, never as markup.
 */
import type { ActionResponse, FeedEntry, MatrixCell, ViewAction, ViewNode, ViewState, ViewTick } from '../types.js'

const ACTIONS: readonly ViewAction[] = ['kill', 'hang', 'resume', 'stop', 'restart', 'partition', 'heal']
const ACTION_TITLES: Record<ViewAction, string> = {
  kill: 'SIGKILL the node\'s process (a crash)',
  hang: 'SIGSTOP the node\'s process (it hangs with its connections open)',
  resume: 'SIGCONT: undo hang',
  stop: 'stop the node gracefully (it says goodbye: left)',
  restart: 'start the node again, with its identity, address and port',
  partition: 'move the node to the other side of a partition (nodes there still hear each other)',
  heal: 'bring the node back from the partition and clear its link faults'
}
const CELL_WORD: Record<MatrixCell, string> = { s: 'self', a: 'alive', x: 'alerting', l: 'left', '.': 'unknown', '-': 'not running' }
const FEED_MAX = 200

const params = new URLSearchParams(location.search)
const token = params.get('token') || sessionStorage.getItem('peermon-swarm-token') || ''
if (params.has('token')) {
  sessionStorage.setItem('peermon-swarm-token', token)
  params.delete('token')
  const rest = params.toString()
  history.replaceState(null, '', location.pathname + (rest !== '' ? '?' + rest : ''))
}

function $ (id: string): HTMLElement {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`the page has no #${id}`)
  return node
}

function el<K extends keyof HTMLElementTagNameMap> (tag: K, cls: string, children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (cls !== '') node.className = cls
  for (const child of children) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  return node
}

const canvas = $('matrix') as HTMLCanvasElement
const context = canvas.getContext('2d') as CanvasRenderingContext2D
const nodesBody = ($('nodes') as HTMLTableElement).tBodies[0]
/** Margin for the row and column numbers, and the side of a cell (CSS px). */
const PAD = 26
let cellPx = 14
let size = -1
let drawn = ''
let colors: Record<MatrixCell, string> = { s: '#3b4250', a: '#1f9d55', x: '#d93f3f', l: '#9aa1ab', '.': '#e8ebef', '-': '#c9ced6' }
const nodeKeys: string[] = []

function cssColor (name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  return value === '' ? fallback : value
}

/**
 * Sizes the matrix canvas and the node table for `n` nodes (once, and when the
 * size changes). The matrix is a canvas: a change repaints its cells alone
 * (a 10 000-cell table repainted whole on every change).
 */
function build (n: number): void {
  size = n
  drawn = ''
  nodeKeys.length = 0
  cellPx = Math.max(6, Math.min(22, Math.floor(560 / Math.max(n, 1))))
  const side = PAD + n * (cellPx + 1)
  const ratio = window.devicePixelRatio || 1
  canvas.width = Math.ceil(side * ratio)
  canvas.height = Math.ceil(side * ratio)
  canvas.style.width = `${side}px`
  canvas.style.height = `${side}px`
  context.setTransform(ratio, 0, 0, ratio, 0, 0)
  colors = {
    s: cssColor('--self', colors.s),
    a: cssColor('--alive', colors.a),
    x: cssColor('--alerting', colors.x),
    l: cssColor('--left', colors.l),
    '.': cssColor('--unknown', colors['.']),
    '-': cssColor('--down', colors['-'])
  }
  context.clearRect(0, 0, side, side)
  context.fillStyle = cssColor('--muted', '#6b7280')
  context.font = '10px ui-monospace, monospace'
  context.textBaseline = 'middle'
  for (let i = 0; i < n; i++) {
    if (n > 30 && i % 5 !== 0) continue
    const at = PAD + i * (cellPx + 1) + cellPx / 2
    context.textAlign = 'center'
    context.fillText(String(i), at, PAD / 2)
    context.textAlign = 'right'
    context.fillText(String(i), PAD - 4, at)
  }
  nodesBody.replaceChildren(...Array.from({ length: n }, (_, i) => {
    const tr = document.createElement('tr')
    tr.dataset.node = String(i)
    return tr
  }))
}

function paintCell (row: number, col: number, cell: MatrixCell): void {
  const x = PAD + col * (cellPx + 1)
  const y = PAD + row * (cellPx + 1)
  context.clearRect(x, y, cellPx, cellPx)
  if (cell === '-') {
    context.strokeStyle = colors['-']
    context.strokeRect(x + 0.5, y + 0.5, cellPx - 1, cellPx - 1)
  } else {
    context.fillStyle = colors[cell]
    context.fillRect(x, y, cellPx, cellPx)
  }
}

function drawMatrix (state: ViewState): void {
  const { matrix } = state
  const n = state.nodes.length
  for (let i = 0; i < matrix.length; i++) {
    if (drawn[i] !== matrix[i]) paintCell(Math.floor(i / n), i % n, matrix[i] as MatrixCell)
  }
  drawn = matrix
  // What is drawn, in words, for tests and tools (MatrixCell characters, row by row).
  canvas.dataset.matrix = matrix
}

canvas.addEventListener('mousemove', (e) => {
  const col = Math.floor((e.offsetX - PAD) / (cellPx + 1))
  const row = Math.floor((e.offsetY - PAD) / (cellPx + 1))
  const cell = drawn[row * size + col] as MatrixCell | undefined
  canvas.title = row < 0 || col < 0 || row >= size || col >= size || cell === undefined
    ? ''
    : row === col ? `node ${row}` : `node ${row} sees node ${col}: ${CELL_WORD[cell]}`
})

function stateText (node: ViewNode): string {
  if (node.state === 'exited') return `exited (${node.exit ?? '?'})`
  if (node.state === 'paused') return 'hung'
  return node.partitioned ? `${node.state}, partitioned` : node.state
}

function drawNodes (nodes: ViewNode[]): void {
  for (const node of nodes) {
    const key = JSON.stringify(node)
    if (nodeKeys[node.index] === key) continue
    nodeKeys[node.index] = key
    const tr = nodesBody.rows[node.index]
    tr.className = node.state === 'exited' || node.state === 'paused' ? node.state : node.partitioned ? 'partitioned' : ''
    tr.dataset.state = node.state
    // A packed node's partition and heal move its whole process (one network namespace): the button names them.
    const together = node.mates.length > 0 ? [node.index, ...node.mates].sort((a, b) => a - b).join(',') : ''
    const buttons = el('td', '', ACTIONS.map((action) => {
      const grouped = together !== '' && (action === 'partition' || action === 'heal')
      const button = el('button', '', [grouped ? `${action} ${together}` : action])
      button.type = 'button'
      button.dataset.action = action
      button.dataset.node = String(node.index)
      const reason = node.disabled[action]
      button.disabled = reason !== undefined
      button.title = reason ?? (grouped ? `nodes ${together} share one process and network namespace: ${action} acts on all of them. ${ACTION_TITLES[action]}` : ACTION_TITLES[action])
      return button
    }))
    tr.replaceChildren(
      el('td', 'mono', [String(node.index)]),
      el('td', 'mono', [node.peer === null ? '-' : `…${node.peer.slice(-8)}`]),
      el('td', 'state', [stateText(node)]),
      el('td', 'mono', [node.pid === null ? '-' : `${node.pid}${node.mates.length > 0 ? ` (with ${node.mates.join(',')})` : node.packed ? ' (packed)' : ''}`]),
      buttons
    )
  }
}

function drawCounts (state: ViewState): void {
  const m = state.matrix
  let alive = 0
  let alerting = 0
  for (let i = 0; i < m.length; i++) {
    if (m[i] === 'a') alive++
    else if (m[i] === 'x') alerting++
  }
  const running = state.nodes.filter((n) => n.state === 'running').length
  $('counts').textContent = `${running}/${state.nodes.length} running · ${alive} alive · ${alerting} alerting`
  $('about').textContent = `${state.nodes.length} nodes, interval ${state.intervalMs} ms, ttl ${state.ttlMs} ms, seed ${state.seed}${state.netns ? ', netns' : ''}${state.readOnly === null ? '' : `; no buttons: ${state.readOnly}`}`
  document.title = alerting > 0 ? `(${alerting} alerting) peermon swarm` : 'peermon swarm'
  const healAll = $('heal-all') as HTMLButtonElement
  healAll.hidden = !state.netns
  healAll.disabled = state.readOnly !== null
  healAll.title = state.readOnly ?? ''
}

/** The newest feed entry shown: a tick may repeat entries the snapshot already had. */
let lastSeq = 0

function addFeed (entries: FeedEntry[]): void {
  const feed = $('feed')
  for (const entry of entries) {
    if (entry.seq <= lastSeq) continue
    lastSeq = entry.seq
    const li = el('li', '', [
      el('span', 'muted', [new Date(entry.at).toLocaleTimeString()]), ' ',
      entry.node < 0 ? '' : `node ${entry.node} `,
      el('span', 'ev', [entry.event]), ' ',
      entry.detail
    ])
    li.dataset.event = entry.event
    li.dataset.node = String(entry.node)
    if (entry.peer !== null) li.dataset.peer = String(entry.peer)
    feed.insertBefore(li, feed.firstChild)
  }
  while (feed.childElementCount > FEED_MAX) feed.lastElementChild?.remove()
}

function apply (tick: ViewTick, fresh: boolean): void {
  const { state } = tick
  if (state.nodes.length !== size) build(state.nodes.length)
  if (fresh) {
    $('feed').replaceChildren()
    lastSeq = 0
  }
  drawMatrix(state)
  drawNodes(state.nodes)
  drawCounts(state)
  addFeed(tick.feed)
}

function banner (text: string): void {
  $('banner').textContent = text
}

async function post (path: string): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token !== '') headers.authorization = `Bearer ${token}`
  try {
    const res = await fetch(path, { method: 'POST', headers, body: '{}' })
    const body = await res.json() as ActionResponse | { error: string }
    banner('error' in body ? body.error : body.ok ? '' : body.message)
  } catch (err) {
    banner(`${path}: ${(err as Error).message}`)
  }
}

document.addEventListener('click', (e) => {
  const target = e.target
  if (!(target instanceof HTMLButtonElement) || target.disabled) return
  if (target.id === 'heal-all') {
    void post('/api/heal')
    return
  }
  const { action, node } = target.dataset
  if (action !== undefined && node !== undefined) void post(`/api/nodes/${node}/${action}`)
})

function connect (): void {
  const live = $('live')
  const source = new EventSource(`/api/events${token !== '' ? `?token=${encodeURIComponent(token)}` : ''}`)
  source.addEventListener('snapshot', (e) => {
    apply(JSON.parse((e as MessageEvent<string>).data) as ViewTick, true)
    live.className = 'live muted on'
    live.textContent = 'live'
  })
  source.addEventListener('state', (e) => { apply(JSON.parse((e as MessageEvent<string>).data) as ViewTick, false) })
  source.onerror = () => {
    live.className = 'live muted off'
    live.textContent = source.readyState === EventSource.CLOSED ? 'disconnected (reload to retry)' : 'reconnecting…'
  }
}

connect()
