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
}

/** What `MetricStore.log` did with a metric. */
export type LogResult = 'logged' | 'too-many-names' | 'capacity'

/**
 * Metric windows by peer and by metric name. Both indexes share the same
 * `MetricWindow` objects. The store only keeps data: deciding when a metric
 * expired is the tracker's job.
 */
export class MetricStore {
  private readonly windowSize: number
  private readonly maxNamesPerPeer: number
  private readonly maxPeers: number
  private readonly byPeer = new Map<string, Map<string, MetricWindow>>()
  private readonly byName = new Map<string, Map<string, MetricWindow>>()

  constructor (init: MetricStoreInit = {}) {
    this.windowSize = positiveInteger('windowSize', init.windowSize ?? DEFAULT_WINDOW_SIZE)
    this.maxNamesPerPeer = positiveInteger('maxNamesPerPeer', init.maxNamesPerPeer ?? DEFAULT_MAX_NAMES_PER_PEER)
    this.maxPeers = positiveInteger('maxPeers', init.maxPeers ?? DEFAULT_MAX_PEERS)
  }

  /**
   * Appends a metric to its (peer, name) window, unless a bound refuses it.
   * Its name, and a text value equal to the previous one (a tag), are replaced
   * by the equal strings the window already holds: each decoded report brings
   * fresh copies, and a full window would otherwise keep one per entry.
   */
  log (metric: ReceivedMetric): LogResult {
    let windows = this.byPeer.get(metric.peer)
    if (windows == null) {
      if (this.byPeer.size >= this.maxPeers) return 'capacity'
      windows = new Map()
      this.byPeer.set(metric.peer, windows)
    }
    let window = windows.get(metric.name)
    if (window == null) {
      if (windows.size >= this.maxNamesPerPeer) return 'too-many-names'
      window = new MetricWindow(this.windowSize)
      windows.set(metric.name, window)
      let peers = this.byName.get(metric.name)
      if (peers == null) {
        peers = new Map()
        this.byName.set(metric.name, peers)
      }
      peers.set(metric.peer, window)
    }
    const previous = window.latest()
    if (previous != null) {
      metric.name = previous.name
      if (typeof metric.value === 'string' && metric.value === previous.value) metric.value = previous.value
    }
    window.add(metric)
    return 'logged'
  }

  /** The last metric of that name received from that peer. */
  latest (peer: string, name: string): ReceivedMetric | undefined {
    return this.byPeer.get(peer)?.get(name)?.latest()
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
    return this.byPeer.get(peer)?.get(name)?.all() ?? []
  }

  /** Metric names held for at least one peer. */
  names (): string[] {
    return [...this.byName.keys()]
  }

  /** Metric names held for one peer. */
  namesOf (peer: string): string[] {
    return [...this.byPeer.get(peer)?.keys() ?? []]
  }

  /** Peers with at least one metric held. */
  peers (): string[] {
    return [...this.byPeer.keys()]
  }

  /** Drops every window of a peer. Returns false when the peer was unknown. */
  remove (peer: string): boolean {
    const windows = this.byPeer.get(peer)
    if (windows == null) return false
    this.byPeer.delete(peer)
    for (const name of windows.keys()) {
      const peers = this.byName.get(name)
      peers?.delete(peer)
      if (peers?.size === 0) this.byName.delete(name)
    }
    return true
  }
}

function positiveInteger (option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${option} must be an integer >= 1, got ${value}`)
  }
  return value
}
