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
import { Informers } from '../monitor/informers.js'
import { LoopProbe, processLoopProbe } from '../monitor/loop-probe.js'
import type { LocalCondition } from '../monitor/local-health.js'
import { MonitorCore } from '../monitor/monitor.js'
import { emptyCounters } from '../monitor/core-api.js'
import { DEFAULT_MAX_ADDRS, REPORT_VERSION, encodeReport, validAddrs } from '../monitor/report.js'
import type { Counters, PeerAddresses, PeerDetail, PressureView } from '../monitor/core-api.js'
import type { MonitorEvent, MetricValue, ReceivedMetric, Report, ReportKind } from '../monitor/types.js'
import type { MonitorLogger, MonitoredPeer, PeerIdLike, PeerMonitor, PeerMonitorComponents, PeerMonitorEvents, PeerMonitorInit, ReportValidator } from './index.js'

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
