import type { Clock } from '../../src/monitor/types.js'

interface FakeTimer {
  id: number
  dueAt: number
  fn: () => void
}

/**
 * A manual monotonic clock for tests. Time moves only through advance() and
 * block(); timers run in deadline order (ties: creation order), each with
 * now() equal to its due time.
 */
export class FakeClock implements Clock {
  private time: number
  private nextId = 1
  private readonly timers = new Map<number, FakeTimer>()

  constructor (start = 1_000) {
    this.time = start
  }

  /** Number of timers scheduled and not yet run or cleared. */
  get pending (): number {
    return this.timers.size
  }

  now = (): number => this.time

  setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { id: this.nextId++, dueAt: this.time + Math.max(0, ms), fn }
    this.timers.set(timer.id, timer)
    return timer.id
  }

  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number)
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, at its due time. */
  advance (ms: number): void {
    const end = this.time + ms
    for (let timer = this.nextDue(end); timer != null; timer = this.nextDue(end)) {
      this.timers.delete(timer.id)
      this.time = Math.max(this.time, timer.dueAt)
      timer.fn()
    }
    this.time = end
  }

  /** Moves time forward without running timers, like a busy event loop: they run late, at the next advance(). */
  block (ms: number): void {
    this.time += ms
  }

  private nextDue (end: number): FakeTimer | undefined {
    let first: FakeTimer | undefined
    for (const timer of this.timers.values()) {
      if (timer.dueAt <= end && (first == null || timer.dueAt < first.dueAt)) first = timer
    }
    return first
  }
}
