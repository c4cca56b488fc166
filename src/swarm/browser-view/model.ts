/**
 * The swarm view's state, as pure code: the who-sees-whom matrix from the
 * launcher's peer tables, which actions each node allows (and why not), and
 * the event feed. No network, no timers: server.ts feeds it the swarm's
 * events and sends what it computes.
 */
import type { EventLine } from '../../events/event.js'
import type { PeerTable } from '../nodes/peer-table.js'
import type { FeedEntry, MatrixCell, ViewAction, ViewNode } from './types.js'

/** What the model needs to know of one node (a SwarmNode fits; undefined: not spawned yet). */
export interface NodeFacts {
  peer: string | undefined
  state: 'starting' | 'running' | 'paused' | 'exited'
  packed: boolean
  pid: number | undefined
}

/** Daemon events the feed shows. */
export const FEED_EVENTS: ReadonlySet<string> = new Set([
  'joined', 'alert', 'recovered', 'left', 'forgotten', 'flapping', 'stable', 'degraded', 'healthy', 'isolated', 'reconnected', 'crowded'
])

/** Feed entries kept (the page gets them when it connects). */
export const FEED_KEEP = 300

/**
 * The matrix, row by row: what node `row` believes about node `col`
 * (MatrixCell), from its peer table and the peers that left it.
 */
export function matrixOf (nodes: ReadonlyArray<NodeFacts | undefined>, tables: readonly PeerTable[], left: ReadonlyArray<ReadonlySet<string>>): string {
  const n = tables.length
  const cells: MatrixCell[] = []
  for (let row = 0; row < n; row++) {
    const observer = nodes[row]
    const running = observer !== undefined && observer.state !== 'exited' && observer.peer !== undefined
    for (let col = 0; col < n; col++) {
      if (row === col) cells.push('s')
      else if (!running) cells.push('-')
      else cells.push(cellOf(tables[row], left[row], nodes[col]?.peer))
    }
  }
  return cells.join('')
}

function cellOf (table: PeerTable, left: ReadonlySet<string> | undefined, peer: string | undefined): MatrixCell {
  if (peer === undefined) return '.'
  if (table.alerting.has(peer)) return 'x'
  if (table.peers.has(peer)) return 'a'
  if (left?.has(peer) === true) return 'l'
  return '.'
}

/** What the view knows of the swarm besides the node itself. */
export interface ViewNodeOptions {
  netns: boolean
  /** Whether the view's own partition put the node on the other side. */
  partitioned: boolean
  /** Why the view takes no action at all (a scenario file drives the swarm); undefined: it does. */
  readOnly?: string
  /** The other nodes of its process (with --netns: of its namespace). */
  mates?: number[]
}

/** Why each action cannot be done to a node now; an action not listed can be. */
export function disabledActions (node: NodeFacts | undefined, options: ViewNodeOptions): Partial<Record<ViewAction, string>> {
  const all = (reason: string): Partial<Record<ViewAction, string>> =>
    ({ kill: reason, hang: reason, resume: reason, stop: reason, restart: reason, partition: reason, heal: reason })
  if (options.readOnly !== undefined) return all(options.readOnly)
  if (node === undefined) return all('not started yet')
  if (node.state === 'exited') {
    const { restart: _, ...exited } = all('the node has exited')
    return exited
  }
  const out: Partial<Record<ViewAction, string>> = { restart: 'still running: kill or stop it first' }
  if (node.packed) {
    // A packed node is killed alone (its connections reset, no leave), but SIGSTOP would freeze its whole process.
    const reason = 'packed with other nodes in one process: SIGSTOP would freeze them too, and one node\'s timers and sockets cannot be frozen alone (run with --per-process 1)'
    out.hang = reason
    out.resume = reason
  } else {
    if (node.state === 'paused') out.hang = 'already hung'
    if (node.state !== 'paused') out.resume = 'not hung'
  }
  if (!options.netns) {
    const reason = 'partitions need the swarm on network namespaces: run peermon swarm with --netns (root)'
    out.partition = reason
    out.heal = reason
  } else if (options.partitioned) {
    out.partition = 'already on the other side of the partition'
  } else {
    out.heal = 'not partitioned'
  }
  return out
}

