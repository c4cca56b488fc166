/**
 * Flap detection, after Nagios: a peer that keeps going into and out of alert
 * is *flapping*. Its alerts are still facts (they are emitted, marked
 * `flapping: true`), but the operator is told once, with a `flapping` event,
 * instead of at every change, and once more, with `stable`, when it settles.
 *
 * A peer's state here is whether any of its metrics is in alert; a change is
 * an `alert` that puts it in alert or a `recovered` that takes it out.
 * Hysteresis, as Nagios uses high and low thresholds over its window of state
 * changes: a peer starts flapping at {@link FlapLimits.enterTransitions}
 * changes within {@link FlapLimits.windowMs}, and is stable again only after
 * flapping for a whole window, once the last window holds at most
 * {@link FlapLimits.exitTransitions} changes. So a flapping peer is told
 * about at most once per window.
 *
 * Bounded: only peers that alerted have state (a count and the times of their
 * last few changes, nothing a peer chose), at most {@link FlapLimits.maxPeers}
 * of them; a peer's state goes with its `left` or `forgotten` event.
 */
import { DEFAULT_TTL_MS, FLAP_ENTER_TRANSITIONS, FLAP_EXIT_TRANSITIONS, FLAP_MAX_PEERS, FLAP_WINDOW_TTLS } from './defaults.js'
import { ExpiryTracker } from './tracker.js'
import type { Clock, FlappingEvent, MonitorEvent, StableEvent } from './types.js'

export interface FlapLimits {
  /** The sliding window state changes are counted in (ms). */
  windowMs: number
  /** This many changes within the window start flapping (≥ 2). */
  enterTransitions: number
  /** A peer flapping for a whole window whose last window holds at most this many changes is stable (< enterTransitions). */
  exitTransitions: number
  /** Peers whose changes are tracked; past that, the least recently changed non-flapping peer is dropped. */
  maxPeers: number
}

/**
 * Defaults: 4 changes (two outages) within 30 s (FLAP_WINDOW_TTLS = 10 × the
 * default TTL, 3 s at the default 1 s interval; the service sets 10 × its own
 * TTL) start flapping; a whole window with at most 1 change ends it. See
 * defaults.ts for why.
 */
export const DEFAULT_FLAP_LIMITS: Readonly<FlapLimits> = Object.freeze({
  windowMs: FLAP_WINDOW_TTLS * DEFAULT_TTL_MS,
  enterTransitions: FLAP_ENTER_TRANSITIONS,
  exitTransitions: FLAP_EXIT_TRANSITIONS,
  maxPeers: FLAP_MAX_PEERS
})

export interface FlapDetectorInit extends Partial<FlapLimits> {
  clock: Clock
  /** Told of each `stable` event, from a timer. */
  onStable: (event: StableEvent) => void
}

/** What is kept of one peer that alerted. */
interface PeerFlaps {
  peer: string
  /** Its metrics in alert, counted from the events. */
  alerting: number
  /** Times of its last changes, oldest first; at most enterTransitions. */
  changes: number[]
  /** When it started flapping; undefined when it is not flapping. */
  flappingSince: number | undefined
  /** Changes since it started flapping, that one included. */
  flappingChanges: number
}

export class FlapDetector {
  readonly limits: Readonly<FlapLimits>
  private readonly clock: Clock
  private readonly onStable: (event: StableEvent) => void
  /** Tracked peers not flapping, least recently changed first: the ones dropped to make room. */
  private readonly calm = new Map<string, PeerFlaps>()
  private readonly flapping = new Map<string, PeerFlaps>()
  /** When each flapping peer may be stable: one timer for all of them. */
  private readonly stableChecks: ExpiryTracker<PeerFlaps>

  /** Throws RangeError on invalid limits. */
  constructor (init: FlapDetectorInit) {
    const limits = {
      windowMs: init.windowMs ?? DEFAULT_FLAP_LIMITS.windowMs,
      enterTransitions: init.enterTransitions ?? DEFAULT_FLAP_LIMITS.enterTransitions,
      exitTransitions: init.exitTransitions ?? DEFAULT_FLAP_LIMITS.exitTransitions,
      maxPeers: init.maxPeers ?? DEFAULT_FLAP_LIMITS.maxPeers
    }
    if (!(limits.windowMs > 0)) throw new RangeError(`flapping windowMs must be > 0, got ${limits.windowMs}`)
    if (!Number.isInteger(limits.enterTransitions) || limits.enterTransitions < 2) {
      throw new RangeError(`flapping enterTransitions must be an integer >= 2, got ${limits.enterTransitions}`)
    }
    if (!Number.isInteger(limits.exitTransitions) || limits.exitTransitions < 0 || limits.exitTransitions >= limits.enterTransitions) {
      throw new RangeError(`flapping exitTransitions must be an integer from 0 to enterTransitions - 1, got ${limits.exitTransitions}`)
    }
    if (!Number.isInteger(limits.maxPeers) || limits.maxPeers < 1) throw new RangeError(`flapping maxPeers must be an integer >= 1, got ${limits.maxPeers}`)
    this.limits = Object.freeze(limits)
    this.clock = init.clock
    this.onStable = init.onStable
    this.stableChecks = new ExpiryTracker<PeerFlaps>({ clock: this.clock, onExpire: (flaps) => { this.check(flaps) } })
  }

