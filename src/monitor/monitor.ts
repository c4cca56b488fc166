import { Admission } from './admission.js'
import { StateBudget } from './budget.js'
import { systemClock } from './clock.js'
import { FlapDetector } from './flapping.js'
import { LocalHealth } from './local-health.js'
import type { LocalCondition } from './local-health.js'
import { Newcomers } from './newcomers.js'
import { peerState, summarize } from './peer-record.js'
import type { PeerRecord } from './peer-record.js'
import { RateLimiter } from './rate.js'
import type { ReplayMemory } from './replay-memory.js'
import { DEFAULT_REPORT_LIMITS, decodeReport } from './report.js'
import type { DropReason, ReportLimits } from './report.js'
import { Roster } from './roster.js'
import type { Evict } from './roster.js'
import { DEFAULT_MAX_NAMES_PER_PEER, DEFAULT_MAX_PEERS, MetricStore } from './store.js'
import { ExpiryTracker } from './tracker.js'
import type { Clock, MonitorEvent, ReceivedMetric, Report } from './types.js'
import { MetricWatch } from './watch.js'
import type { Deadline, LocalCheck } from './watch.js'
import { DEFAULT_PING_METRIC, emptyCounters } from './core-api.js'
import { DEFAULT_RETENTION_MS, EXACT_TTLS } from './defaults.js'
import type { Counters, HandleResult, MonitorCoreInit, PeerAddresses, PeerDetail, PeerSummary, PressureView } from './core-api.js'

/**
 * The receive side of the monitor, pure and synchronous. A message goes
 * through intake (decode, replay and rate checks), admission (a new peer, into
 * the roster: roster.ts), logging (its metrics into the store, their expiry
 * deadlines into the tracker), and its events are emitted; later, deadlines
 * expire. Events: joined / alert / recovered / left / forgotten, crowded,
 * local health's, and flapping / stable for a peer that keeps going into and
 * out of alert (flapping.ts).
 */
export class MonitorCore {
  /** The byte budget of peer state, shared with other accounts (e.g. the replay record). */
  readonly budget: StateBudget
  private readonly self: string
  private readonly clock: Clock
  private readonly retentionMs: number
  private readonly limits: ReportLimits
  private readonly rate: RateLimiter
  private readonly isAllowed: (peer: string) => boolean
  private readonly onAccepted: ((report: Report) => void) | undefined
  private readonly firstReportTtls: number
  private readonly onEvent: MonitorCoreInit['onEvent']
  private readonly onEventError: NonNullable<MonitorCoreInit['onEventError']>
  private readonly admission: Admission
  /** Known peers, their bytes, eviction and the replay record. */
  private readonly roster: Roster
  private readonly newcomers: Newcomers
  private readonly store: MetricStore
  private readonly watch: MetricWatch
  private readonly tracker: ExpiryTracker<Deadline>
  private readonly count: Counters
  /** Flap detection (flapping.ts); undefined when turned off. */
  private readonly flaps: FlapDetector | undefined
  /** Judges whether this node can trust its own view before it accuses a peer; undefined when off. */
  private readonly health: LocalHealth | undefined
  private readonly localCheck: LocalCheck = { kind: 'local' }
  /** Events of local health, emitted before the others of the same call. */
  private readonly localEvents: MonitorEvent[] = []
  /** Monotonic ms of the last accepted report from anyone. */
  private lastReceiptAt = 0
  private stopped = false
  /** Events of the message being handled, for evictions the store's growth causes. */
  private pendingEvents: MonitorEvent[] | undefined
  /** Evicts for the store's growth: the events go with those of the message being handled (if any). */
  private readonly evictPending: Evict = (record) => { this.evict(record, this.pendingEvents ?? []) }

