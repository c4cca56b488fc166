/**
 * The live view of a running swarm, as pure functions from a snapshot to
 * output: a table redrawn in place on a terminal, one summary line per
 * refresh otherwise, or a JSON object per refresh.
 */
import { formatColumns, formatKb, formatMs, shortPeer } from './format.js'

export interface NodeSnapshot {
  index: number
  peer: string | undefined
  /** `pending` before spawn, then the child's state. */
  state: 'pending' | 'starting' | 'running' | 'paused' | 'exited'
  /** Peers this node has heard from. */
  seen: number
  /** Peers it should hear from (N - 1). */
  expected: number
  /** Peers it currently alerts on. */
  alerting: number
  pid: number | undefined
  /** Whether the node shares its process (pid, rss) with other nodes. */
  packed: boolean
  /** Resident set size of the node's process in kB, when cheap to read. */
  rssKb: number | undefined
  /** How it exited, for exited nodes. */
  exit?: string
}

export interface SwarmSnapshot {
  /** Epoch ms of the snapshot. */
  at: number
  /** Since the swarm started (ms). */
  uptimeMs: number
  intervalMs: number
  ttlMs: number
  seed: number
  nodes: NodeSnapshot[]
  /** Malformed stdout lines dropped, all nodes together. */
  garbageLines: number
}

export function renderTable (snapshot: SwarmSnapshot): string[] {
  const n = snapshot.nodes.length
  const title = `peermon swarm: ${n} node${n === 1 ? '' : 's'}, interval ${formatMs(snapshot.intervalMs)}, ` +
    `ttl ${formatMs(snapshot.ttlMs)}, seed ${snapshot.seed}, up ${formatMs(snapshot.uptimeMs)}` +
    (snapshot.garbageLines > 0 ? `, ${snapshot.garbageLines} malformed lines dropped` : '')
  const rows = snapshot.nodes.map((node) => [
    String(node.index),
    shortPeer(node.peer),
    node.state === 'exited' ? `exited (${node.exit ?? '?'})` : node.state,
    `${node.seen}/${node.expected}`,
    String(node.alerting),
    node.pid === undefined ? '-' : String(node.pid),
    node.packed && node.rssKb !== undefined ? `${formatKb(node.rssKb)} (shared)` : formatKb(node.rssKb)
  ])
  return [title, ...formatColumns([['node', 'peer', 'state', 'peers', 'alerting', 'pid', 'rss'], ...rows]), 'Ctrl-C to stop']
}

export function renderSummaryLine (snapshot: SwarmSnapshot): string {
  const nodes = snapshot.nodes
  const running = nodes.filter((n) => n.state === 'running').length
  const seen = nodes.reduce((sum, n) => sum + n.seen, 0)
  const expected = nodes.reduce((sum, n) => sum + n.expected, 0)
  const alerting = nodes.reduce((sum, n) => sum + n.alerting, 0)
  const rss = nodes.every((n) => n.rssKb === undefined)
    ? ''
    : `, rss ${formatKb(totalRssKb(nodes))}`
  const missing = nodes.filter((n) => n.state === 'running' && n.seen < n.expected).map((n) => n.index)
  return `${new Date(snapshot.at).toISOString()} up ${formatMs(snapshot.uptimeMs)}: running ${running}/${nodes.length}, ` +
    `peers seen ${seen}/${expected}, alerting ${alerting}${rss}` +
    (missing.length > 0 && missing.length < nodes.length ? `, incomplete: ${missing.join(' ')}` : '')
}

/** The RSS of the swarm's processes, each counted once (packed nodes share theirs). */
export function totalRssKb (nodes: readonly NodeSnapshot[]): number {
  const byPid = new Map<number | undefined, number>()
  let unknown = 0
  for (const n of nodes) {
    if (n.pid === undefined) unknown += n.rssKb ?? 0
    else byPid.set(n.pid, n.rssKb ?? 0)
  }
  return [...byPid.values()].reduce((sum, kb) => sum + kb, unknown)
}

export function snapshotJson (snapshot: SwarmSnapshot): Record<string, unknown> {
  return {
    ts: new Date(snapshot.at).toISOString(),
    event: 'swarm',
    uptimeMs: Math.round(snapshot.uptimeMs),
    garbageLines: snapshot.garbageLines,
    nodes: snapshot.nodes.map((n) => ({
      node: n.index,
      peer: n.peer ?? null,
      state: n.state,
      seen: n.seen,
      expected: n.expected,
      alerting: n.alerting,
      pid: n.pid ?? null,
      packed: n.packed,
      rssKb: n.rssKb ?? null,
      ...(n.exit === undefined ? {} : { exit: n.exit })
    }))
  }
}

/** ANSI: move to the first of the `previous` lines drawn last time and clear to the end of the screen. */
export function redrawPrefix (previous: number): string {
  return previous > 0 ? `\x1b[${previous}F\x1b[J` : ''
}