  /** Peers with state (for tests: it never exceeds maxPeers). */
  get size (): number {
    return this.calm.size + this.flapping.size
  }

  /** Peers flapping now. */
  get flappingCount (): number {
    return this.flapping.size
  }

  isFlapping (peer: string): boolean {
    return this.flapping.has(peer)
  }

  /**
   * Reviews a batch of events about to be emitted, in place: marks the alert
   * and recovered events of a flapping peer `flapping: true`, puts a
   * `flapping` event right after the change that started it, and forgets a
   * peer on its `left` or `forgotten`. Other events pass untouched.
   */
  review (events: MonitorEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]
      switch (event.type) {
        case 'alert':
        case 'recovered': {
          const started = this.observe(event.peer, event.type, this.clock.now())
          if (this.flapping.has(event.peer)) event.flapping = true
          if (started !== undefined) events.splice(++i, 0, started)
          break
        }
        case 'left':
        case 'forgotten':
          this.forget(event.peer)
          break
        default:
          break
      }
    }
  }

  /** Drops a peer's state (and its stable check). */
  forget (peer: string): void {
    const flaps = this.flapping.get(peer) ?? this.calm.get(peer)
    if (flaps === undefined) return
    this.stableChecks.cancel(flaps)
    this.flapping.delete(peer)
    this.calm.delete(peer)
  }

  /** Cancels every timer and drops all state. */
  stop (): void {
    this.stableChecks.stop()
    this.flapping.clear()
    this.calm.clear()
  }

  /** One alert or recovered event of `peer`; returns the `flapping` event when this change starts flapping. */
  private observe (peer: string, type: 'alert' | 'recovered', now: number): FlappingEvent | undefined {
    let flaps = this.flapping.get(peer) ?? this.calm.get(peer)
    if (flaps === undefined) {
      // Only a peer that alerts gets state; a recovery of one we hold nothing of changes nothing we know.
      if (type !== 'alert') return undefined
      flaps = this.track(peer, now)
      if (flaps === undefined) return undefined
    }
    const wasAlerting = flaps.alerting > 0
    flaps.alerting = Math.max(0, flaps.alerting + (type === 'alert' ? 1 : -1))
    if ((flaps.alerting > 0) === wasAlerting) return undefined
    // A change of state.
    const { windowMs, enterTransitions } = this.limits
    flaps.changes.push(now)
    if (flaps.changes.length > enterTransitions) flaps.changes.shift()
    if (flaps.flappingSince !== undefined) {
      flaps.flappingChanges++
      return undefined
    }
    this.calm.delete(peer)
    const first = flaps.changes[0]
    if (flaps.changes.length < enterTransitions || now - first >= windowMs) {
      this.calm.set(peer, flaps)
      return undefined
    }
    flaps.flappingSince = now
    flaps.flappingChanges = 1
    this.flapping.set(peer, flaps)
    this.schedule(flaps, this.stableAt(flaps))
    return { type: 'flapping', peer, transitions: flaps.changes.length, spanMs: now - first, windowMs }
  }

  /** New state for a peer, making room when full; undefined when every tracked peer is flapping. */
  private track (peer: string, now: number): PeerFlaps | undefined {
    // Peers up again whose changes have all left the window hold nothing: drop them first.
    for (const [id, old] of this.calm) {
      if (old.alerting > 0 || now - old.changes[old.changes.length - 1] < this.limits.windowMs) break
      this.calm.delete(id)
    }
    if (this.size >= this.limits.maxPeers) {
      const oldest = this.calm.keys().next()
      if (oldest.done === true) return undefined
      this.calm.delete(oldest.value)
    }
    const flaps: PeerFlaps = { peer, alerting: 0, changes: [], flappingSince: undefined, flappingChanges: 0 }
    this.calm.set(peer, flaps)
    return flaps
  }

  /** The earliest moment a flapping peer can be stable: a whole window of flapping, and at most exitTransitions changes in the last window. */
  private stableAt (flaps: PeerFlaps): number {
    const { windowMs, exitTransitions } = this.limits
    const since = flaps.flappingSince ?? 0
    // The (exitTransitions + 1)-th most recent change must have left the window.
    const kept = flaps.changes[flaps.changes.length - exitTransitions - 1]
    return Math.max(since + windowMs, kept !== undefined ? kept + windowMs : -Infinity)
  }

  private schedule (flaps: PeerFlaps, at: number): void {
    this.stableChecks.set(flaps, at)
  }

  /** The stable timer fired: stable now, or (changes since) later. */
  private check (flaps: PeerFlaps): void {
    if (this.flapping.get(flaps.peer) !== flaps || flaps.flappingSince === undefined) return
    const now = this.clock.now()
    const at = this.stableAt(flaps)
    if (now < at) {
      this.schedule(flaps, at)
      return
    }
    const event: StableEvent = {
      type: 'stable',
      peer: flaps.peer,
      state: flaps.alerting > 0 ? 'alerting' : 'alive',
      flappedMs: now - flaps.flappingSince,
      transitions: flaps.flappingChanges
    }
    flaps.flappingSince = undefined
    flaps.flappingChanges = 0
    this.flapping.delete(flaps.peer)
    this.calm.set(flaps.peer, flaps)
    this.onStable(event)
  }
}