  /** Throws RangeError on invalid options. */
  constructor (init: MonitorCoreInit) {
    this.self = init.self
    this.clock = init.clock ?? systemClock
    this.retentionMs = init.retentionMs ?? DEFAULT_RETENTION_MS
    if (!(this.retentionMs > 0)) throw new RangeError(`retentionMs must be > 0, got ${this.retentionMs}`)
    this.limits = { ...DEFAULT_REPORT_LIMITS, ...init.limits }
    const maxPeers = init.maxPeers ?? DEFAULT_MAX_PEERS
    const pingMetric = init.pingMetric ?? DEFAULT_PING_METRIC
    this.rate = new RateLimiter(init.rate)
    this.isAllowed = init.isAllowed ?? (() => true)
    this.onAccepted = init.onAccepted
    this.firstReportTtls = init.firstReportTtls ?? EXACT_TTLS
    if (!(this.firstReportTtls >= 1)) throw new RangeError(`firstReportTtls must be >= 1, got ${this.firstReportTtls}`)
    this.onEvent = init.onEvent
    this.onEventError = init.onEventError ?? ((err) => { queueMicrotask(() => { throw err }) })
    this.budget = init.budget ?? new StateBudget(init.stateBudgetBytes)
    this.admission = new Admission(init.admission, this.clock.now())
    this.roster = new Roster({ budget: this.budget, admission: this.admission, maxPeers, pingMetric })
    this.store = new MetricStore({
      windowSize: init.windowSize,
      maxPeers,
      maxNamesPerPeer: init.maxNamesPerPeer ?? DEFAULT_MAX_NAMES_PER_PEER,
      account: this.roster.peersAccount,
      canGrow: (bytes, peer) => this.roster.freeBudget(bytes, this.roster.get(peer), this.evictPending)
    })
    this.tracker = new ExpiryTracker<Deadline>({ clock: this.clock, onExpire: (deadline, due) => { this.expire(deadline, due) } })
    this.count = emptyCounters()
    this.flaps = init.flapping === false ? undefined : new FlapDetector({ ...init.flapping, clock: this.clock, onStable: (event) => { this.emit([event]) } })
    this.health = init.localHealth === undefined || init.localHealth === false
      ? undefined
      : new LocalHealth(init.localHealth, {
        livePeers: () => this.roster.live(),
        lastReceiptAt: () => this.lastReceiptAt
      }, (event) => { this.localEvents.push(event) })
    const { admission, roster, store, rate, budget, tracker, count, health } = this
    this.newcomers = new Newcomers({ admission, roster, store, rate, budget, count, allowList: init.allowList ?? init.isAllowed !== undefined })
    this.watch = new MetricWatch({ store, tracker, count, pingMetric, admission, budget, health })
  }

  /** The last (epoch, seq) of forgotten peers, so their old reports stay refused (replay-memory.ts); at most an eighth of the budget. */
  get replayMemory (): ReplayMemory {
    return this.roster.replayMemory
  }

  /** This node's own condition: `healthy` when local health is off. */
  get localCondition (): LocalCondition {
    return this.health?.state ?? 'healthy'
  }

  /**
   * The service's periodic probe of its event loop: how late the probe's timer
   * ran (ms) and the loop's utilisation since the last probe (0..1).
   */
  sampleLoop (lateMs: number, utilization: number): void {
    if (this.stopped || this.health === undefined) return
    this.health.loopSampled(this.clock.now(), lateMs, utilization)
    // A healthy node's probe (4 a second) changes nothing: no events to flush, no timer to move.
    if (this.localEvents.length > 0 || this.health.state !== 'healthy') this.emit([])
  }

  /**
   * Handles one pubsub message: `from` is the pubsub sender's peer id string
   * (the signer of a signed message), `bytes` the message data, `via` the
   * neighbour it came through (gossipsub's propagation source). A report
   * delivered by its own signer comes over a direct connection: a real node,
   * confirmed (admission.ts). Without `via`, the signer is taken to have
   * delivered it. Never throws.
   * Events it causes are emitted before it returns.
   */
  handleMessage (from: string, bytes: Uint8Array, via: string = from): HandleResult {
    this.count.received++
    const events: MonitorEvent[] = []
    this.pendingEvents = events
    const reason = this.handle(from, bytes, events, via)
    this.pendingEvents = undefined
    if (reason == null) this.count.accepted++
    else this.count.dropped[reason]++
    this.emit(events)
    if (reason != null) return { accepted: false, reason }
    // Unconfirmed peers of a neighbour that floods go no further than this node; nor
    // does the leave notice of a peer it does not know (invented signers' leaves would).
    const record = this.roster.get(from)
    if (record === undefined) return { accepted: true, relay: false }
    return !record.confirmed && !this.admission.calm(record.source, this.clock.now()) ? { accepted: true, relay: false } : { accepted: true }
  }

  /**
   * A libp2p connection to `peer` opened: a real node, confirmed from now on
   * (admission.ts). The service tells the core of every connection.
   */
  connected (peer: string): void {
    this.admission.connected(peer)
    const record = this.roster.get(peer)
    if (record !== undefined) this.roster.confirm(record)
  }

