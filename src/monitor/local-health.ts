/**
 * Local health: before a node accuses a peer of silence, it asks whether it
 * was itself able to hear. After Lifeguard (memberlist, Serf and Consul;
 * Dadgar et al. 2017): a node that sees signs of its own slowness waits
 * longer before it accuses others.
 *
 * Signs of trouble, each with the moment it was seen:
 * - `stall`: a timer fired late (the process was frozen, swapped out or
 *   starved of CPU: a VM pause, SIGSTOP, a laptop under a heavy build). The
 *   reports of that time may still be waiting, unread, in its sockets.
 * - `overload`: the event loop keeps running late (the service samples it).
 * - `receive`: many of the peers it hears from are overdue at once: its own
 *   link is lossy or congested, or its receive path is behind.
 * - isolation: every peer it hears from is overdue: it is cut off. That is
 *   one fact (`isolated`), not one alert per peer.
 *
 * An expiry that comes due while there are signs of trouble, or before the
 * node has listened undisturbed for a while since the last one (`settle`
 * plus one and a half of the peer's intervals, so that a live peer has had
 * the chance to be heard), is judged again later, up to `maxPostponeTtls`
 * TTLs after the expiry; an alert raised while the node is not healthy says
 * so. A bound that passed while the process was frozen waits for the
 * listening all the same, and a node that still hears nobody at the bound is
 * isolated, not accusing every peer. While isolated nothing is judged; once
 * reports flow again, every peer gets one TTL to be heard before it is judged
 * as usual. So does every peer whose TTL is shorter than a stall the node
 * just came back from: meanwhile its peers pruned it from their mesh and its
 * connections may have timed out, so the mesh has to re-form before their
 * reports reach it again. A healthy node judges at once, as fast as without this.
 *
 * Pure and synchronous: the monitor core feeds it what it sees and asks it
 * when to judge; this module keeps no timers and imports nothing of libp2p.
 */

import type { DegradedReason, LocalEvent } from './types.js'

/** This node's own condition. */
export type LocalCondition = 'healthy' | 'degraded' | 'isolated'

export interface LocalHealthInit {
  /** A timer that fires this late (ms) is a sign of a stall (default 250: far above normal timer lag, a few ms). */
  lateMs?: number
  /** Event-loop delay (ms, the lateness of the service's probe) that, twice in a row, is a sign of overload (default 150). */
  overloadDelayMs?: number
  /** Listening undisturbed this long (ms), plus 1.5 of a peer's intervals, is needed before judging that peer (default 250). */
  settleMs?: number
  /** A peer is overdue when not heard from for this many of its intervals (default 2). */
  overdueIntervals?: number
  /** Receive trouble: at least this many live peers overdue at once ... (default 3) */
  minOverdue?: number
  /** ... making at least this fraction of the live peers (default 0.25). */
  overdueFraction?: number
  /** Isolation needs at least this many live peers, all overdue; with fewer, silence is judged peer by peer (default 3). */
  minPeersForIsolation?: number
  /** A judgment is postponed at most this many TTLs of the metric past its expiry (default 2). */
  maxPostponeTtls?: number
}

export const LOCAL_HEALTH_DEFAULTS: Readonly<Required<LocalHealthInit>> = Object.freeze({
  lateMs: 250,
  overloadDelayMs: 150,
  settleMs: 250,
  overdueIntervals: 2,
  minOverdue: 3,
  overdueFraction: 0.25,
  minPeersForIsolation: 3,
  maxPostponeTtls: 2
})

/** What the judge needs to know about one peer (monotonic ms). */
export interface PeerTiming {
  lastHeardAt: number
  /** Its declared publish interval (0: unknown). */
  intervalMs: number
  /**
   * False for a peer without evidence of a real node behind it (admission.ts):
   * it counts towards isolation, not towards receive trouble, so that invented
   * peers falling silent together cannot make this node doubt itself. Default true.
   */
  confirmed?: boolean
}

/** Live peers and those overdue among them, when counted; `confirmed`: of confirmed peers only. */
interface OverdueCount {
  at: number
  overdue: number
  live: number
  confirmed: { overdue: number, live: number }
}

/** The figures behind a `degraded` event. */
type TroubleFigures = Omit<Extract<LocalEvent, { type: 'degraded' }>, 'type' | 'reason'>

/** The receive side as the judge sees it: the live peers (not left, not alerting). */
export interface ReceiveView {
  livePeers: () => Iterable<PeerTiming>
  /** Monotonic ms of the last accepted report from anyone (0: none yet). */
  lastReceiptAt: () => number
}

/** A verdict on an expiry: judge it now, or ask again at `at`. */
export type Verdict = { judge: true } | { judge: false, at: number }

/** A count of overdue peers is reused for this long (ms): a whole swarm expiring at once costs one scan, not one per peer. */
const COUNT_REUSE_MS = 20

