import { popHeap, pushHeap } from './heap.js'
import type { Clock } from './types.js'

/** Longest delay a Node.js timer accepts; longer waits are re-armed in steps. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1

export interface ExpiryTrackerInit<K> {
  /** Monotonic clock and timers; deadlines are on this clock. */
  clock: Clock
  /**
   * Called once per deadline that passed, in deadline order (ties: the order
   * they were set in). `now` may be later than `deadline` when the timer fired
   * late. The callback may set and cancel deadlines, including its own key.
   */
  onExpire: (key: K, deadline: number, now: number) => void
}

interface HeapEntry<K> {
  deadline: number
  /** Insertion order, to break ties. */
  order: number
  /** Cleared when the deadline is cancelled, so a stale entry keeps nothing alive. */
  key: K | undefined
  /** Matches the key's live generation unless the entry is stale. */
  generation: number
}

interface LiveDeadline<K> {
  deadline: number
  generation: number
  entry: HeapEntry<K>
}

/**
 * Deadlines by key (compared as Map keys: by identity for objects) on the local monotonic clock, with one pending timer for
 * the earliest. Setting a key again replaces its deadline in O(log n): the old
 * heap entry is left behind and skipped when it surfaces (its generation no
 * longer matches). When a timer fires, late or not, every due deadline is
 * processed before the next timer is armed.
 */
export class ExpiryTracker<K> {
  private readonly clock: Clock
  private readonly onExpire: ExpiryTrackerInit<K>['onExpire']
  private readonly live = new Map<K, LiveDeadline<K>>()
  private readonly heap: Array<HeapEntry<K>> = []
  private order = 0
  private generation = 0
  private timer: unknown = undefined
  /** Deadline the pending timer was armed for. */
  private timerDeadline = Infinity
  private expiring = false
  private stopped = false

  constructor (init: ExpiryTrackerInit<K>) {
    this.clock = init.clock
    this.onExpire = init.onExpire
  }

  /** Number of live deadlines. */
  get size (): number {
    return this.live.size
  }

  /** Sets (or moves) the deadline of `key`. Ignored after stop(). */
  set (key: K, deadline: number): void {
    if (this.stopped) return
    const generation = ++this.generation
    const entry = { deadline, order: this.order++, key, generation }
    this.live.set(key, { deadline, generation, entry })
    this.push(entry)
    this.compactIfMostlyStale()
    this.arm()
  }

  /** Removes the deadline of `key`. Returns false when it had none. */
  cancel (key: K): boolean {
    const live = this.live.get(key)
    if (live == null) return false
    live.entry.key = undefined
    this.live.delete(key)
    // Nothing left to wait for: hold no timer (the heap holds only stale entries).
    if (this.live.size === 0 && !this.expiring) {
      this.heap.length = 0
      this.disarm()
    }
    return true
  }

  /** The deadline of `key`, or undefined. */
  deadline (key: K): number | undefined {
    return this.live.get(key)?.deadline
  }

  /** Cancels every deadline and the pending timer. Idempotent; the tracker stays inert. */
  stop (): void {
    this.stopped = true
    this.live.clear()
    this.heap.length = 0
    this.disarm()
  }

  /** Runs every due deadline, then arms the timer for the next one. */
  private expire (): void {
    this.timer = undefined
    this.timerDeadline = Infinity
    this.expiring = true
    try {
      const now = this.clock.now()
      for (let top = this.heap[0]; top != null && top.deadline <= now; top = this.heap[0]) {
        this.pop()
        const key = top.key
        if (key === undefined || !this.isLive(top)) continue // stale: replaced or cancelled
        this.live.delete(key)
        this.onExpire(key, top.deadline, now)
        if (this.stopped) return
      }
    } finally {
      this.expiring = false
      this.arm()
    }
  }

  /** Makes sure a timer is pending for the earliest live deadline. */
  private arm (): void {
    if (this.expiring || this.stopped) return
    this.dropStaleTop()
    const next = this.heap[0]
    if (next == null) {
      this.disarm()
      return
    }
    // A pending timer for the same or an earlier deadline will do: firing
    // early is harmless, it finds nothing due and re-arms.
    if (this.timer !== undefined && this.timerDeadline <= next.deadline) return
    this.disarm()
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Math.ceil(next.deadline - this.clock.now())))
    this.timerDeadline = next.deadline
    this.timer = this.clock.setTimeout(() => { this.expire() }, delay)
  }

  private disarm (): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerDeadline = Infinity
  }

  private dropStaleTop (): void {
    for (let top = this.heap[0]; top != null && !this.isLive(top); top = this.heap[0]) {
      this.pop()
    }
  }

  /** Rebuilds the heap from live deadlines when stale entries outnumber them. */
  private compactIfMostlyStale (): void {
    if (this.heap.length < 64 || this.heap.length < 2 * this.live.size) return
    const entries = this.heap.filter((e) => this.isLive(e))
    this.heap.length = 0
    for (const entry of entries) this.push(entry)
  }

  private isLive (entry: HeapEntry<K>): boolean {
    return entry.key !== undefined && this.live.get(entry.key)?.generation === entry.generation
  }

  private push (entry: HeapEntry<K>): void {
    pushHeap(this.heap, entry, before)
  }

  private pop (): void {
    popHeap(this.heap, before)
  }
}

function before<K> (a: HeapEntry<K>, b: HeapEntry<K>): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order)
}
