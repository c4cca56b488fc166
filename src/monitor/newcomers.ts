/**
 * The door for new peers: a peer heard from for the first time is admitted
 * now, or refused with the reason it waits. Confirmed newcomers come in from a
 * generous bucket; unconfirmed ones only from the allowance of the neighbour
 * that brought them and within their share of the budget (admission.ts,
 * budget.ts). Room is made by evicting silent peers (roster.ts), never live
 * ones. The first refusal of an episode of refusals says so in a `crowded` event.
 */
import type { Admission } from './admission.js'
import { PEER_BYTES, stringBytes } from './budget.js'
import type { StateBudget } from './budget.js'
import type { Counters } from './core-api.js'
import { newPeerRecord } from './peer-record.js'
import type { PeerRecord } from './peer-record.js'
import type { RateLimiter } from './rate.js'
import type { DropReason } from './report.js'
import type { Evict, Roster } from './roster.js'
import type { MetricStore } from './store.js'
import type { MonitorEvent, Report } from './types.js'

export interface NewcomersInit {
  admission: Admission
  roster: Roster
  store: MetricStore
  rate: RateLimiter
  budget: StateBudget
  /** Whether the core's access check is an allow-list: every peer it lets in is confirmed. */
  allowList: boolean
  /** The core's counters: admitted peers are counted in them. */
  count: Counters
}

export class Newcomers {
  private readonly admission: Admission
  private readonly roster: Roster
  private readonly store: MetricStore
  private readonly rate: RateLimiter
  private readonly budget: StateBudget
  private readonly allowList: boolean
  private readonly count: Counters
  /** End of the current episode of refused newcomers, by bound (monotonic ms); 0: none. */
  private readonly episodeUntil = { budget: 0, admission: 0 }

  constructor (init: NewcomersInit) {
    this.admission = init.admission
    this.roster = init.roster
    this.store = init.store
    this.rate = init.rate
    this.budget = init.budget
    this.allowList = init.allowList
    this.count = init.count
  }

  /**
   * A new peer's record (not in the roster yet: the caller adds it), or why it
   * waits. `from` signed the report, `via` delivered it; `evict` forgets the
   * silent peers evicted to make room.
   */
  admit (from: string, via: string, report: Report, now: number, events: MonitorEvent[], evict: Evict): PeerRecord | DropReason {
    // Connections (at most libp2p's limit) and the allow-list bound themselves: no bucket.
    const bounded = this.allowList || via === from || this.admission.isConnected(from)
    const confirmed = bounded || this.admission.heardThrough(from, via, now)
    const own = PEER_BYTES + stringBytes(from)
    const cost = own + this.store.firstReportBytes(report.metrics)
    if (!bounded && (confirmed ? !this.admission.confirmedToken(now, false) : !this.admission.sourceToken(via, now, false))) {
      return this.refuse('admission', now, events)
    }
    if (!confirmed) {
      if (!this.roster.freeUnconfirmedShare(cost, evict)) return this.refuse('admission', now, events)
      if (this.admission.sourceBytes(via) + cost > this.roster.unconfirmedLimit() * this.admission.limits.sourceShare) return this.refuse('admission', now, events)
    }
    if (!this.roster.freeBudget(cost, undefined, evict)) return this.refuse('budget', now, events)
    if (!this.roster.freePeerSlot(evict)) return 'capacity'
    if (!bounded) {
      if (confirmed) this.admission.confirmedToken(now, true)
      else this.admission.sourceToken(via, now, true)
    }
    this.admission.drop(from)
    const bucket = this.rate.bucket(now)
    this.rate.take(bucket, now, report.intervalMs)
    if (confirmed) this.count.admitted.confirmed++
    else this.count.admitted.unconfirmed++
    return newPeerRecord(from, via, confirmed, bucket, own)
  }

  /** Counts a newcomer refused by a bound; the first refusal of an episode says so in a `crowded` event. */
  private refuse (bound: 'budget' | 'admission', now: number, events: MonitorEvent[]): DropReason {
    if (this.episodeUntil[bound] <= now) {
      events.push({ type: 'crowded', reason: bound, usedBytes: this.budget.usedBytes, budgetBytes: this.budget.limitBytes, waiting: this.admission.waiting })
    }
    this.episodeUntil[bound] = now + this.admission.limits.episodeMs
    return bound
  }
}
