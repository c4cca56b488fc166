import { afterEach, beforeEach } from 'node:test'
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

  /**
   * Puts this clock in place of the global setTimeout, clearTimeout and Date.now, for code
   * that takes no clock (it calls them itself); returns the function that puts the real
   * ones back (call it in a `finally`). setImmediate and promises stay real, so
   * `runFor`/`runUntil` can let async work between timers finish.
   */
  install (): () => void {
    const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, now: Date.now }
    const handles = new Map<number, FakeTimeout>()
    globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const handle = new FakeTimeout(this.setTimeout(() => { handles.delete(handle.id); fn(...args) }, ms ?? 0) as number)
      handles.set(handle.id, handle)
      return handle
    }) as unknown as typeof globalThis.setTimeout
    globalThis.clearTimeout = ((handle?: unknown) => {
      const id = handle instanceof FakeTimeout ? handle.id : Number(handle)
      handles.delete(id)
      this.clearTimeout(id)
    }) as typeof globalThis.clearTimeout
    Date.now = this.now
    return () => {
      globalThis.setTimeout = real.setTimeout
      globalThis.clearTimeout = real.clearTimeout
      Date.now = real.now
    }
  }

  /**
   * Moves time forward by `ms` in steps of `stepMs`, letting promise callbacks and
   * setImmediate work run after each step (so async code scheduled by one timer can
   * set the next before time passes it).
   */
  async runFor (ms: number, stepMs = 1): Promise<void> {
    for (let left = ms; left > 0; left -= stepMs) {
      this.advance(Math.min(stepMs, left))
      await turn()
    }
  }

  /** Like waitFor (test/helpers/wait.ts) on this clock: runs it until `check` holds, or fails after `limitMs` of its time. */
  async runUntil (what: string, check: () => boolean, limitMs = 10_000, stepMs = 1): Promise<void> {
    await turn()
    for (let waited = 0; !check(); waited += stepMs) {
      if (waited >= limitMs) throw new Error(`timed out after ${limitMs} ms of fake time waiting for ${what}`)
      this.advance(stepMs)
      await turn()
    }
  }

  private nextDue (end: number): FakeTimer | undefined {
    let first: FakeTimer | undefined
    for (const timer of this.timers.values()) {
      if (timer.dueAt <= end && (first == null || timer.dueAt < first.dueAt)) first = timer
    }
    return first
  }
}

/** Lets pending promise callbacks and setImmediate work run (the real setImmediate: the fake clock never replaces it). */
const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

/** What the installed clock's setTimeout returns: a handle with the Timeout methods callers use. */
class FakeTimeout {
  constructor (readonly id: number) {}
  ref (): this { return this }
  unref (): this { return this }
  hasRef (): boolean { return false }
  refresh (): this { return this }
  [Symbol.toPrimitive] (): number { return this.id }
}

/**
 * Runs each test of the calling describe on a fresh FakeClock installed in place of the
 * global timers and Date.now (FakeClock.install), for code that takes no clock. Call it
 * at the top of a describe; `.clock` is the current test's clock.
 */
export function useFakeTimers (): { readonly clock: FakeClock } {
  const state = { clock: new FakeClock() }
  let restore = (): void => {}
  beforeEach(() => { state.clock = new FakeClock(); restore = state.clock.install() })
  afterEach(() => { restore() })
  return state
}
