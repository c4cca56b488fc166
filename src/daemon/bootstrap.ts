/**
 * Keeps the daemon connected to its bootstrap peers: each is dialled at start
 * and dialled again, with exponential backoff and jitter, whenever it is not
 * connected. Plain values only (a dial function, a connection test), so it is
 * unit-tested without a network.
 */

export interface BootstrapTarget {
  /** The multiaddr as the operator wrote it (with `/p2p/<id>`). */
  addr: string
  /** The peer id in it. */
  peer: string
}

export interface BootstrapKeeperInit {
  targets: BootstrapTarget[]
  /** Dial one target; rejects when the dial fails. */
  dial: (target: BootstrapTarget) => Promise<void>
  /** Whether a connection to this peer is open now. */
  isConnected: (peer: string) => boolean
  /** First retry delay (ms). Default 500. */
  initialDelayMs?: number
  /** Longest retry delay (ms). Default 30 s. */
  maxDelayMs?: number
  /** A connection that closes sooner than this (ms) after the dial counts as a failed dial. Default 5 s. */
  stableAfterMs?: number
  /** Called after a failed dial, with the delay until the next try. */
  onDialError?: (target: BootstrapTarget, err: unknown, retryInMs: number) => void
  random?: () => number
}

interface TargetState {
  target: BootstrapTarget
  failures: number
  /** When the last dial succeeded (Date.now()). */
  connectedAt?: number
  timer?: NodeJS.Timeout
  dialling: boolean
}

export class BootstrapKeeper {
  private readonly states = new Map<string, TargetState>()
  private readonly init: BootstrapKeeperInit
  private running = false

  constructor (init: BootstrapKeeperInit) {
    this.init = init
    for (const target of init.targets) this.states.set(target.peer, { target, failures: 0, dialling: false })
  }

  start (): void {
    this.running = true
    for (const state of this.states.values()) this.schedule(state, 0)
  }

  stop (): void {
    this.running = false
    for (const state of this.states.values()) {
      if (state.timer != null) clearTimeout(state.timer)
      state.timer = undefined
    }
  }

  /** Tell the keeper a peer disconnected; a bootstrap peer is dialled again after a short delay. */
  peerDisconnected (peer: string): void {
    const state = this.states.get(peer)
    if (state == null || !this.running || state.timer != null || state.dialling) return
    // A peer that drops us right after the handshake (its allow-list lacks us, say) must not be
    // redialled at once, over and over: a short-lived connection counts as a failure.
    const lasted = state.connectedAt == null ? Infinity : Date.now() - state.connectedAt
    state.failures = lasted < (this.init.stableAfterMs ?? 5_000) ? state.failures + 1 : 0
    this.schedule(state, this.delay(state.failures))
  }

  private schedule (state: TargetState, delayMs: number): void {
    if (!this.running) return
    if (state.timer != null) clearTimeout(state.timer)
    state.timer = setTimeout(() => {
      state.timer = undefined
      void this.attempt(state)
    }, delayMs)
  }

  private async attempt (state: TargetState): Promise<void> {
    if (!this.running || state.dialling) return
    if (this.init.isConnected(state.target.peer)) return
    state.dialling = true
    try {
      await this.init.dial(state.target)
      state.connectedAt = Date.now()
    } catch (err) {
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
}
