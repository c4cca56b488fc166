/**
 * Keeps the daemon connected to its bootstrap peers. An operator names them in
 * one of three ways, and the keeper dials each at start and again, with
 * exponential backoff and jitter, whenever it has lost what it connected to:
 *
 * - `/ip4/10.0.0.1/tcp/4011/p2p/12D3KooW...`: one peer, whose key Noise checks;
 * - `/ip4/10.0.0.1/tcp/4011`: whoever answers there; its peer id is learned in
 *   the Noise handshake (SECURITY.md says what that trusts);
 * - `/dns4/peermon/tcp/4011`: a name that resolves to several addresses (a
 *   Kubernetes headless Service, a Compose service with replicas). The keeper
 *   dials up to {@link DEFAULT_PEERS_PER_NAME} of them, chosen at random, and
 *   resolves the name again whenever one of those disconnects or none answered,
 *   so a replaced pod or container is found at its new address.
 *
 * Plain values only (a resolver, a dial function, a connection test), so it is
 * unit-tested without a network or DNS.
 */

/** Peers a DNS name is dialled for, at most: enough to join a swarm (the connection keeper does the rest). */
export const DEFAULT_PEERS_PER_NAME = 8

export interface BootstrapTarget {
  /** The multiaddr as the operator wrote it. */
  addr: string
  /** The peer id in it (`/p2p/<id>`); absent: whoever answers, learned at the dial. */
  peer?: string
  /** It names a host by DNS (`/dns`, `/dns4`, `/dns6`): resolved at each attempt, to several peers. */
  byName?: boolean
}

export interface BootstrapKeeperInit {
  targets: BootstrapTarget[]
  /**
   * The addresses to dial for a target: a `byName` target's name resolved (each
   * address with the target's `/p2p/<id>`, if any), any other target as it is.
   * Rejects when the name does not resolve. Default: the target's address as it is.
   */
  resolve?: (target: BootstrapTarget) => Promise<string[]>
  /** Dial one address; resolves with the peer id that answered, rejects when the dial fails. */
  dial: (addr: string) => Promise<string>
  /** Whether a connection to this peer is open now. */
  isConnected: (peer: string) => boolean
  /** Whether an address is one this node listens on (a name that resolves to every replica includes this one). */
  isSelf?: (addr: string) => boolean
  /**
   * Where the connected peers listen, read once per attempt: a lookup from an address to the
   * connected peer listening there, so that a replica that dialled this node first is not
   * dialled back (a second connection to the same peer). Default: none known.
   */
  connectedListeners?: () => Promise<(addr: string) => string | undefined>
  /** Peers a `byName` target is dialled for, at most. Default {@link DEFAULT_PEERS_PER_NAME}. */
  peersPerName?: number
  /** First retry delay (ms). Default 500. */
  initialDelayMs?: number
  /** Longest retry delay (ms). Default 30 s. */
  maxDelayMs?: number
  /** A connection that closes sooner than this (ms) after the dial counts as a failed dial. Default 5 s. */
  stableAfterMs?: number
  /** Called after a failed attempt (nothing answered, or the name did not resolve), with the delay until the next. */
  onDialError?: (target: BootstrapTarget, err: unknown, retryInMs: number) => void
  random?: () => number
}

interface TargetState {
  target: BootstrapTarget
  /** The peers this target's dials reached, by the address dialled. */
  reached: Map<string, string>
  failures: number
  /** When the last dial succeeded (Date.now()). */
  connectedAt?: number
  timer?: NodeJS.Timeout
  dialling: boolean
}

export class BootstrapKeeper {
  private readonly states: TargetState[]
  private readonly init: BootstrapKeeperInit
  private running = false

  constructor (init: BootstrapKeeperInit) {
    this.init = init
    this.states = init.targets.map(target => ({ target, reached: new Map(), failures: 0, dialling: false }))
  }

  start (): void {
    this.running = true
    for (const state of this.states) this.schedule(state, 0)
  }

  stop (): void {
    this.running = false
    for (const state of this.states) {
      if (state.timer != null) clearTimeout(state.timer)
      state.timer = undefined
    }
  }

