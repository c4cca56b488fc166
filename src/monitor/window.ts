import type { ReceivedMetric } from './types.js'

/** Default number of metrics a window keeps. */
export const DEFAULT_WINDOW_SIZE = 25

/**
 * A ring of the last `capacity` metrics received for one (peer, metric name).
 * Adding to a full window overwrites the oldest entry.
 */
export class MetricWindow {
  readonly capacity: number
  private readonly ring: ReceivedMetric[] = []
  /** Index of the slot the next metric goes into once the ring is full. */
  private next = 0

  /** @param capacity - how many metrics to keep, an integer ≥ 1 (default 25) */
  constructor (capacity: number = DEFAULT_WINDOW_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`window capacity must be an integer >= 1, got ${capacity}`)
    }
    this.capacity = capacity
  }

  /** Number of metrics held, at most `capacity`. */
  get size (): number {
    return this.ring.length
  }

  add (metric: ReceivedMetric): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(metric)
      return
    }
    this.ring[this.next] = metric
    this.next = (this.next + 1) % this.capacity
  }

  /** The most recently added metric, or undefined when empty. */
  latest (): ReceivedMetric | undefined {
    if (this.ring.length === 0) return undefined
    if (this.ring.length < this.capacity) return this.ring[this.ring.length - 1]
    return this.ring[(this.next + this.capacity - 1) % this.capacity]
  }

  /** The i-th oldest metric held (0: the oldest), or undefined. */
  at (i: number): ReceivedMetric | undefined {
    if (i < 0 || i >= this.ring.length) return undefined
    return this.ring.length < this.capacity ? this.ring[i] : this.ring[(this.next + i) % this.capacity]
  }

  /** Whether the next add() overwrites the oldest metric. */
  get full (): boolean {
    return this.ring.length === this.capacity
  }

  /** Removes the oldest metric (the window then holds one fewer); returns it, or undefined when empty. */
  dropOldest (): ReceivedMetric | undefined {
    if (this.ring.length === 0) return undefined
    const rest = this.all()
    const oldest = rest.shift()
    this.ring.length = 0
    this.ring.push(...rest)
    this.next = 0
    return oldest
  }

  /** All metrics held, oldest first. */
  all (): ReceivedMetric[] {
    if (this.ring.length < this.capacity) return [...this.ring]
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)]
  }
}
