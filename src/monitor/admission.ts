/**
 * Admission of new peers (SECURITY.md, "Admission under a Sybil flood"): keys
 * are free, so a node cannot take in every peer id that signs a report. A new
 * peer is *confirmed* when there is evidence of a real node behind it: it is
 * (or was) directly connected to this node, it is on the allow-list, or its
 * reports reached this node first through two different neighbours
 * (propagation sources). Connected and allow-listed newcomers are admitted at
 * once (connection limits and the list bound them), those of two neighbours
 * from a generous bucket; unconfirmed ones only from an allowance per
 * neighbour that brought them, within a share of the budget per neighbour,
 * so a flood through one neighbour spends only that neighbour's allowance.
 * Their reports are relayed further only while that neighbour is calm (its
 * allowance nearly full: it brought at most a few newcomers lately); while it
 * floods, they are logged here and ignored (not forwarded). Candidates not yet admitted are remembered, a bounded
 * number for a bounded time, to see their second neighbour; when the table is
 * full, the neighbour holding the most candidates gives up its oldest, so a
 * flood through one neighbour cannot push out a candidate another brought.
 */
import { TokenBucket } from './token-bucket.js'

/** Bounds of admission. */
export interface AdmissionLimits {
  /** New unconfirmed peers one neighbour may bring in, per second on average (default 2). */
  sourceRatePerSec: number
  /** ... and back to back (default 256: a node joining through one neighbour learns a swarm of that size at once). */
  sourceBurst: number
  /**
   * Reports of unconfirmed peers are relayed while their neighbour's allowance
   * lacks at most this many tokens (default 16): it brought few newcomers lately.
   */
  relayMargin: number
  /** Share of the unconfirmed share that the peers one neighbour brought may hold (default 0.25). */
  sourceShare: number
  /** Confirmed newcomers admitted per second on average (default 50: more than connection limits let in). */
  confirmedRatePerSec: number
  /** ... and back to back (default 500). */
  confirmedBurst: number
  /** Share of the state budget unconfirmed peers may hold together (default 0.25). */
  unconfirmedShare: number
  /** Candidates (new peers not yet admitted) remembered (default 4,096). */
  maxCandidates: number
  /** A candidate is forgotten after this long (ms, default 60 s). */
  candidateTtlMs: number
  /** Neighbours whose allowance is remembered (default 1,024; libp2p keeps at most 300 connections). */
  maxSources: number
  /** Connected peers remembered as confirmed before they report (default 10,000). */
  maxConnected: number
  /** Alerts on unconfirmed peers raised one by one: back to back (default 10) ... */
  unconfirmedAlertBurst: number
  /** ... and then one per this many ms (default 60 s); the rest are counted in a `crowded` event. */
  unconfirmedAlertEveryMs: number
  /** An episode of binding bounds ends after this long (ms) without a refusal (default 60 s). */
  episodeMs: number
}

export const DEFAULT_ADMISSION_LIMITS: Readonly<AdmissionLimits> = Object.freeze({
  sourceRatePerSec: 2,
  sourceBurst: 256,
  relayMargin: 16,
  sourceShare: 0.25,
  confirmedRatePerSec: 50,
  confirmedBurst: 500,
  unconfirmedShare: 0.25,
  maxCandidates: 4_096,
  candidateTtlMs: 60_000,
  maxSources: 1_024,
  maxConnected: 10_000,
  unconfirmedAlertBurst: 10,
  unconfirmedAlertEveryMs: 60_000,
  episodeMs: 60_000
})

/** What a neighbour may still bring in, and the bytes of the unconfirmed peers it brought. */
interface SourceState {
  admit: TokenBucket
  bytes: number
}

interface Candidate {
  source: string
  firstSeen: number
}

export class Admission {
  readonly limits: Readonly<AdmissionLimits>
  private readonly connectedPeers = new Set<string>()
  private readonly candidates = new Map<string, Candidate>()
  /** Candidates by the neighbour that brought them, oldest first. */
  private readonly bySource = new Map<string, Set<string>>()
  /** Each neighbour's allowance of unconfirmed newcomers, least recently used first. */
  private readonly sources = new Map<string, SourceState>()
  private readonly confirmedBucket: TokenBucket
  private readonly alertBucket: TokenBucket

