/**
 * Keeps the daemon connected to at least a target number of distinct peers
 * (its degree), so that the swarm's connectivity does not stay the bootstrap
 * graph it started as: when a neighbour dies, a seed among them, the node dials
 * others it has heard of, and the swarm heals around the hole (Serf gets the
 * same from every member knowing every other's address).
 *
 * Whom it dials: peers it knows an address of (from their signed reports, or
 * remembered from an earlier run), chosen at random so that no hub forms:
 * peers heard lately first, confirmed ones (admission.ts) before the others,
 * then peers in alert or remembered. Each peer has its own backoff with jitter
 * after a failed dial or a connection that did not last; all dials share one
 * token bucket, so a node never dials more than `dialsPerSec` peers a second
 * on average. It only dials while below the target: above it, the connections
 * others open are libp2p's connection manager's to bound.
 *
 * Plain values only (a dial function, candidate lists, a clock), so it is
 * unit-tested without a network; the daemon's run loop wires it to libp2p.
 */
import { GOSSIPSUB_TUNING } from '../libp2p/gossip-tuning.js'
import { TokenBucket as Bucket } from '../monitor/token-bucket.js'

/**
 * The daemon's default degree: gossipsub's upper mesh bound Dhi, 4 with peermon's
 * tuning (src/libp2p/gossip-tuning.ts: D 3, Dlo 2, Dhi 4). With that many
 * connections a node can always fill its mesh to D and keeps a spare, so the
 * loss of one neighbour never leaves its mesh short; losses beyond that are
 * made good by a dial within about 250 ms plus a handshake, long before a TTL.
 * More is not free: a node flood-publishes its own report to every connected
 * peer and gossips to the non-mesh ones, so every connection costs copies. At
 * 20 packed nodes a target of 6 cost 25 % more CPU and 50 % more bytes read
 * than the bootstrap graph alone (docs/benchmarks.md); 4 adds a dial only
 * where a node has fewer.
 */
export const DEFAULT_MIN_CONNECTIONS = GOSSIPSUB_TUNING.Dhi ?? 4

/** A peer this node could dial. `A` is whatever the dial function takes as its addresses. */
export interface DialCandidate<A = unknown> {
  peer: string
  addrs: A
  /**
   * How much to prefer it, lowest first: 0 heard lately and confirmed, 1 heard lately,
   * 2 known otherwise (in alert, remembered from an earlier run).
   */
  rank: number
}

export interface DegreeKeeperInit<A> {
  /** Connections to distinct peers to keep, at least (0: the keeper does nothing). */
  target: number
  /** The peers that could be dialled now (connected ones are skipped). */
  candidates: () => Array<DialCandidate<A>>
  /** The peers a connection is open to now. */
  connected: () => ReadonlySet<string>
  /** Dial one peer; rejects when the dial fails. */
  dial: (candidate: DialCandidate<A>) => Promise<void>
  /**
   * How many peers this node hears from (alive) without a connection to them; asked
   * only before a warning, to tell "nobody to dial" from "everyone already connected".
   */
  heardUnconnected?: () => number
  /** Told once per shortage that lasted `warnAfterMs` with nobody left to dial. */
  onShortage?: (connections: number, target: number) => void
  /** Dials a second on average (default 2) ... */
  dialsPerSec?: number
  /** ... and back to back (default: the target). */
  dialBurst?: number
  /** How often the count is checked without a disconnection (ms, default 1 s). */
  tickMs?: number
  /** First backoff after a failure (ms, default 1 s) ... */
  initialBackoffMs?: number
  /** ... doubled per failure up to this (ms, default 30 s, as for bootstrap peers), ±20 % jitter. */
  maxBackoffMs?: number
  /** A connection closed sooner than this after the dial (ms) counts as a failure (default 5 s). */
  stableAfterMs?: number
  /** A shortage with nobody to dial is told after it lasted this long (ms, default 10 s). */
  warnAfterMs?: number
  /** The longest random wait (ms) before dialling after a disconnection (default 250), so neighbours of a dead peer do not dial in step. */
  reactJitterMs?: number
  now?: () => number
  random?: () => number
}

/** What the keeper did so far, for the API and /metrics. */
export interface DegreeView {
  target: number
  connections: number
  /** Dials under way now. */
  dialling: number
  /** Dials that connected, and dials that failed, since start. */
  dials: { ok: number, failed: number }
  /** Whether the node is below target with nobody it could dial (and hears from peers it cannot reach, or from none). */
  short: boolean
}

interface PeerBackoff {
  failures: number
  until: number
  /** When the last dial to it connected. */
  connectedAt?: number
}

