import { ENTRY_BYTES, NAME_BYTES, stringBytes } from './budget.js'
import type { BudgetAccount } from './budget.js'
import { DEFAULT_WINDOW_SIZE, MetricWindow } from './window.js'
import type { ReceivedMetric } from './types.js'

/** Default bound on distinct metric names kept per peer. */
export const DEFAULT_MAX_NAMES_PER_PEER = 64
/** Default bound on peers kept in the store. */
export const DEFAULT_MAX_PEERS = 10_000

export interface MetricStoreInit {
  /** Metrics kept per (peer, name) window (default 25). */
  windowSize?: number
  /** Distinct metric names kept per peer; a new name beyond it is refused (default 64). */
  maxNamesPerPeer?: number
  /** Peers kept; a metric of a new peer beyond it is refused (default 10 000). */
  maxPeers?: number
  /** Charged with the estimated bytes of every name and window entry held (budget.ts). Default none. */
  account?: BudgetAccount
  /**
   * Asked before the store grows by `bytes` for `peer`; false refuses the growth.
   * It may make room first (the core evicts silent peers). Default: the account's fits().
   */
  canGrow?: (bytes: number, peer: string) => boolean
}

/** What `MetricStore.log` did with a metric. */
export type LogResult = 'logged' | 'too-many-names' | 'capacity' | 'budget'

/** One peer's windows, by metric name, and the bytes they are estimated to hold. */
interface PeerWindows {
  windows: Map<string, MetricWindow>
  bytes: number
}

/**
 * Metric windows by peer and by metric name. Both indexes share the same
 * `MetricWindow` objects. The store only keeps data: deciding when a metric
 * expired is the tracker's job.
 */
export class MetricStore {
  private readonly windowSize: number
  private readonly maxNamesPerPeer: number
  private readonly maxPeers: number
  private readonly byPeer = new Map<string, PeerWindows>()
  private readonly byName = new Map<string, Map<string, MetricWindow>>()
  private readonly account: BudgetAccount | undefined
  private readonly canGrow: (bytes: number, peer: string) => boolean
  private held = 0

  constructor (init: MetricStoreInit = {}) {
    this.windowSize = positiveInteger('windowSize', init.windowSize ?? DEFAULT_WINDOW_SIZE)
    this.maxNamesPerPeer = positiveInteger('maxNamesPerPeer', init.maxNamesPerPeer ?? DEFAULT_MAX_NAMES_PER_PEER)
    this.maxPeers = positiveInteger('maxPeers', init.maxPeers ?? DEFAULT_MAX_PEERS)
    this.account = init.account
    const account = init.account
    this.canGrow = init.canGrow ?? (account === undefined ? () => true : (bytes) => account.fits(bytes))
  }

  /** Estimated bytes of every name and window entry held (budget.ts). */
  get bytes (): number {
    return this.held
  }

  /** Estimated bytes of one peer's names and window entries. */
  bytesOf (peer: string): number {
    return this.byPeer.get(peer)?.bytes ?? 0
  }

  /**
   * What a peer's first report costs in the store: a name and an entry for each
   * metric, up to the bound on names (the core adds the peer's own cost).
   */
  firstReportBytes (metrics: ReadonlyArray<{ name: string, value: unknown }>): number {
    let bytes = 0
    for (const metric of metrics.slice(0, this.maxNamesPerPeer)) {
      bytes += NAME_BYTES + stringBytes(metric.name) + ENTRY_BYTES + (typeof metric.value === 'string' ? stringBytes(metric.value) : 0)
    }
    return bytes
  }