  /** Throws RangeError on invalid limits. */
  constructor (limits: Partial<AdmissionLimits> = {}, now = 0) {
    const all = { ...DEFAULT_ADMISSION_LIMITS, ...limits }
    for (const [name, value] of Object.entries(all)) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`admission ${name} must be a number >= 0, got ${value}`)
    }
    if (all.unconfirmedShare > 1) throw new RangeError(`admission unconfirmedShare must be at most 1, got ${all.unconfirmedShare}`)
    if (all.sourceShare > 1) throw new RangeError(`admission sourceShare must be at most 1, got ${all.sourceShare}`)
    this.limits = Object.freeze(all)
    this.confirmedBucket = new TokenBucket(all.confirmedRatePerSec / 1000, all.confirmedBurst, now)
    this.alertBucket = new TokenBucket(all.unconfirmedAlertEveryMs > 0 ? 1 / all.unconfirmedAlertEveryMs : Infinity, all.unconfirmedAlertBurst, now)
  }

  /** Candidates waiting: new peers heard from and not admitted yet. */
  get waiting (): number {
    return this.candidates.size
  }

  /** A libp2p connection to `peer` opened. */
  connected (peer: string): void {
    if (this.connectedPeers.size < this.limits.maxConnected) this.connectedPeers.add(peer)
  }

  /** Its last connection closed. */
  disconnected (peer: string): void {
    this.connectedPeers.delete(peer)
  }

  isConnected (peer: string): boolean {
    return this.connectedPeers.has(peer)
  }

  /**
   * A report of `peer`, not admitted yet, arrived first through `source`.
   * Returns true when that makes two different neighbours (the candidate is
   * then forgotten: it is confirmed), else remembers it as a candidate.
   */
  heardThrough (peer: string, source: string, now: number): boolean {
    const known = this.candidates.get(peer)
    if (known !== undefined && now - known.firstSeen > this.limits.candidateTtlMs) this.drop(peer)
    else if (known !== undefined) {
      if (known.source === source) return false
      this.drop(peer)
      return true
    }
    if (this.limits.maxCandidates < 1) return false
    if (this.candidates.size >= this.limits.maxCandidates) this.dropOneCandidate(now)
    this.candidates.set(peer, { source, firstSeen: now })
    let list = this.bySource.get(source)
    if (list === undefined) {
      list = new Set()
      this.bySource.set(source, list)
    }
    list.add(peer)
    return false
  }

  /** The peer was admitted (or forgotten): no longer a candidate. */
  drop (peer: string): void {
    const candidate = this.candidates.get(peer)
    if (candidate === undefined) return
    this.candidates.delete(peer)
    const list = this.bySource.get(candidate.source)
    list?.delete(peer)
    if (list?.size === 0) this.bySource.delete(candidate.source)
  }

  /** Whether a confirmed newcomer may come in now; `take` spends the token. */
  confirmedToken (now: number, take: boolean): boolean {
    return take ? this.confirmedBucket.take(now) : this.confirmedBucket.peek(now)
  }

  /** Whether `source` may bring in an unconfirmed newcomer now; `take` spends its token. */
  sourceToken (source: string, now: number, take: boolean): boolean {
    const state = this.source(source, now)
    return take ? state.admit.take(now) : state.admit.peek(now)
  }

  /**
   * Whether reports of unconfirmed peers `source` brought in are relayed now: it
   * is calm, its allowance lacks at most `relayMargin` tokens. A node joining
   * through it may bring a swarm's worth at once: they are relayed once the
   * allowance has refilled (a minute or two); a flood is not, while it lasts.
   */
  calm (source: string, now: number): boolean {
    const state = this.sources.get(source)
    return state === undefined || state.admit.spent(now) <= this.limits.relayMargin
  }

  /** Bytes of the unconfirmed peers `source` brought in. */
  sourceBytes (source: string): number {
    return this.sources.get(source)?.bytes ?? 0
  }

  /** Adds to (or, negative, takes from) the bytes of the unconfirmed peers `source` brought in. */
  chargeSource (source: string, bytes: number): void {
    const state = this.sources.get(source)
    if (state !== undefined) state.bytes += bytes
  }

  /** A neighbour's state, the most recently used last; the least recently used one without bytes goes when full. */
  private source (source: string, now: number): SourceState {
    let state = this.sources.get(source)
    if (state === undefined) {
      if (this.sources.size >= this.limits.maxSources) {
        for (const [key, old] of this.sources) {
          if (old.bytes <= 0) {
            this.sources.delete(key)
            break
          }
        }
      }
      state = {
        admit: new TokenBucket(this.limits.sourceRatePerSec / 1000, this.limits.sourceBurst, now),
        bytes: 0
      }
    } else {
      this.sources.delete(source)
    }
    this.sources.set(source, state)
    return state
  }

  /** Whether an alert on an unconfirmed peer may be raised now (one token), else it is counted only. */
  alertToken (now: number): boolean {
    return this.alertBucket.take(now)
  }

  /**
   * Drops one candidate, for a new one when the table is full: an expired one
   * (the oldest is looked at), else the oldest of the neighbour that holds the most.
   */
  private dropOneCandidate (now: number): void {
    const [oldestPeer, oldest] = this.candidates.entries().next().value ?? []
    if (oldestPeer !== undefined && oldest !== undefined && now - oldest.firstSeen > this.limits.candidateTtlMs) {
      this.drop(oldestPeer)
      return
    }
    let most: Set<string> | undefined
    for (const list of this.bySource.values()) {
      if (most === undefined || list.size > most.size) most = list
    }
    const victim = most?.values().next().value
    if (victim !== undefined) this.drop(victim)
  }
}