  /** Tell the keeper a peer disconnected; a target that had reached it is dialled again after a short delay. */
  peerDisconnected (peer: string): void {
    for (const state of this.states) {
      if (state.target.peer !== peer && ![...state.reached.values()].includes(peer)) continue
      if (!this.running || state.timer != null || state.dialling) continue
      // A peer that drops us right after the handshake (its allow-list lacks us, say) must not be
      // redialled at once, over and over: a short-lived connection counts as a failure.
      const lasted = state.connectedAt == null ? Infinity : Date.now() - state.connectedAt
      state.failures = lasted < (this.init.stableAfterMs ?? 5_000) ? state.failures + 1 : 0
      this.schedule(state, this.delay(state.failures))
    }
  }

  private schedule (state: TargetState, delayMs: number): void {
    if (!this.running) return
    if (state.timer != null) clearTimeout(state.timer)
    state.timer = setTimeout(() => {
      state.timer = undefined
      void this.attempt(state)
    }, delayMs)
  }

  /** How many peers this target should keep connected: one, or up to peersPerName for a name. */
  private wanted (target: BootstrapTarget): number {
    return target.byName === true && target.peer === undefined ? (this.init.peersPerName ?? DEFAULT_PEERS_PER_NAME) : 1
  }

  private connectedCount (state: TargetState): number {
    const { peer } = state.target
    if (peer !== undefined) return this.init.isConnected(peer) ? 1 : 0
    return new Set([...state.reached.values()].filter(p => this.init.isConnected(p))).size
  }

  private async attempt (state: TargetState): Promise<void> {
    if (!this.running || state.dialling) return
    const missing = this.wanted(state.target) - this.connectedCount(state)
    if (missing <= 0) return
    state.dialling = true
    try {
      const addrs = this.init.resolve !== undefined ? await this.init.resolve(state.target) : [state.target.addr]
      if (!this.running) return
      const connectedVia = (addr: string): boolean => {
        const peer = state.reached.get(addr)
        return peer !== undefined && this.init.isConnected(peer)
      }
      const candidates: string[] = []
      const listenerAt = await this.init.connectedListeners?.()
      for (const addr of addrs) {
        if (this.init.isSelf?.(addr) === true || connectedVia(addr)) continue
        const peer = listenerAt?.(addr)
        if (peer !== undefined) state.reached.set(addr, peer)
        else candidates.push(addr)
      }
      if (this.connectedCount(state) >= this.wanted(state.target)) return
      // Resolved to this node alone (the first replica up) or to peers already reached: nothing
      // to dial, and nothing wrong; look again later, in case replicas come.
      if (candidates.length === 0) {
        if (addrs.length === 0) throw new Error('the name resolved to no address')
        if (this.connectedCount(state) === 0) this.schedule(state, this.delay(++state.failures))
        return
      }
      const picked = this.shuffle(candidates).slice(0, this.wanted(state.target) - this.connectedCount(state))
      const results = await Promise.allSettled(picked.map(async addr => [addr, await this.init.dial(addr)] as const))
      let reached = 0
      for (const result of results) {
        if (result.status !== 'fulfilled') continue
        const [addr, peer] = result.value
        state.reached.set(addr, peer)
        reached++
      }
      const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (reached === 0) throw firstError?.reason
      state.connectedAt = Date.now()
      // Forget the addresses whose peers are gone, so the map stays the size of a name's answer.
      for (const [addr, peer] of state.reached) if (!addrs.includes(addr) && !this.init.isConnected(peer)) state.reached.delete(addr)
    } catch (err) {
      if (!this.running) return
      state.failures++
      const retryIn = this.delay(state.failures)
      this.init.onDialError?.(state.target, err, retryIn)
      this.schedule(state, retryIn)
    } finally {
      state.dialling = false
    }
  }

  /** Exponential backoff with ±20 % jitter: 500 ms, 1 s, 2 s, ... capped. */
  private delay (failures: number): number {
    const initial = this.init.initialDelayMs ?? 500
    const max = this.init.maxDelayMs ?? 30_000
    const base = Math.min(max, initial * 2 ** Math.max(0, failures - 1))
    const random = this.init.random ?? Math.random
    return Math.round(base * (0.8 + 0.4 * random()))
  }

  private shuffle<T> (items: T[]): T[] {
    const random = this.init.random ?? Math.random
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const swap = out[i]
      out[i] = out[j]
      out[j] = swap
    }
    return out
  }
}
