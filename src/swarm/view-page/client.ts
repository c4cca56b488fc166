/**
 * The swarm view's script: runs in the browser. Follows `/api/events`
 * (a `snapshot`, then `state` at most twice a second), redraws only the
 * matrix cells and node rows that changed, and posts the buttons' actions.
 *
 * Compiled by ./tsconfig.json (DOM types, no Node types) to
 * dist/src/swarm/view-page/client.js; src/swarm/view-page.ts inlines it and
 * its hash goes into the page's CSP. Only type imports. Values reach the DOM
 * as text, never as markup.
 */
import type { ActionResponse, FeedEntry, MatrixCell, ViewAction, ViewNode, ViewState, ViewTick } from '../view-types.js'

const ACTIONS: readonly ViewAction[] = ['kill', 'hang', 'resume', 'stop', 'partition', 'heal']
const ACTION_TITLES: Record<ViewAction, string> = {
  kill: 'SIGKILL the node\'s process (a crash)',
  hang: 'SIGSTOP the node\'s process (it hangs with its connections open)',
  resume: 'SIGCONT: undo hang',
  stop: 'stop the node gracefully (it says goodbye: left)',
  partition: 'move the node to the other side of a partition (nodes there still hear each other)',
  heal: 'bring the node back from the partition and clear its link faults'
}
const CELL_CLASS: Record<MatrixCell, string> = { s: 's', a: 'a', x: 'x', l: 'l', '.': 'u', '-': 'd' }
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

const matrixHead = ($('matrix') as HTMLTableElement).tHead as HTMLTableSectionElement
const matrixBody = ($('matrix') as HTMLTableElement).tBodies[0]
const nodesBody = ($('nodes') as HTMLTableElement).tBodies[0]
let size = -1
let cells: HTMLTableCellElement[] = []
let rowHeads: HTMLTableCellElement[] = []
let drawn = ''
const nodeKeys: string[] = []

/** Builds the matrix and node tables for `n` nodes (once, and when the size changes). */
function build (n: number): void {
  size = n
  drawn = ''
  nodeKeys.length = 0
  document.documentElement.style.setProperty('--cell', `${Math.max(8, Math.min(22, Math.floor(560 / Math.max(n, 1))))}px`)
  const head = el('tr', '', [el('th', '', [])])
  for (let col = 0; col < n; col++) head.appendChild(el('th', '', [n <= 30 || col % 5 === 0 ? String(col) : '']))
  matrixHead.replaceChildren(head)
  cells = []
  rowHeads = []
  const rows: HTMLTableRowElement[] = []
  for (let row = 0; row < n; row++) {
    const th = el('th', '', [String(row)])
    const tr = el('tr', '', [th])
    tr.dataset.node = String(row)
    rowHeads.push(th)
    for (let col = 0; col < n; col++) {
      const td = document.createElement('td')
      tr.appendChild(td)
      cells.push(td)
    }
    rows.push(tr)
  }
  matrixBody.replaceChildren(...rows)
  nodesBody.replaceChildren(...Array.from({ length: n }, (_, i) => {
    const tr = document.createElement('tr')
    tr.dataset.node = String(i)
    return tr
  }))
}

function drawMatrix (state: ViewState): void {
  const { matrix, nodes } = state
  const n = nodes.length
  for (let i = 0; i < matrix.length; i++) {
    const cell = matrix[i] as MatrixCell
    if (drawn[i] === cell) continue
    const td = cells[i]
    td.className = CELL_CLASS[cell]
    const row = Math.floor(i / n)
    const col = i % n
    td.title = row === col ? `node ${row}` : `node ${row} sees node ${col}: ${CELL_WORD[cell]}`
  }
  drawn = matrix
  for (const node of nodes) {
    const th = rowHeads[node.index]
    const cls = node.state === 'exited' || node.state === 'paused' ? node.state : node.partitioned ? 'partitioned' : ''
    if (th.className !== cls) th.className = cls
  }
}

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
    const buttons = el('td', '', ACTIONS.map((action) => {
      const button = el('button', '', [action])
      button.type = 'button'
      button.dataset.action = action
      button.dataset.node = String(node.index)
      const reason = node.disabled[action]
      button.disabled = reason !== undefined
      button.title = reason ?? ACTION_TITLES[action]
      return button
    }))
    tr.replaceChildren(
      el('td', 'mono', [String(node.index)]),
      el('td', 'mono', [node.peer === null ? '-' : `…${node.peer.slice(-8)}`]),
      el('td', 'state', [stateText(node)]),
      el('td', 'mono', [node.pid === null ? '-' : `${node.pid}${node.packed ? ' (packed)' : ''}`]),
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
  $('about').textContent = `${state.nodes.length} nodes, interval ${state.intervalMs} ms, ttl ${state.ttlMs} ms, seed ${state.seed}${state.netns ? ', netns' : ''}`
  document.title = alerting > 0 ? `(${alerting} alerting) peermon swarm` : 'peermon swarm'
  ;($('heal-all') as HTMLButtonElement).hidden = !state.netns
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
