/**
 * The libp2p glue of the peer monitor: publishes this node's report every
 * interval on the pubsub topic, feeds every received report through the
 * topic validator into the pure {@link MonitorCore}, and re-dispatches the
 * core's events as events of the service. Everything else lives in
 * `src/monitor/` and knows nothing of libp2p.
 */
import { TopicValidatorResult, TypedEventEmitter, serviceDependencies } from '@libp2p/interface'
import type { Startable } from '@libp2p/interface'
import {
  DEFAULT_INTERVAL_MS, DEFAULT_JITTER, DEFAULT_TOPIC, FIRST_REPORT_TTLS, FLAP_ENTER_TRANSITIONS, FLAP_EXIT_TRANSITIONS,
  FLAP_MAX_PEERS, FLAP_WINDOW_TTLS, LEAVE_FLUSH_MS, LOOP_PROBE_MS, defaultRetentionMs, defaultTtlMs
} from '../constants.js'
import type { FlapLimits } from '../monitor/flapping.js'
import type { AdmissionLimits } from '../monitor/admission.js'
import { Informers } from '../monitor/informers.js'
import { LoopProbe, processLoopProbe } from '../monitor/loop-probe.js'
import type { LocalCondition, LocalHealthInit } from '../monitor/local-health.js'
import { MonitorCore } from '../monitor/monitor.js'
import { emptyCounters } from '../monitor/core-api.js'
import { DEFAULT_MAX_ADDRS, REPORT_VERSION, encodeReport, validAddrs } from '../monitor/report.js'
import type { ReportLimits } from '../monitor/report.js'
import type { Counters, PeerAddresses, PeerDetail, PeerSummary, PressureView } from '../monitor/core-api.js'
import type { MonitorEvent, MetricValue, ReceivedMetric, Report, ReportKind } from '../monitor/types.js'

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

/** A monitored peer as the service reports it: the core's summary plus whether we hold a connection to it. */
export interface MonitoredPeer extends PeerSummary {
  connected: boolean
}

/** Events of the service: one per monitor event type, plus `event` carrying every one of them. */
export interface PeerMonitorEvents {
  joined: CustomEvent<Extract<MonitorEvent, { type: 'joined' }>>
  alert: CustomEvent<Extract<MonitorEvent, { type: 'alert' }>>
  recovered: CustomEvent<Extract<MonitorEvent, { type: 'recovered' }>>
  left: CustomEvent<Extract<MonitorEvent, { type: 'left' }>>
  forgotten: CustomEvent<Extract<MonitorEvent, { type: 'forgotten' }>>
  degraded: CustomEvent<Extract<MonitorEvent, { type: 'degraded' }>>
  healthy: CustomEvent<Extract<MonitorEvent, { type: 'healthy' }>>
  isolated: CustomEvent<Extract<MonitorEvent, { type: 'isolated' }>>
  reconnected: CustomEvent<Extract<MonitorEvent, { type: 'reconnected' }>>
  flapping: CustomEvent<Extract<MonitorEvent, { type: 'flapping' }>>
  stable: CustomEvent<Extract<MonitorEvent, { type: 'stable' }>>
  crowded: CustomEvent<Extract<MonitorEvent, { type: 'crowded' }>>
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

export class PeerMonitorService extends TypedEventEmitter<PeerMonitorEvents> implements PeerMonitor, Startable {
  readonly topic: string
  private readonly components: PeerMonitorComponents
  private readonly log: MonitorLogger
  private readonly intervalMs: number
  private readonly ttlMs: number
  private readonly jitter: number
  private readonly init: PeerMonitorInit
  private readonly informers: Informers
  private readonly wallClock: () => number
  private core?: MonitorCore
  private timer?: NodeJS.Timeout
  private stopProbe?: () => void
  private epoch = 0
  private seq = 0
  private started = false
  private leaving = false
  private publishCount = 0
  /** The addresses last put in a report, joined. */
  private sentAddrs = ''
  /** A connection opened since the last report that stated the addresses: the next one states them again. */
  private newNeighbour = false

  constructor (components: PeerMonitorComponents, init: PeerMonitorInit = {}) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('peermon:monitor')
    this.topic = init.topic ?? DEFAULT_TOPIC
    this.intervalMs = init.interval ?? DEFAULT_INTERVAL_MS
    this.ttlMs = init.ttl ?? defaultTtlMs(this.intervalMs)
    this.wallClock = init.wallClock ?? Date.now
    this.jitter = Math.min(Math.max(init.jitter ?? DEFAULT_JITTER, 0), 1)
    this.informers = new Informers({
      ttlMs: this.ttlMs,
      tags: init.tags ?? {},
      dataDir: init.dataDir ?? process.cwd(),
      connectedPeers: () => this.connectedPeerIds().size,
      ...(init.localHealth === false ? {} : { localHealth: () => LOCAL_CONDITION_VALUE[this.core?.localCondition ?? 'healthy'] })
    })
  }

  readonly [Symbol.toStringTag] = 'peermon:monitor'
  readonly [serviceDependencies]: string[] = ['@libp2p/pubsub']