/** A degraded node is healthy again after this long (ms, beyond `settleMs`) without a sign of trouble. */
const QUIET_MS = 1_000

/** Interval assumed for a peer that did not declare one (ms). */
const UNKNOWN_INTERVAL_MS = 1_000

export class LocalHealth {
  private readonly opts: Required<LocalHealthInit>
  private readonly view: ReceiveView
  private readonly say: (event: LocalEvent) => void
  private condition: LocalCondition = 'healthy'
  private reason: Exclude<DegradedReason, 'isolated'> = 'stall'
  /** When the last sign of trouble was seen (-Infinity: never). */
  private troubleAt = -Infinity
  /** When the last stall was seen, and how long this process had been frozen then (the timer's lateness). */
  private stall = { at: -Infinity, lateMs: 0 }
  /** When the current degraded or isolated spell began. */
  private since = 0
  private lastProbeLateMs = 0
  /** When reports flowed again after isolation (-Infinity: never). */
  private reconnectedAt = -Infinity
  /**
   * Recent stalls, each as when the process ran again (`at`) and how long it had been
   * frozen (`lateMs`): oldest first, each longer than every later one (a later, longer
   * stall outweighs an earlier one), and only those that may still hold a judgment back.
   */
  private resumes: Array<{ at: number, lateMs: number }> = []
  /** The last count of overdue peers, reused for a few ms: many expiries judged together scan the peers once. */
  private counted: OverdueCount = { at: -Infinity, overdue: 0, live: 0, confirmed: { overdue: 0, live: 0 } }

  constructor (init: LocalHealthInit, view: ReceiveView, say: (event: LocalEvent) => void) {
    this.opts = { ...LOCAL_HEALTH_DEFAULTS, ...init }
    this.view = view
    this.say = say
  }

  get state (): LocalCondition {
    return this.condition
  }

  /** Why the node is degraded (meaningful while {@link state} is not healthy). */
  get why (): DegradedReason {
    return this.condition === 'isolated' ? 'isolated' : this.reason
  }

  /** A timer was due at `due` and ran at `now`. */
  timerFired (now: number, lateMs: number): void {
    if (lateMs > this.opts.lateMs) this.stalled(now, lateMs)
  }

  /**
   * The service's periodic probe of the event loop: how late its timer ran
   * (ms) and the loop's utilisation since the last probe (0..1). One very late
   * probe is a stall; two late ones in a row, an overload.
   */
  loopSampled (now: number, lateMs: number, utilization: number): void {
    const previous = this.lastProbeLateMs
    this.lastProbeLateMs = lateMs
    if (lateMs > this.opts.lateMs) {
      this.stalled(now, lateMs)
    } else if (lateMs > this.opts.overloadDelayMs && previous > this.opts.overloadDelayMs) {
      this.trouble(now, 'overload', { delayMs: round(lateMs), utilization: Math.round(utilization * 100) / 100 })
    }
  }

  /** A report was accepted: reports flow, so an isolated node is reconnected. */
  reportAccepted (now: number): void {
    if (this.condition !== 'isolated') return
    this.condition = 'healthy'
    this.reconnectedAt = now
    this.say({ type: 'reconnected', isolatedMs: now - this.since })
  }

  /**
   * Whether an expiry of a metric of `peer`, which expired at `expiresAt` with
   * a TTL of `ttlMs`, may be judged now, or when to ask again.
   */
  verdict (now: number, peer: PeerTiming, expiresAt: number, ttlMs: number): Verdict {
    const bound = expiresAt + this.opts.maxPostponeTtls * ttlMs
    if (this.condition === 'isolated') return { judge: false, at: now + this.settle(peer) }
    // Back from isolation, every peer gets a TTL to be heard again (the mesh re-forms first), however long ago it expired.
    if (now < this.reconnectedAt + ttlMs) return { judge: false, at: this.reconnectedAt + ttlMs }
    // Back from a stall longer than this TTL, the same: its peers have pruned this node from their mesh.
    const resumedAt = this.resumedAfterLongerThan(ttlMs)
    if (now < resumedAt + ttlMs) return { judge: false, at: resumedAt + ttlMs }
    if (now >= bound) {
      // The bound fell while this process was frozen (a VM pause, a laptop asleep, SIGSTOP): the
      // reports of that time may wait unread in its sockets, so it listens first, as for a short stall.
      const listened = this.stall.at + this.settle(peer)
      if (now < listened && bound > this.stall.at - this.stall.lateMs) return { judge: false, at: listened }
      // Still every live peer silent after the longest postponement: one fact, not an alert each.
      const { overdue, live } = this.countOverdue(now)
      if (live >= this.opts.minPeersForIsolation && overdue === live) {
        this.isolate(now, live)
        return { judge: false, at: now + this.settle(peer) }
      }
      return { judge: true }
    }
    const settled = this.troubleAt + this.settle(peer)
    if (now < settled) return { judge: false, at: Math.min(settled, bound) }
    const { overdue, live } = this.countOverdue(now)
    if (live >= this.opts.minPeersForIsolation && overdue === live) {
      this.isolate(now, live)
      return { judge: false, at: now + this.settle(peer) }
    }
    const confirmed = this.counted.confirmed
    if (this.receiveTrouble(confirmed.overdue, confirmed.live)) {
      this.trouble(now, 'receive', { overdue: confirmed.overdue, peers: confirmed.live })
      return { judge: false, at: Math.min(now + this.settle(peer), bound) }
    }
    return { judge: true }
  }