  /**
   * Appends a metric to its (peer, name) window, unless a bound refuses it.
   * Its name, and a text value equal to the previous one (a tag), are replaced
   * by the equal strings the window already holds: each decoded report brings
   * fresh copies, and a full window would otherwise keep one per entry.
   */
  log (metric: ReceivedMetric): LogResult {
    let peer = this.byPeer.get(metric.peer)
    if (peer == null && this.byPeer.size >= this.maxPeers) return 'capacity'
    let window = peer?.windows.get(metric.name)
    if (window == null) {
      if (peer != null && peer.windows.size >= this.maxNamesPerPeer) return 'too-many-names'
      const bytes = NAME_BYTES + stringBytes(metric.name) + entryBytes(metric, undefined)
      if (!this.canGrow(bytes, metric.peer)) return 'budget'
      if (peer == null) {
        peer = { windows: new Map(), bytes: 0 }
        this.byPeer.set(metric.peer, peer)
      }
      window = new MetricWindow(this.windowSize)
      peer.windows.set(metric.name, window)
      let peers = this.byName.get(metric.name)
      if (peers == null) {
        peers = new Map()
        this.byName.set(metric.name, peers)
      }
      peers.set(metric.peer, window)
      window.add(metric)
      this.charge(peer, bytes)
      return 'logged'
    }
    // peer is set: it holds the window.
    const windows = peer as PeerWindows
    const previous = window.latest()
    if (previous != null) {
      metric.name = previous.name
      if (typeof metric.value === 'string' && metric.value === previous.value) metric.value = previous.value
    }
    let added = entryBytes(metric, previous)
    const overwritten = (): number => window.full ? oldestBytes(window, window.capacity > 1 ? window.at(1) : metric) : 0
    let delta = added - overwritten()
    if (delta > 0 && !this.canGrow(delta, metric.peer)) {
      // Over budget, a known metric is still kept fresh (a refused update would
      // turn into a false alert), but its window gives up its oldest entries
      // instead of growing; the latest value always stays.
      while (window.size > 0 && !this.canGrow(added, metric.peer)) {
        const released = oldestBytes(window, window.at(1))
        window.dropOldest()
        this.charge(windows, -released)
        added = entryBytes(metric, window.latest())
      }
      delta = added - overwritten()
    }
    window.add(metric)
    this.charge(windows, delta)
    return 'logged'
  }

  /** The last metric of that name received from that peer. */
  latest (peer: string, name: string): ReceivedMetric | undefined {
    return this.byPeer.get(peer)?.windows.get(name)?.latest()
  }

  /** The last metric of that name from each peer that sent one. */
  latestByName (name: string): ReceivedMetric[] {
    const latest: ReceivedMetric[] = []
    for (const window of this.byName.get(name)?.values() ?? []) {
      const metric = window.latest()
      if (metric != null) latest.push(metric)
    }
    return latest
  }

  /** The (peer, name) window, oldest first; empty when unknown. */
  window (peer: string, name: string): ReceivedMetric[] {
    return this.byPeer.get(peer)?.windows.get(name)?.all() ?? []
  }

  /** Metric names held for at least one peer. */
  names (): string[] {
    return [...this.byName.keys()]
  }

  /** Metric names held for one peer. */
  namesOf (peer: string): string[] {
    return [...this.byPeer.get(peer)?.windows.keys() ?? []]
  }

  /** Peers with at least one metric held. */
  peers (): string[] {
    return [...this.byPeer.keys()]
  }

  /** Drops every window of a peer. Returns false when the peer was unknown. */
  remove (peer: string): boolean {
    const held = this.byPeer.get(peer)
    if (held == null) return false
    this.byPeer.delete(peer)
    this.charge(held, -held.bytes)
    for (const name of held.windows.keys()) {
      const peers = this.byName.get(name)
      peers?.delete(peer)
      if (peers?.size === 0) this.byName.delete(name)
    }
    return true
  }

  private charge (peer: PeerWindows, bytes: number): void {
    peer.bytes += bytes
    this.held += bytes
    this.account?.charge(bytes)
  }
}

/**
 * The estimated bytes a metric adds to a window whose latest entry is
 * `previous`: a text equal to the previous one shares its string (log()).
 */
function entryBytes (metric: ReceivedMetric, previous: ReceivedMetric | undefined): number {
  const text = typeof metric.value === 'string' && metric.value !== previous?.value ? stringBytes(metric.value) : 0
  return ENTRY_BYTES + text
}

/**
 * The estimated bytes the window's oldest entry frees when it goes; `next` is
 * the entry that becomes the oldest. Equal texts of consecutive entries share
 * one string, which stays while the next entry holds it.
 */
function oldestBytes (window: MetricWindow, next: ReceivedMetric | undefined): number {
  const oldest = window.at(0)
  if (oldest == null) return 0
  const text = typeof oldest.value === 'string' && oldest.value !== next?.value ? stringBytes(oldest.value) : 0
  return ENTRY_BYTES + text
}

function positiveInteger (option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${option} must be an integer >= 1, got ${value}`)
  }
  return value
}