  get published (): number { return this.publishCount }

  get localCondition (): LocalCondition { return this.core?.localCondition ?? 'healthy' }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    if (this.started) return
    this.epoch = this.wallClock()
    this.seq = 0
    this.sentAddrs = ''
    this.leaving = false
    this.core = new MonitorCore({
      self: this.components.peerId.toString(),
      windowSize: this.init.windowSize,
      retentionMs: this.init.retention ?? defaultRetentionMs(this.ttlMs),
      limits: this.init.limits,
      maxPeers: this.init.maxPeers,
      maxNamesPerPeer: this.init.maxNamesPerPeer,
      stateBudgetBytes: this.init.stateBudgetBytes,
      admission: this.init.admission,
      isAllowed: this.init.isAllowed,
      onAccepted: this.init.trace?.received,
      localHealth: this.init.localHealth === false ? false : (this.init.localHealth ?? {}),
      firstReportTtls: FIRST_REPORT_TTLS,
      flapping: this.flapLimits(),
      onEvent: (event) => { this.emit(event) }
    })
    this.started = true
    // Connected peers are real nodes: admission confirms them (src/monitor/admission.ts).
    for (const peer of this.connectedPeerIds()) this.core.connected(peer)
    this.components.events?.addEventListener('peer:connect', this.onConnect)
    this.components.events?.addEventListener('peer:disconnect', this.onDisconnect)
    if (this.init.localHealth !== false) {
      // Local health's probe: how late a timer runs, how busy the loop was. The same for every monitor of a process.
      const probe = this.init.sharedLoopProbe === false ? new LoopProbe(LOOP_PROBE_MS) : processLoopProbe
      this.stopProbe = probe.listen((lateMs, utilization) => { this.core?.sampleLoop(lateMs, utilization) })
    }
  }

  /** Subscribe once gossipsub has started (services start in parallel), then publish soon. */
  async afterStart (): Promise<void> {
    if (!this.started) return
    const { pubsub } = this.components
    pubsub.topicValidators.set(this.topic, this.validate)
    pubsub.subscribe(this.topic)
    // Publish soon after start, at a random phase so a swarm started together does not publish in step.
    this.schedule(Math.random() * Math.min(this.intervalMs, 250))
  }

  /** Publish the leave notice while connections are still open, so peers report `left` instead of alerting. */
  async beforeStop (): Promise<void> {
    if (!this.started) return
    this.leaving = true
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
    try {
      await this.publish('leave')
      await new Promise(resolve => setTimeout(resolve, LEAVE_FLUSH_MS))
    } catch (err) {
      this.log.error('could not publish leave notice - %e', err)
    }
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
    this.stopProbe?.()
    this.stopProbe = undefined
    this.components.events?.removeEventListener('peer:connect', this.onConnect)
    this.components.events?.removeEventListener('peer:disconnect', this.onDisconnect)
    const { pubsub } = this.components
    if (pubsub.topicValidators.get(this.topic) === this.validate) pubsub.topicValidators.delete(this.topic)
    try { pubsub.unsubscribe(this.topic) } catch {}
    this.core?.stop()
  }

  setMetric (name: string, value: MetricValue, ttlMs?: number): void {
    this.informers.setMetric(name, value, ttlMs ?? this.ttlMs)
  }

  deleteMetric (name: string): boolean {
    return this.informers.deleteMetric(name)
  }

  async publishNow (): Promise<void> {
    await this.publish('metrics')
  }

  peers (): MonitoredPeer[] {
    const connected = this.connectedPeerIds()
    return (this.core?.peers() ?? []).map(p => ({ ...p, connected: connected.has(p.peer) }))
  }

  peer (peerId: string): (PeerDetail & { connected: boolean }) | undefined {
    const detail = this.core?.peer(peerId)
    if (detail == null) return undefined
    return { ...detail, connected: this.connectedPeerIds().has(peerId) }
  }

  addresses (): PeerAddresses[] { return this.core?.addresses() ?? [] }
  latest (name: string): ReceivedMetric[] { return this.core?.latest(name) ?? [] }
  window (peerId: string, name: string): ReceivedMetric[] { return this.core?.window(peerId, name) ?? [] }
  metricNames (): string[] { return this.core?.metricNames() ?? [] }

  counters (): Counters {
    return this.core?.counters() ?? emptyCounters()
  }

  pressure (): PressureView | undefined {
    return this.core?.pressure()
  }

  private readonly onConnect = (evt: CustomEvent<PeerIdLike>): void => {
    this.newNeighbour = true
    this.core?.connected(evt.detail.toString())
  }
  private readonly onDisconnect = (evt: CustomEvent<PeerIdLike>): void => { this.core?.disconnected(evt.detail.toString()) }

  /**
   * Gossipsub topic validator: every report is decoded, checked and logged here, once per message id.
   * Invalid reports are rejected (not forwarded, and they count against the sender's peer score);
   * stale or duplicate ones are ignored. It never throws.
   */
  private readonly validate: ReportValidator = (propagationSource, message) => {
    if (this.core == null) return TopicValidatorResult.Ignore
    if (message.type !== 'signed') return TopicValidatorResult.Reject
    try {
      const result = this.core.handleMessage(message.from.toString(), message.data, propagationSource.toString())
      // An unconfirmed peer's report while newcomers are refused: logged here, not forwarded.
      if (result.accepted) return result.relay === false ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
      this.log('dropped report from %p: %s', message.from, result.reason)
      return IGNORED.has(result.reason) ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    } catch (err) {
      this.log.error('report from %p could not be handled - %e', message.from, err)
      return TopicValidatorResult.Ignore
    }
  }

  private flapLimits (): Partial<FlapLimits> | false {
    const init = this.init.flapping
    if (init === false) return false
    return {
      windowMs: FLAP_WINDOW_TTLS * this.ttlMs,
      enterTransitions: FLAP_ENTER_TRANSITIONS,
      exitTransitions: FLAP_EXIT_TRANSITIONS,
      maxPeers: FLAP_MAX_PEERS,
      ...Object.fromEntries(Object.entries(init ?? {}).filter(([, value]) => value !== undefined))
    }
  }

  private emit (event: MonitorEvent): void {
    this.safeDispatchEvent(event.type, { detail: event } as never)
    this.safeDispatchEvent('event', { detail: event })
  }

  private schedule (delayMs: number): void {
    if (!this.started) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.publish('metrics')
        .catch(err => { this.log.error('publish failed - %e', err) })
        .finally(() => {
          const spread = this.intervalMs * this.jitter
          this.schedule(this.intervalMs - spread / 2 + Math.random() * spread)
        })
    }, delayMs)
  }

  private async publish (kind: ReportKind): Promise<void> {
    const metrics = kind === 'metrics' ? await this.informers.collect() : []
    // A report collected while the node was leaving must not follow the leave notice.
    if (kind === 'metrics' && (!this.started || this.leaving)) return
    const report: Report = {
      version: REPORT_VERSION,
      kind,
      peer: this.components.peerId.toString(),
      epoch: this.epoch,
      seq: ++this.seq,
      sentAt: this.wallClock(),
      intervalMs: this.intervalMs,
      metrics
    }
    if (kind === 'metrics') {
      // Receivers keep the last addresses they were told: they go in the first reports of a
      // run, every ADDRS_EVERY-th after, and whenever they change; not in every report (bytes).
      const addrs = this.ownAddrs()
      const key = addrs.join(' ')
      if (addrs.length > 0 && (report.seq <= ADDRS_FIRST || report.seq % ADDRS_EVERY === 0 || key !== this.sentAddrs || this.newNeighbour)) {
        report.addrs = addrs
        this.sentAddrs = key
        this.newNeighbour = false
      }
    }
    const bytes = encodeReport(report)
    await this.components.pubsub.publish(this.topic, bytes)
    this.publishCount++
    this.init.trace?.sent(report, bytes.byteLength)
  }

  /** This node's listen addresses without its /p2p/<id> (a receiver knows the id: it signed the report). */
  private ownAddrs (): string[] {
    const manager = this.components.addressManager
    if (this.init.shareAddrs === false || manager === undefined) return []
    const suffix = `/p2p/${this.components.peerId.toString()}`
    const addrs = new Set<string>()
    for (const addr of manager.getAddresses()) {
      const text = addr.toString()
      const own = text.endsWith(suffix) ? text.slice(0, -suffix.length) : text
      // A circuit or other peer's address is not where this node listens; one receivers would refuse is not sent.
      if (own.includes('/p2p') || !validAddrs([own])) continue
      addrs.add(own)
      if (addrs.size === DEFAULT_MAX_ADDRS) break
    }
    return [...addrs]
  }

  private connectedPeerIds (): Set<string> {
    const ids = new Set<string>()
    for (const conn of this.components.connectionManager.getConnections()) ids.add(conn.remotePeer.toString())
    return ids
  }
}

/**
 * Drop reasons that say nothing bad about the sender: the message is ignored, not rejected.
 * 'not-allowed' and 'rate' depend on this node's own allow-list and limiter state, so an
 * honest peer that relayed the message (its list or timing differ) must not lose score for it.
 * 'version' and 'unknown-kind' may come from a newer peermon: not penalised, but not forwarded
 * either, since this node cannot tell such a report from junk (any bytes read as some version).
 * A new format version is rolled out by upgrading nodes, or by publishing both formats meanwhile.
 */
/**
 * A node's addresses go in its first ADDRS_FIRST reports of a run, then in every ADDRS_EVERY-th, and
 * whenever they change or a connection opened since they were last sent (a node's first reports are
 * often published before it has any connection, and reach nobody).
 */
const ADDRS_FIRST = 3
const ADDRS_EVERY = 5

/** The `health` metric's values. */
const LOCAL_CONDITION_VALUE = { healthy: 0, degraded: 1, isolated: 2 } as const

const IGNORED = new Set<string>(['self', 'replay', 'capacity', 'budget', 'admission', 'stopped', 'not-allowed', 'rate', 'version', 'unknown-kind'])