  /** The last connection to `peer` closed (a record stays confirmed). */
  disconnected (peer: string): void {
    this.admission.disconnected(peer)
  }

  /** The byte budget's use and admission, for /metrics and the API. */
  pressure (): PressureView {
    return {
      usedBytes: this.budget.usedBytes,
      budgetBytes: this.budget.limitBytes,
      accounts: this.budget.byAccount(),
      unconfirmedBytes: this.roster.unconfirmedBytes,
      unconfirmedBudgetBytes: this.roster.unconfirmedLimit(),
      confirmedPeers: this.roster.size - this.roster.unconfirmedPeers,
      unconfirmedPeers: this.roster.unconfirmedPeers,
      waiting: this.admission.waiting
    }
  }

  /** Every known peer, by peer id. */
  peers (): PeerSummary[] {
    return [...this.roster.values()].sort((a, b) => a.peer < b.peer ? -1 : 1).map((r) => this.summary(r))
  }

  /**
   * The peers that stated listen addresses, with what a node deciding whom to
   * dial needs (no metrics: cheap enough to ask every second).
   */
  addresses (): PeerAddresses[] {
    const now = this.clock.now()
    const list: PeerAddresses[] = []
    for (const record of this.roster.values()) {
      if (record.addrs.length === 0) continue
      list.push({ peer: record.peer, addrs: record.addrs, confirmed: record.confirmed, state: peerState(record), lastSeenAgoMs: now - record.lastHeardAt })
    }
    return list
  }

  /** One peer with its windows, or undefined when unknown. */
  peer (id: string): PeerDetail | undefined {
    const record = this.roster.get(id)
    if (record == null) return undefined
    const windows: Record<string, ReceivedMetric[]> = {}
    for (const name of this.store.namesOf(id)) windows[name] = this.store.window(id, name)
    return { ...this.summary(record), windows }
  }

  /** The latest metric of that name from each peer that sent one. */
  latest (name: string): ReceivedMetric[] {
    return this.store.latestByName(name)
  }

  /** The (peer, metric) window, oldest first. */
  window (peer: string, name: string): ReceivedMetric[] {
    return this.store.window(peer, name)
  }

  /** Metric names received from any known peer, sorted. */
  metricNames (): string[] {
    return this.store.names().sort()
  }

  counters (): Counters {
    return { ...this.count, dropped: { ...this.count.dropped }, admitted: { ...this.count.admitted } }
  }

  /** Cancels every deadline and timer; later messages are dropped ('stopped'). Idempotent. */
  stop (): void {
    this.stopped = true
    this.tracker.stop()
    this.flaps?.stop()
  }

  /** Intake: returns why the message is dropped, or undefined when accepted. */
  private handle (from: string, bytes: Uint8Array, events: MonitorEvent[], via: string): DropReason | undefined {
    if (this.stopped) return 'stopped'
    if (from === this.self) return 'self'
    if (!this.isAllowed(from)) return 'not-allowed'
    const decoded = decodeReport(bytes, this.limits)
    if (!decoded.ok) return decoded.reason
    const report = decoded.report
    if (report.peer !== from) return 'peer-mismatch'
    let record = this.roster.get(from)
    if (record != null && !(report.epoch > record.epoch || (report.epoch === record.epoch && report.seq > record.seq))) {
      return 'replay'
    }
    if (record == null && this.roster.refuses(from, report.epoch, report.seq)) return 'replay'
    // After the replay check, so nobody can spend a peer's tokens by re-sending its old
    // reports. A leave notice that ends a peer's presence is never throttled: that would
    // turn a graceful leave into an alert.
    const now = this.clock.now()
    const exempt = report.kind === 'leave' && record?.left === false
    if (record != null && !exempt && !this.rate.take(record.bucket, now, report.intervalMs)) return 'rate'
    if (report.kind === 'leave') {
      if (record != null) {
        this.leave(record, report, events)
        this.roster.updateSilent(record)
      } else {
        this.roster.leftUnknownPeer(from, report.epoch, report.seq)
      }
      return undefined
    }
    const joined = record == null || record.left
    if (record == null) {
      const admitted = this.newcomers.admit(from, via, report, now, events, (evicted) => { this.evict(evicted, events) })
      if (typeof admitted === 'string') return admitted
      record = admitted
      this.roster.add(record)
    } else if (!record.confirmed && (via !== record.source || via === from || this.admission.isConnected(from))) {
      this.roster.confirm(record)
    }
    if (joined) events.push({ type: 'joined', peer: from })
    record.left = false
    this.heard(record, report)
    this.watch.log(record, report, events, joined ? this.firstReportTtls : 1)
    this.roster.updateBytes(record, this.store.bytesOf(record.peer))
    this.roster.updateSilent(record)
    return undefined
  }