/**
 * The groups to hand NetnsLan.partition(): the nodes the view partitioned
 * (they still hear each other) against all the others; none when no node is.
 */
export function partitionGroups (partitioned: ReadonlySet<number>, nodes: number): number[][] {
  if (partitioned.size === 0) return []
  const side = [...partitioned].sort((a, b) => a - b)
  const rest = Array.from({ length: nodes }, (_, i) => i).filter((i) => !partitioned.has(i))
  return rest.length === 0 ? [] : [side, rest]
}

/** The page's view of one node. */
export function viewNode (index: number, node: NodeFacts | undefined, exit: string | undefined, options: ViewNodeOptions): ViewNode {
  return {
    index,
    peer: node?.peer ?? null,
    state: node?.state ?? 'pending',
    packed: node?.packed ?? false,
    mates: options.mates ?? [],
    pid: node?.pid ?? null,
    exit: exit ?? null,
    partitioned: options.partitioned,
    disabled: disabledActions(node, options)
  }
}

/**
 * The peers that left each node (their `left` event, not followed by a
 * `joined` or `forgotten`): PeerTable drops a peer that left, the matrix
 * still shows it as left rather than unknown.
 */
export class LeftPeers {
  private readonly byNode: Array<Set<string>> = []

  apply (node: number, event: EventLine): void {
    const peer = event.peer
    if (peer === undefined) return
    const set = this.byNode[node] ??= new Set()
    if (event.event === 'left') set.add(peer)
    else if (event.event === 'joined' || event.event === 'forgotten' || event.event === 'alert') set.delete(peer)
  }

  /** One set per node, empty for nodes with none. */
  sets (nodes: number): Array<ReadonlySet<string>> {
    return Array.from({ length: nodes }, (_, i) => this.byNode[i] ?? new Set<string>())
  }
}

/** The feed: the last FEED_KEEP entries, and those added since the last take(). */
export class Feed {
  private readonly kept: FeedEntry[] = []
  private seq = 0
  private taken = 0

  constructor (private readonly keep = FEED_KEEP) {}

  /** Adds a daemon's event if the feed shows its kind; `indexOf` maps a peer id to its node. */
  addEvent (node: number, at: number, event: EventLine, indexOf: (peer: string) => number | undefined): void {
    if (!FEED_EVENTS.has(event.event)) return
    const peer = event.peer === undefined ? null : indexOf(event.peer) ?? null
    this.add({ at, node, event: event.event, peer, detail: detailOf(event, peer) })
  }

  add (entry: Omit<FeedEntry, 'seq'>): void {
    this.kept.push({ ...entry, seq: ++this.seq })
    if (this.kept.length > this.keep) this.kept.splice(0, this.kept.length - this.keep)
  }

  /** Every entry kept. */
  all (): FeedEntry[] {
    return [...this.kept]
  }

  /** The entries added since the previous call (those still kept). */
  take (): FeedEntry[] {
    const fresh = this.kept.filter((entry) => entry.seq > this.taken)
    this.taken = this.seq
    return fresh
  }
}

function detailOf (event: EventLine, peer: number | null): string {
  if (event.event === 'crowded') {
    return event.reason === 'silent' ? `${String(event.silent)} unconfirmed peers went silent, no alert each` : `${String(event.reason)}: ${String(event.waiting)} new peers waiting`
  }
  const about = peer === null ? (event.peer === undefined ? '' : `peer …${event.peer.slice(-8)}`) : `node ${peer}`
  const metric = typeof event.metric === 'string' && event.metric !== '' ? ` ${event.metric}` : ''
  return `${about}${metric}`.trim()
}