export class DegreeKeeper<A = unknown> {
  private readonly init: DegreeKeeperInit<A>
  private readonly now: () => number
  private readonly random: () => number
  private readonly bucket: Bucket
  private readonly backoff = new Map<string, PeerBackoff>()
  private readonly dialling = new Set<string>()
  private readonly count = { ok: 0, failed: 0 }
  private timer?: NodeJS.Timeout
  private soon?: NodeJS.Timeout
  private running = false
  private shortSince: number | undefined
  private warned = false

  constructor (init: DegreeKeeperInit<A>) {
    this.init = init
    this.now = init.now ?? Date.now
    this.random = init.random ?? Math.random
    this.bucket = new Bucket((init.dialsPerSec ?? 2) / 1000, Math.max(1, init.dialBurst ?? init.target), this.now())
  }

  start (): void {
    if (this.running || this.init.target <= 0) return
    this.running = true
    const every = this.init.tickMs ?? 1_000
    const loop = (): void => {
      this.timer = setTimeout(() => { this.tick(); loop() }, every * (0.9 + 0.2 * this.random()))
      this.timer.unref?.()
    }
    loop()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
    clearTimeout(this.soon)
    this.timer = undefined
    this.soon = undefined
  }

  /** A connection to `peer` closed: one that did not last counts against it; below target, others are dialled soon. */
  peerDisconnected (peer: string): void {
    const state = this.backoff.get(peer)
    if (state?.connectedAt !== undefined) {
      const lasted = this.now() - state.connectedAt
      state.connectedAt = undefined
      if (lasted < (this.init.stableAfterMs ?? 5_000)) this.failed(peer, state)
      else this.backoff.delete(peer)
    }
    if (!this.running || this.soon !== undefined) return
    this.soon = setTimeout(() => { this.soon = undefined; this.tick() }, (this.init.reactJitterMs ?? 250) * this.random())
    this.soon.unref?.()
  }

  view (): DegreeView {
    return {
      target: this.init.target,
      connections: this.init.connected().size,
      dialling: this.dialling.size,
      dials: { ...this.count },
      short: this.warned
    }
  }

  /** Looks at the count and dials what is missing; the timers call it, tests call it directly. */
  tick (): void {
    if (!this.running) return
    const now = this.now()
    const connected = this.init.connected()
    let missing = this.init.target - connected.size - this.dialling.size
    if (missing <= 0) {
      this.shortSince = undefined
      this.warned = false
      return
    }
    this.shortSince ??= now
    const known = this.init.candidates().filter(c => !connected.has(c.peer) && !this.dialling.has(c.peer))
    const ready = known.filter(c => (this.backoff.get(c.peer)?.until ?? 0) <= now)
    for (const candidate of this.order(ready)) {
      if (missing <= 0 || !this.bucket.take(now)) break
      missing--
      void this.dial(candidate)
    }
    if (known.length > 0 || this.dialling.size > 0) {
      this.warned = false
      return
    }
    if (this.warned || now - this.shortSince < (this.init.warnAfterMs ?? 10_000)) return
    // Nobody else to dial: worth a warning only when cut off, or when it hears peers it cannot reach.
    if (connected.size === 0 || (this.init.heardUnconnected?.() ?? 0) > 0) {
      this.warned = true
      this.init.onShortage?.(connected.size, this.init.target)
    }
  }

  /** Lowest rank first, shuffled within a rank. */
  private order (candidates: Array<DialCandidate<A>>): Array<DialCandidate<A>> {
    return candidates
      .map(c => ({ c, key: c.rank + this.random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ c }) => c)
  }

  private async dial (candidate: DialCandidate<A>): Promise<void> {
    const { peer } = candidate
    this.dialling.add(peer)
    try {
      await this.init.dial(candidate)
      this.count.ok++
      const state = this.backoff.get(peer) ?? { failures: 0, until: 0 }
      state.connectedAt = this.now()
      this.backoff.set(peer, state)
    } catch {
      this.count.failed++
      this.failed(peer, this.backoff.get(peer) ?? { failures: 0, until: 0 })
    } finally {
      this.dialling.delete(peer)
    }
  }

  private failed (peer: string, state: PeerBackoff): void {
    state.failures++
    const initial = this.init.initialBackoffMs ?? 1_000
    const max = this.init.maxBackoffMs ?? 30_000
    const base = Math.min(max, initial * 2 ** (state.failures - 1))
    state.until = this.now() + Math.round(base * (0.8 + 0.4 * this.random()))
    this.backoff.set(peer, state)
    // Forget the backoff of peers no longer worth remembering: the map stays as small as the candidates.
    if (this.backoff.size > 4 * Math.max(64, this.init.target)) this.prune()
  }

  private prune (): void {
    const now = this.now()
    for (const [peer, state] of this.backoff) {
      if (state.connectedAt === undefined && state.until <= now) this.backoff.delete(peer)
    }
  }
}
