/**
 * The peer-monitor service's public face, as a js-libp2p service package has it
 * (`@libp2p/ping`, `@libp2p/identify`): the factory, {@link peerMonitor}, and the
 * types users see: the service ({@link PeerMonitor}), its options
 * ({@link PeerMonitorInit}, every field optional), what it needs from the node
 * ({@link PeerMonitorComponents}), its events and its peers. The class is apart,
 * in service.ts. The package entry (src/index.ts) shows all of this with an example.
 */
import type { TopicValidatorResult, TypedEventEmitter } from '@libp2p/interface'
import type { FlapLimits } from '../monitor/flapping.js'
import type { AdmissionLimits } from '../monitor/admission.js'
import type { LocalCondition, LocalHealthInit } from '../monitor/local-health.js'
import type { ReportLimits } from '../monitor/report.js'
import type { Counters, MonitoredPeer, PeerAddresses, PeerDetail, PressureView } from '../monitor/core-api.js'
import type { MonitorEvent, MonitorEventType, MetricValue, ReceivedMetric, Report } from '../monitor/types.js'
import { PeerMonitorService } from './service.js'

/**
 * The peer-monitor service factory, for `services: { monitor: peerMonitor(init) }`.
 * The node must also run a gossipsub service named `pubsub` (and identify).
 */
export function peerMonitor (init: PeerMonitorInit = {}): (components: PeerMonitorComponents) => PeerMonitor {
  return (components) => new PeerMonitorService(components, init)
}

/** Options of the peer-monitor service; every field is optional. */
export interface PeerMonitorInit {
  /** Pubsub topic of the reports. Default `peermon/v1`. */
  topic?: string
  /** Publish interval (ms). Default 1000. */
  interval?: number
  /** TTL of each published metric (ms), counted by receivers from receipt. Default `DEFAULT_TTL_INTERVALS` (3) × the interval: 3000 at the default interval. */
  ttl?: number
  /** Metrics kept per (peer, metric name). Default 25. */
  windowSize?: number
  /** Forget a peer silent for this long (ms). Default 10 minutes, or the TTL if longer. */
  retention?: number
  /** Static tags, published as string metrics `tag:<key>`. Default none. */
  tags?: Record<string, string>
  /** Directory whose disk's free space is the `freespace` metric. Default the working directory. */
  dataDir?: string
  /** Fraction of the interval by which publish times are spread. Default 0.1. */
  jitter?: number
  /** Limits applied to received reports (sizes, counts, TTL range). Defaults in `src/monitor/report.ts`. */
  limits?: Partial<ReportLimits>
  /** Most peers monitored at once. Default 10,000. */
  maxPeers?: number
  /** Most distinct metric names kept per peer. Default 64. */
  maxNamesPerPeer?: number
  /**
   * Bytes of peer state kept (estimated; src/monitor/budget.ts). Over it, silent
   * peers are evicted, heaviest first, and new peers wait. Default 256 MiB.
   */
  stateBudgetBytes?: number
  /** Admission of new peers (src/monitor/admission.ts). Default DEFAULT_ADMISSION_LIMITS. */
  admission?: Partial<AdmissionLimits>
  /** Wall clock for the display-only `sentAt` and the report epoch. Default `Date.now`; tests skew it. */
  wallClock?: () => number
  /**
   * Whose reports are monitored, by the signer's peer id: reports signed by anyone
   * else are ignored ('not-allowed'), even when an allowed peer relays them.
   * Default: everyone. Pair it with a connection gater (createNode's `allow`).
   */
  isAllowed?: (peer: string) => boolean
  /** Told of every report published and accepted, for benchmark traces. Default none. */
  trace?: ReportTrace
  /**
   * Local health: before accusing a peer of silence, check for signs that this
   * node is itself the problem (a stall, an overloaded event loop, many peers
   * overdue at once, every peer silent) and wait, for a bounded time, until it
   * has caught up; events `degraded`/`healthy` and `isolated`/`reconnected`,
   * and a `health` metric in this node's reports. Default on, with the
   * defaults of `src/monitor/local-health.ts`; `false` turns it off.
   */
  localHealth?: LocalHealthInit | false
  /**
   * Flap detection: a peer with `enterTransitions` changes into or out of alert
   * within `windowMs` is flapping (event `flapping`, its alerts marked
   * `flapping: true`) until a whole window with at most `exitTransitions` changes
   * (event `stable`). Default 4 changes within 10 × ttl; 1; 1,000 peers tracked
   * (src/constants.ts says why). `false` turns it off.
   */
  flapping?: Partial<FlapLimits> | false
  /**
   * Local health's event-loop probe (how late a timer runs every 250 ms, how
   * busy the loop was) is the same for every monitor of a process: by default
   * they share one (src/monitor/loop-probe.ts); false: this monitor runs its own timer.
   */
  sharedLoopProbe?: boolean
  /**
   * Put this node's listen addresses (libp2p's address manager: listen, announce and
   * confirmed observed addresses, at most 16) in its reports, inside the signed
   * message (its first 3 reports, every 5th after, and whenever they change or a
   * connection opened since; receivers keep the last), so that peers that hear it can dial it and keep
   * their connections (the daemon's connection keeper). Default true; false: none.
   */
  shareAddrs?: boolean
}

