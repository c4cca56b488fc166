/**
 * Plain types shared by the pure monitor core. Nothing here imports libp2p:
 * peers are identified by their peer id string, times are milliseconds.
 */

/** A metric value: a number (load, bytes, a heartbeat counter) or a short string (a tag). */
export type MetricValue = number | string

/** One metric as a node publishes it. */
export interface Metric {
  /** Metric name, e.g. `ping`, `load`, `freespace`, `tag:zone`. */
  name: string
  value: MetricValue
  /** Time to live in milliseconds, counted from the moment a receiver gets it. */
  ttlMs: number
}

/** One metric as a receiver logged it. */
export interface ReceivedMetric extends Metric {
  /** Sender peer id. */
  peer: string
  /** Receiver's monotonic clock (ms) when the report arrived. */
  receivedAt: number
  /** receivedAt + ttlMs, on the receiver's monotonic clock. */
  expiresAt: number
  /** Sender's wall-clock time (ms since the epoch) when it published. Display only. */
  sentAt: number
}

/** Report kinds on the wire. */
export type ReportKind = 'metrics' | 'leave'

/** A decoded, validated report. */
export interface Report {
  /** Wire format version. */
  version: number
  kind: ReportKind
  /** Peer id string of the node the report is about; must equal the pubsub signer. */
  peer: string
  /** Per-process epoch (sender's wall clock at start, ms); orders reports across restarts. */
  epoch: number
  /** Per-epoch sequence number, strictly increasing. */
  seq: number
  /** Sender's wall-clock time at publish (ms since the epoch). Display only. */
  sentAt: number
  /** Sender's publish interval in ms (0 when unknown). */
  intervalMs: number
  metrics: Metric[]
  /**
   * The sender's own listen addresses (multiaddr strings without `/p2p/<id>`), so
   * that peers can dial it. Absent or empty: it said none (an older peermon).
   */
  addrs?: string[]
}

/** The state of a monitored peer. */
export type PeerState = 'alive' | 'alerting' | 'left'

/** Events the monitor emits. `peer` is always a peer id string. */
export interface JoinedEvent { type: 'joined', peer: string }
export interface AlertEvent {
  type: 'alert'
  peer: string
  metric: string
  /** How long after the metric's expiry moment the alert was raised (ms). */
  lagMs: number
  /** The TTL of the expired metric (ms). */
  ttlMs: number
  /** Age of the peer's last report when the alert was raised (ms). */
  silentMs: number
  /** The last value received for the metric. */
  lastValue: MetricValue
  /**
   * Set when this node was not healthy itself when it raised the alert (local-health.ts):
   * the alert came after the longest postponement, and its own trouble may be part of it.
   */
  degraded?: DegradedReason
  /** Present (true) while the peer is flapping (flapping.ts): its hooks are held. */
  flapping?: true
}
export interface RecoveredEvent {
  type: 'recovered'
  peer: string
  metric: string
  /** How long the metric was in alert (ms). */
  downMs: number
  /** Present (true) while the peer is flapping (flapping.ts): its hooks are held. */
  flapping?: true
}
export interface LeftEvent { type: 'left', peer: string }
export interface ForgottenEvent { type: 'forgotten', peer: string, silentMs: number }

/** The peer went in and out of alert too often within the window (flapping.ts): once per flapping episode. */
export interface FlappingEvent {
  type: 'flapping'
  peer: string
  /** State changes (into or out of alert) within the window, this one included. */
  transitions: number
  /** Time from the first to the last of those changes (ms). */
  spanMs: number
  /** The window the changes are counted in (ms). */
  windowMs: number
}
/** A flapping peer settled: a whole window with at most the exit threshold of changes. */
export interface StableEvent {
  type: 'stable'
  peer: string
  /** The state it settled in: `alerting` when it is down, `alive` when it is up. */
  state: 'alive' | 'alerting'
  /** How long it was flapping (ms). */
  flappedMs: number
  /** State changes while it was flapping, the one that started it included. */
  transitions: number
}

/** This node sees signs that it is itself the problem (local-health.ts); judging its peers waits. */
export interface DegradedEvent {
  type: 'degraded'
  reason: DegradedReason
  /** `stall`: how late a timer ran (ms). */
  lateMs?: number
  /** `overload`: how late the event-loop probe ran (ms), and the loop's utilisation (0..1). */
  delayMs?: number
  utilization?: number
  /** `receive`: how many of the live peers are overdue at once, of how many. */
  overdue?: number
  peers?: number
}
/** No sign of trouble for a while: this node judges its peers at once again. */
export interface HealthyEvent { type: 'healthy', degradedMs: number }
/** Every peer this node heard from went silent at once: it is cut off. One event instead of an alert per peer. */
export interface IsolatedEvent {
  type: 'isolated'
  /** Peers it was hearing from. */
  peers: number
  /** Time since the last report from anyone (ms). */
  silentMs: number
}
/** Reports flow again after `isolated`; peers still silent are alerted on once it has listened for a while. */
export interface ReconnectedEvent { type: 'reconnected', isolatedMs: number }

/**
 * A bound on new peers started to bind (once per episode: `budget`, `admission`),
 * or peers that were never confirmed went silent without an alert each (`silent`,
 * at most one event per 10 s with their count). See admission.ts and budget.ts.
 */
export interface CrowdedEvent {
  type: 'crowded'
  /**
   * `budget`: peer state reached its byte budget with nothing silent left to evict: new peers wait;
   * `admission`: new peers arrive faster than this node admits them: unconfirmed ones wait;
   * `silent`: `silent` unconfirmed peers went silent, counted here instead of an alert each.
   */
  reason: 'budget' | 'admission' | 'silent'
  /** Bytes of peer state held (estimated) and the budget. */
  usedBytes: number
  budgetBytes: number
  /** New peers heard from and not admitted (yet). */
  waiting: number
  /** `silent`: alerts on unconfirmed peers not raised one by one since the last such event. */
  silent?: number
}

/** Why this node does not trust its own view of its peers: see local-health.ts. */
export type DegradedReason = 'stall' | 'overload' | 'receive' | 'isolated'

/** Events about this node itself rather than about a peer. */
export type LocalEvent = DegradedEvent | HealthyEvent | IsolatedEvent | ReconnectedEvent

export type MonitorEvent = JoinedEvent | AlertEvent | RecoveredEvent | LeftEvent | ForgottenEvent
  | FlappingEvent | StableEvent | LocalEvent | CrowdedEvent
export type MonitorEventType = MonitorEvent['type']

/** A monotonic clock with timers; the real one wraps performance.now()/setTimeout, tests use a fake. */
export interface Clock {
  /** Monotonic milliseconds. */
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}