  /**
   * When the core should call {@link tick} next (monotonic ms), or undefined
   * when nothing is pending: a degraded node checks whether it is healthy again.
   */
  nextTick (): number | undefined {
    return this.condition === 'degraded' ? this.troubleAt + this.opts.settleMs + QUIET_MS : undefined
  }

  /** Re-examines a degraded node: healthy once no sign of trouble was seen for a while and peers are not overdue in numbers. */
  tick (now: number): void {
    const next = this.nextTick()
    if (next === undefined || now < next) return
    if (this.reason === 'receive') {
      const { overdue, live } = this.countOverdue(now).confirmed
      if (this.receiveTrouble(overdue, live)) {
        this.troubleAt = now
        return
      }
    }
    this.condition = 'healthy'
    this.say({ type: 'healthy', degradedMs: now - this.since })
  }

  /** Many live peers overdue at once: this node's own link or receive path is the likelier cause. */
  private receiveTrouble (overdue: number, live: number): boolean {
    return overdue >= this.opts.minOverdue && overdue >= this.opts.overdueFraction * live
  }

  private stalled (now: number, lateMs: number): void {
    this.stall = { at: now, lateMs }
    this.resumed(now, lateMs)
    this.trouble(now, 'stall', { lateMs: round(lateMs) })
  }

  /**
   * Keeps the stall for {@link resumedAfterLongerThan}. Every timer that came due during
   * one freeze runs late when it ends, one after the other: a stall whose timer was due
   * before the last resume is that same freeze, which keeps its first resume and the
   * longest lateness seen. A stall can hold back only peers whose TTL is shorter than
   * it, so it is dropped once that long has passed since.
   */
  private resumed (now: number, lateMs: number): void {
    let resume = { at: now, lateMs }
    const last = this.resumes[this.resumes.length - 1]
    if (last !== undefined && now - lateMs < last.at) {
      this.resumes.pop()
      resume = { at: last.at, lateMs: Math.max(last.lateMs, lateMs) }
    }
    this.resumes = this.resumes.filter((r) => r.lateMs > resume.lateMs && now < r.at + r.lateMs)
    this.resumes.push(resume)
  }

  /** When this process last ran again after a stall longer than `ttlMs` (-Infinity: none recent). */
  private resumedAfterLongerThan (ttlMs: number): number {
    for (let i = this.resumes.length - 1; i >= 0; i--) {
      if (this.resumes[i].lateMs > ttlMs) return this.resumes[i].at
    }
    return -Infinity
  }

  private trouble (now: number, reason: Exclude<DegradedReason, 'isolated'>, figures: TroubleFigures): void {
    this.troubleAt = now
    if (this.condition !== 'healthy') {
      if (this.condition === 'degraded') this.reason = reason
      return
    }
    this.condition = 'degraded'
    this.reason = reason
    this.since = now
    this.say({ type: 'degraded', reason, ...figures })
  }

  private isolate (now: number, live: number): void {
    this.condition = 'isolated'
    this.since = now
    const last = this.view.lastReceiptAt()
    this.say({ type: 'isolated', peers: live, silentMs: last > 0 ? now - last : 0 })
  }

  /** Undisturbed listening needed before judging `peer`. */
  private settle (peer: PeerTiming): number {
    return this.opts.settleMs + 1.5 * (peer.intervalMs > 0 ? peer.intervalMs : UNKNOWN_INTERVAL_MS)
  }

  /** Live and overdue peers, all (isolation) and confirmed ones only (receive trouble). */
  private countOverdue (now: number): OverdueCount {
    if (now - this.counted.at < COUNT_REUSE_MS) return this.counted
    let overdue = 0
    let live = 0
    const confirmed = { overdue: 0, live: 0 }
    for (const peer of this.view.livePeers()) {
      const interval = peer.intervalMs > 0 ? peer.intervalMs : UNKNOWN_INTERVAL_MS
      const late = now - peer.lastHeardAt > this.opts.overdueIntervals * interval
      live++
      if (late) overdue++
      if (peer.confirmed !== false) {
        confirmed.live++
        if (late) confirmed.overdue++
      }
    }
    this.counted = { at: now, overdue, live, confirmed }
    return this.counted
  }
}

function round (ms: number): number {
  return Math.round(ms * 10) / 10
}