/**
 * Instrumentation of the report flow (the daemon's `PEERMON_TRACE`). Both
 * calls are synchronous and on the hot path: they must be cheap and not throw.
 */
export interface ReportTrace {
  /** This node published `report`, `bytes` long once encoded. */
  sent: (report: Report, bytes: number) => void
  /** This node accepted `report` (its first copy; duplicates never get here). */
  received: (report: Report) => void
}

/**
 * What the service needs from the libp2p node, and nothing more: the shapes
 * below are the parts of the node's components the service uses, so that the
 * components of a libp2p 2 node (`@chainsafe/libp2p-gossipsub`) and of a
 * libp2p 3 node (`@libp2p/gossipsub`) both fit without either line's types.
 * `pubsub` is the gossipsub service, which must be named `pubsub`.
 */
export interface PeerMonitorComponents {
  peerId: PeerIdLike
  pubsub: MonitorPubSub
  /** The part of libp2p's connection manager the monitor uses. */
  connectionManager: { getConnections: () => Array<{ remotePeer: PeerIdLike }> }
  logger: { forComponent: (name: string) => MonitorLogger }
  /** Where this node listens, put in its reports (PeerMonitorInit.shareAddrs). Optional: without it, reports carry no addresses. */
  addressManager?: { getAddresses: () => Array<{ toString: () => string }> }
  /** libp2p's event bus: `peer:connect` confirms a peer to admission (src/monitor/admission.ts). Optional. */
  events?: {
    addEventListener: (type: 'peer:connect' | 'peer:disconnect', listener: (evt: CustomEvent<PeerIdLike>) => void) => void
    removeEventListener: (type: 'peer:connect' | 'peer:disconnect', listener: (evt: CustomEvent<PeerIdLike>) => void) => void
  }
}

/** A peer id, as the monitor uses one: by its string form (a libp2p `PeerId`). */
export interface PeerIdLike {
  toString: () => string
}

/** A pubsub message as a topic validator receives it (libp2p's `Message`). */
export type ReportMessage =
  | { type: 'signed', from: PeerIdLike, data: Uint8Array }
  | { type: 'unsigned', data: Uint8Array }

/**
 * The monitor's topic validator. It returns libp2p 2's `TopicValidatorResult`, whose
 * values ('accept', 'ignore', 'reject') `@libp2p/gossipsub` compares against; TypeScript
 * takes two enums of one name and the same members as the same type.
 */
export type ReportValidator = (propagationSource: PeerIdLike, message: ReportMessage) => TopicValidatorResult

/** The part of the gossipsub service the monitor uses (libp2p 2's `PubSub`, libp2p 3's `GossipSub`). */
export interface MonitorPubSub {
  // Method signatures on purpose: libp2p's `Map<string, TopicValidatorFn>` fits, whose validators take the line's own PeerId.
  readonly topicValidators: {
    set (topic: string, validator: ReportValidator): unknown
    get (topic: string): unknown
    delete (topic: string): unknown
  }
  subscribe: (topic: string) => void
  unsubscribe: (topic: string) => void
  publish: (topic: string, data: Uint8Array) => Promise<unknown>
}

/** The part of libp2p's `Logger` the monitor uses. */
export interface MonitorLogger {
  (formatter: string, ...args: unknown[]): void
  error: (formatter: string, ...args: unknown[]) => void
}

export type { MonitoredPeer }

/** Events of the service: one per monitor event type (`alert`, `joined`, ...), plus `event` carrying every one of them. */
export type PeerMonitorEvents = {
  [T in MonitorEventType]: CustomEvent<Extract<MonitorEvent, { type: T }>>
} & {
  event: CustomEvent<MonitorEvent>
}

/** The public face of the peer monitor, reachable as `node.services.monitor`. */
export interface PeerMonitor extends TypedEventEmitter<PeerMonitorEvents> {
  /** The topic this monitor publishes and listens on. */
  readonly topic: string
  /** Set (or replace) a custom metric that this node publishes from now on. Throws RangeError on a bad name, value or TTL. */
  setMetric: (name: string, value: MetricValue, ttlMs?: number) => void
  /** Stop publishing a custom metric. Peers will see it expire and alert on it as a stuck metric. */
  deleteMetric: (name: string) => boolean
  /** Publish a report now instead of waiting for the next tick. */
  publishNow: () => Promise<void>
  /** Every monitored peer with its state. */
  peers: () => MonitoredPeer[]
  /** One monitored peer with the whole window of each of its metrics. */
  peer: (peerId: string) => (PeerDetail & { connected: boolean }) | undefined
  /**
   * The peers that stated where they listen (the addresses in their signed reports),
   * whether they are confirmed and alive: whom this node could dial.
   */
  addresses: () => PeerAddresses[]
  /** The latest metric of this name of every monitored peer. */
  latest: (name: string) => ReceivedMetric[]
  /** The window of one (peer, metric name), oldest first. */
  window: (peerId: string, name: string) => ReceivedMetric[]
  /** Names of the metrics received so far. */
  metricNames: () => string[]
  /** Reports received, accepted and dropped (by reason). */
  counters: () => Counters
  /** The byte budget of peer state and admission of new peers. */
  pressure: () => PressureView | undefined
  /** Reports this node has published. */
  readonly published: number
  /** This node's own condition (local health; always `healthy` when it is off). */
  readonly localCondition: LocalCondition
}
