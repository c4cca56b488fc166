/**
 * The monitor core's record of one known peer and of each metric it watches
 * for it, with what can be read off a record alone: its state, whether it may
 * be evicted, its summary as users see it.
 */
import type { Health } from './alert-rule.js'
import type { TokenBucket } from './token-bucket.js'
import type { PeerSummary } from './core-api.js'
import type { MetricStore } from './store.js'
import type { PeerState, ReceivedMetric } from './types.js'

/** A (peer, metric) being watched; also its expiry deadline's key in the tracker. */
export interface TrackedMetric {
  kind: 'metric'
  record: PeerRecord
  name: string
  health: Health
  receivedAt: number
  expiresAt: number
  /** When the alert was raised (health 'alerting'). */
  alertedAt: number
  /** Its alert was counted in a `crowded` event instead of raised (an unconfirmed peer): no `recovered` either. */
  muted: boolean
}

/** A known peer; also its forget deadline's key in the tracker. */
export interface PeerRecord {
  kind: 'peer'
  peer: string
  left: boolean
  epoch: number
  seq: number
  sentAt: number
  intervalMs: number
  /** Local monotonic time of the last accepted report. */
  lastHeardAt: number
  /** Its rate limit state (rate.ts): forgotten with the record. */
  bucket: TokenBucket
  tracked: Map<string, TrackedMetric>
  /** Evidence of a real node (admission.ts); once confirmed, for the record's life. */
  confirmed: boolean
  /** The neighbour its first accepted report came through. */
  source: string
  /** Estimated bytes charged for it (budget.ts): its own cost plus its windows', as of its last report. */
  bytes: number
  /** Its own cost (budget.ts), without its windows. */
  ownBytes: number
  /** Generation of its latest entry in the eviction heap (roster.ts). */
  evictGen: number
  /** The listen addresses its latest report that had any stated (Report.addrs). */
  addrs: string[]
}

/** A new peer's record, before its first report is recorded. */
export function newPeerRecord (peer: string, source: string, confirmed: boolean, bucket: TokenBucket, ownBytes: number): PeerRecord {
  return {
    kind: 'peer', peer, left: false, epoch: 0, seq: 0, sentAt: 0, intervalMs: 0, lastHeardAt: 0, bucket, tracked: new Map(),
    confirmed, source, bytes: ownBytes, ownBytes, evictGen: 0, addrs: []
  }
}

/** `left`, `alerting` when any of its metrics is, else `alive`. */
export function peerState (record: PeerRecord): PeerState {
  if (record.left) return 'left'
  for (const tracked of record.tracked.values()) {
    if (tracked.health === 'alerting') return 'alerting'
  }
  return 'alive'
}

/** A peer that may be evicted: it left, or its heartbeat is in alert (a stuck metric of a live peer does not count). */
export function isEvictable (record: PeerRecord, pingMetric: string): boolean {
  if (record.left) return true
  const ping = record.tracked.get(pingMetric)
  return ping !== undefined ? ping.health === 'alerting' : peerState(record) !== 'alive'
}

/** The peer as users see it, its latest metrics from `store`. */
export function summarize (record: PeerRecord, store: MetricStore, flapping: boolean, now: number): PeerSummary {
  const metrics: Record<string, ReceivedMetric> = {}
  for (const name of store.namesOf(record.peer)) {
    const latest = store.latest(record.peer, name)
    if (latest != null) metrics[name] = latest
  }
  const alerting = [...record.tracked.values()].filter((t) => t.health === 'alerting').map((t) => t.name)
  const { peer, epoch, seq, sentAt, intervalMs } = record
  return { peer, state: peerState(record), flapping, lastSeenAgoMs: now - record.lastHeardAt, epoch, seq, sentAt, intervalMs, alerting, confirmed: record.confirmed, addrs: record.addrs, metrics }
}
