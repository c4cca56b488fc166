/**
 * What the swarm view's server sends its page, and what the page may ask it
 * to do. Plain JSON shapes with no imports: the page's script (page/,
 * DOM types only) imports them as types.
 */

/**
 * One cell of the who-sees-whom matrix, as one character of a row:
 * - `s` self (the diagonal);
 * - `a` alive: the observer hears the peer and does not alert on it;
 * - `x` alerting: the observer alerts on at least one of the peer's metrics;
 * - `l` left: the peer said goodbye to the observer (and was not heard since);
 * - `.` unknown: the observer has not heard from the peer (yet, or since it forgot it);
 * - `-` no observer: the row's node is not running (not started, or exited).
 */
export type MatrixCell = 's' | 'a' | 'x' | 'l' | '.' | '-'

/** Things the page can do to one node. */
export type ViewAction = 'kill' | 'hang' | 'resume' | 'stop' | 'restart' | 'partition' | 'heal'
export const VIEW_ACTIONS: readonly ViewAction[] = ['kill', 'hang', 'resume', 'stop', 'restart', 'partition', 'heal']

export interface ViewNode {
  index: number
  peer: string | null
  /** `pending` before spawn, then the node's state. */
  state: 'pending' | 'starting' | 'running' | 'paused' | 'exited'
  /** Whether the node shares its process with others (then signals cannot single it out). */
  packed: boolean
  /**
   * The other nodes of its process, in order (empty when it runs alone). With
   * --netns they share its network namespace too: partition and heal move them together.
   */
  mates: number[]
  pid: number | null
  /** How it exited, once it did. */
  exit: string | null
  /** Whether the view put it on the far side of a partition (--netns). */
  partitioned: boolean
  /** Why each action that cannot be done now cannot; an action not listed can be done. */
  disabled: Partial<Record<ViewAction, string>>
}

/** The swarm as the page draws it: sent whole (it is small), at most every tick when it changed. */
export interface ViewState {
  intervalMs: number
  ttlMs: number
  seed: number
  /** Whether the swarm runs on network namespaces (partitions possible). */
  netns: boolean
  /** Why the page offers no action (a scenario file drives the swarm); null: it does. */
  readOnly: string | null
  nodes: ViewNode[]
  /** The matrix, row by row (row = observer, column = peer): nodes.length² MatrixCell characters. */
  matrix: string
}

/** One line of the swarm's event feed. */
export interface FeedEntry {
  /** Increasing number of the entry, from 1. */
  seq: number
  /** Epoch ms of the event. */
  at: number
  /** The node that printed the event, or that an action or exit concerns. */
  node: number
  /**
   * A daemon's event (`alert`, `recovered`, `joined`, `left`, `forgotten`, `degraded`,
   * `isolated`, ...), `exited` (the node's process ended), `action` (done from the view) or
   * `step` (a scenario file's step, or its end; node -1).
   */
  event: string
  /** The node the event is about, when it is a node of this swarm. */
  peer: number | null
  /** More words: the metric of an alert, how a node exited, the action done. */
  detail: string
}

/** Server-sent event `state` (and `snapshot`, which adds the feed so far). */
export interface ViewTick {
  state: ViewState
  /** Feed entries since the previous tick (the snapshot: the last ones kept). */
  feed: FeedEntry[]
}

/** Answer to `POST /api/nodes/:index/:action` and `POST /api/heal`. */
export interface ActionResponse {
  ok: boolean
  message: string
}
