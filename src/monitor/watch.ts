/**
 * The watch over known peers' metrics: logging a report's metrics (into the
 * store, their expiry deadlines into the tracker, `recovered` for those back
 * from alert), and judging each expiry by the alert rule (alert-rule.ts) once
 * local health (local-health.ts) lets it be judged. An alert on an unconfirmed
 * peer is raised within a small allowance (admission.ts); the rest are muted
 * and summed up in one `crowded` event at most every MUTED_SUMMARY_MS.
 */
import type { Admission } from './admission.js'
import { alertsWhenAbsent, healthAtExpiry } from './alert-rule.js'
import type { StateBudget } from './budget.js'
import type { Counters } from './core-api.js'
import type { LocalHealth } from './local-health.js'
import type { PeerRecord, TrackedMetric } from './peer-record.js'
import type { MetricStore } from './store.js'
import type { ExpiryTracker } from './tracker.js'
import type { MonitorEvent, Report } from './types.js'

/** The tracker key of local health's own re-examination. */
export interface LocalCheck { kind: 'local' }
/** The tracker key of the next `crowded` event counting muted alerts. */
export interface MutedSummary { kind: 'muted' }
/** Tracker keys: a metric expires, a silent peer is forgotten, local health is looked at again, muted alerts are summed up. */
export type Deadline = TrackedMetric | PeerRecord | LocalCheck | MutedSummary

/** Muted alerts on unconfirmed peers are summed up in one `crowded` event at most this often (ms). */
const MUTED_SUMMARY_MS = 10_000

export interface MetricWatchInit {
  store: MetricStore
  tracker: ExpiryTracker<Deadline>
  /** The core's counters: refused and muted metrics are counted in them. */
  count: Counters
  pingMetric: string
  /** Its allowance of alerts on unconfirmed peers, and the number waiting for the `crowded` summary. */
  admission: Admission
  budget: StateBudget
  health: LocalHealth | undefined
}

export class MetricWatch {
  private readonly store: MetricStore
  private readonly tracker: ExpiryTracker<Deadline>
  private readonly count: Counters
  private readonly pingMetric: string
  private readonly admission: Admission
  private readonly budget: StateBudget
  private readonly health: LocalHealth | undefined
  private readonly mutedSummary: MutedSummary = { kind: 'muted' }
  private mutedSinceSummary = 0

  constructor (init: MetricWatchInit) {
    this.store = init.store
    this.tracker = init.tracker
    this.count = init.count
    this.pingMetric = init.pingMetric
    this.admission = init.admission
    this.budget = init.budget
    this.health = init.health
  }

  /**
   * Logs an accepted report's metrics, each kept `ttls` of its TTLs, and alerts
   * on those it lacks when the alert rule says so (alert-rule.ts).
   */
  log (record: PeerRecord, report: Report, events: MonitorEvent[], ttls: number): void {
    const now = record.lastHeardAt
    const { peer } = record
    const present = new Set<string>()
    for (const metric of report.metrics) {
      const expiresAt = now + metric.ttlMs * ttls
      const { name, value, ttlMs } = metric
      const logged = this.store.log({ peer, name, value, ttlMs, receivedAt: now, expiresAt, sentAt: report.sentAt })
      if (logged !== 'logged') {
        this.count.refusedMetrics++
        if (logged === 'budget') this.count.refusedMetricsBudget++
        continue
      }
      present.add(name)
      let tracked = record.tracked.get(name)
      if (tracked == null) {
        tracked = { kind: 'metric', record, name, health: 'fresh', receivedAt: now, expiresAt, alertedAt: 0, muted: false }
        record.tracked.set(name, tracked)
      } else if (tracked.health === 'alerting' && !tracked.muted) {
        events.push({ type: 'recovered', peer, metric: name, downMs: now - tracked.alertedAt })
      }
      tracked.muted = false
      tracked.health = 'fresh'
      tracked.receivedAt = now
      tracked.expiresAt = expiresAt
      this.tracker.set(tracked, expiresAt)
    }
    const pingAlerting = record.tracked.get(this.pingMetric)?.health === 'alerting'
    for (const tracked of record.tracked.values()) {
      if (!present.has(tracked.name) && alertsWhenAbsent(tracked, pingAlerting)) this.alert(tracked, now, events)
    }
  }

  /** A peer left: its metrics are watched no more. */
  stopWatching (record: PeerRecord): void {
    for (const tracked of record.tracked.values()) this.tracker.cancel(tracked)
    record.tracked.clear()
  }

  /**
   * A metric's deadline passed: judged by the alert rule, unless local health
   * postpones judging it (then re-armed for later). Returns whether it was judged.
   */
  expired (tracked: TrackedMetric, now: number, events: MonitorEvent[]): boolean {
    if (this.postponed(tracked, now)) return false
    this.judge(tracked, now, events)
    return true
  }

  /** The muted-alert summary is due: one `crowded` event counts them. */
  summarizeMuted (events: MonitorEvent[]): void {
    events.push({ type: 'crowded', reason: 'silent', usedBytes: this.budget.usedBytes, budgetBytes: this.budget.limitBytes, waiting: this.admission.waiting, silent: this.mutedSinceSummary })
    this.mutedSinceSummary = 0
  }

  /** Local health's say (local-health.ts): whether judging this expiry waits, re-armed for later if so. */
  private postponed (tracked: TrackedMetric, now: number): boolean {
    if (this.health === undefined || tracked.health !== 'fresh') return false
    const verdict = this.health.verdict(now, tracked.record, tracked.expiresAt, tracked.expiresAt - tracked.receivedAt)
    if (verdict.judge) return false
    this.tracker.set(tracked, verdict.at)
    return true
  }

  /** Applies the alert rule (alert-rule.ts) to an expired metric. */
  private judge (tracked: TrackedMetric, now: number, events: MonitorEvent[]): void {
    const { record } = tracked
    if (tracked.health !== 'fresh') return
    if (tracked.name === this.pingMetric) {
      this.alert(tracked, now, events)
      for (const other of record.tracked.values()) {
        if (other.health === 'pending') other.health = 'covered'
      }
      return
    }
    const health = healthAtExpiry(tracked, record.tracked.get(this.pingMetric), record.lastHeardAt)
    if (health === 'alerting') this.alert(tracked, now, events)
    else tracked.health = health
  }

  private alert (tracked: TrackedMetric, now: number, events: MonitorEvent[]): void {
    const { record, name } = tracked
    const last = this.store.latest(record.peer, name)
    tracked.health = 'alerting'
    tracked.alertedAt = now
    // An unconfirmed peer (maybe invented) alerts within a small allowance; the rest are counted in one event.
    if (!record.confirmed && !this.admission.alertToken(now)) {
      tracked.muted = true
      this.count.mutedAlerts++
      if (this.mutedSinceSummary++ === 0) this.tracker.set(this.mutedSummary, now + MUTED_SUMMARY_MS)
      return
    }
    events.push({
      type: 'alert',
      peer: record.peer,
      metric: name,
      lagMs: now - tracked.expiresAt,
      ttlMs: last?.ttlMs ?? tracked.expiresAt - tracked.receivedAt,
      silentMs: now - record.lastHeardAt,
      lastValue: last?.value ?? '',
      ...(this.health !== undefined && this.health.state !== 'healthy' ? { degraded: this.health.why } : {})
    })
  }
}