  /** A silent peer the roster picked to make room is forgotten, and counted. */
  private evict (record: PeerRecord, events: MonitorEvent[]): void {
    this.count.evicted++
    this.forget(record, this.clock.now(), events)
  }

  /** Records an accepted report's header and moves the peer to the most recently heard end. */
  private heard (record: PeerRecord, report: Report): void {
    const now = this.clock.now()
    this.lastReceiptAt = now
    this.health?.reportAccepted(now)
    record.epoch = report.epoch
    record.seq = report.seq
    record.sentAt = report.sentAt
    record.intervalMs = report.intervalMs
    record.lastHeardAt = now
    if (report.addrs !== undefined && !sameList(report.addrs, record.addrs)) this.roster.setAddrs(record, report.addrs)
    this.onAccepted?.(report)
    this.roster.heard(record)
    this.tracker.set(record, now + this.retentionMs)
  }

  private leave (record: PeerRecord, report: Report, events: MonitorEvent[]): void {
    this.heard(record, report)
    if (record.left) return
    record.left = true
    this.watch.stopWatching(record)
    events.push({ type: 'left', peer: record.peer })
  }

  /** A deadline passed; its timer was due at `due`. */
  private expire (deadline: Deadline, due: number): void {
    const now = this.clock.now()
    const events: MonitorEvent[] = []
    this.health?.timerFired(now, now - due)
    if (deadline.kind === 'local') {
      this.health?.tick(now)
    } else if (deadline.kind === 'muted') {
      this.watch.summarizeMuted(events)
    } else if (deadline.kind === 'peer') {
      this.forgetIfSilent(deadline, now, events)
    } else if (this.watch.expired(deadline, now, events)) {
      this.roster.updateSilent(deadline.record)
    }
    this.emit(events)
  }

  /** Forgets a silent peer, but only once none of its metrics is still unexpired. */
  private forgetIfSilent (record: PeerRecord, now: number, events: MonitorEvent[]): void {
    let lastExpiry = -Infinity
    for (const tracked of record.tracked.values()) {
      // Its expiry deadline, which local health may have postponed past expiresAt (re-arming at
      // expiresAt, then in the past, would fire again at once, without end).
      if (tracked.health === 'fresh') lastExpiry = Math.max(lastExpiry, this.tracker.deadline(tracked) ?? tracked.expiresAt)
    }
    if (lastExpiry > -Infinity) {
      // Its last metrics expire (and alert) first; deadlines set now come after equal earlier ones.
      this.tracker.set(record, lastExpiry)
      return
    }
    this.forget(record, now, events)
  }

  private forget (record: PeerRecord, now: number, events: MonitorEvent[]): void {
    for (const tracked of record.tracked.values()) this.tracker.cancel(tracked)
    this.tracker.cancel(record)
    this.store.remove(record.peer)
    this.roster.remove(record)
    events.push({ type: 'forgotten', peer: record.peer, silentMs: now - record.lastHeardAt })
  }

  private summary (record: PeerRecord): PeerSummary {
    return summarize(record, this.store, this.flaps?.isFlapping(record.peer) ?? false, this.clock.now())
  }

  /** Emits local health's events, then `events`, and keeps local health's re-examination armed. */
  private emit (events: MonitorEvent[]): void {
    // Per report: only a node whose condition changed, or that is degraded, moves local health's timer.
    if (this.health !== undefined && (this.localEvents.length > 0 || this.health.state === 'degraded')) {
      const next = this.health.nextTick()
      if (next === undefined) this.tracker.cancel(this.localCheck)
      else if (this.tracker.deadline(this.localCheck) !== next) this.tracker.set(this.localCheck, next)
      if (this.localEvents.length > 0) events = [...this.localEvents.splice(0), ...events]
    }
    this.flaps?.review(events)
    for (const event of events) {
      try {
        this.onEvent(event)
      } catch (err) {
        this.onEventError(err, event)
      }
    }
  }
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}
