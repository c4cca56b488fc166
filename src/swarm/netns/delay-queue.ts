/**
 * One direction of a relayed TCP connection, delayed: each chunk of bytes is
 * handed on at max(the previous chunk's release, its arrival + delay +
 * jitter), jitter drawn uniformly from [-jitter, +jitter]. Bytes keep their
 * order (a byte stream cannot be reordered), so, like netem with a rate, a
 * chunk that drew a short delay waits behind one that drew a long one. Pure:
 * the clock and the random source are given, so tests run on a fake clock.
 *
 * Backpressure: the queue says when it holds more than `highWaterBytes`
 * (the relay then pauses the socket it reads from) and when it is back under
 * (resume). Changing the delay affects the chunks that arrive from then on;
 * those already queued keep their release time, and later ones never
 * overtake them.
 */

/** A one-way delay: `delayMs` ± `jitterMs` (uniform), with jitterMs <= delayMs. */
export interface LinkDelay {
  delayMs: number
  jitterMs: number
}

export const NO_DELAY: LinkDelay = Object.freeze({ delayMs: 0, jitterMs: 0 })

/** The time and timers a queue runs on (performance.now and setTimeout in the relay). */
export interface Clock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}

/** Default bytes a direction may hold before its reader is paused. */
export const DEFAULT_HIGH_WATER_BYTES = 256 * 1024

export interface DelayQueueOptions {
  /** The delay now (read once per chunk, as it arrives). */
  delay: () => LinkDelay
  /** Hands a chunk on, in order, at its release time. */
  deliver: (chunk: Uint8Array) => void
  /** Called when the queue first holds more than highWaterBytes (pause the reader). */
  onFull?: () => void
  /** Called when a full queue is back at or under highWaterBytes (resume the reader). */
  onRoom?: () => void
  highWaterBytes?: number
  clock?: Clock
  /** Uniform in [0, 1). */
  random?: () => number
}

/** Throws a RangeError unless `delay` is whole ms from 0 to 60 s, jitter at most the delay. */
export function checkLinkDelay (delay: LinkDelay): void {
  if (!(Number.isInteger(delay.delayMs) && delay.delayMs >= 0 && delay.delayMs <= 60_000)) throw new RangeError(`latency: expected a delay of 0 to 60000 ms, got ${delay.delayMs}`)
  if (!(Number.isInteger(delay.jitterMs) && delay.jitterMs >= 0 && delay.jitterMs <= delay.delayMs)) throw new RangeError(`latency: expected a jitter of 0 ms up to the delay (${delay.delayMs} ms), got ${delay.jitterMs}`)
}

export class DelayQueue {
  private readonly chunks: Array<{ chunk: Uint8Array, releaseAt: number }> = []
  private readonly clock: Clock
  private readonly random: () => number
  private readonly highWaterBytes: number
  private lastReleaseAt = -Infinity
  private bytes = 0
  private full = false
  private timer: unknown
  private closed = false
  private onEmpty: (() => void) | undefined

  constructor (private readonly options: DelayQueueOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK
    this.random = options.random ?? Math.random
    this.highWaterBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES
  }

  /** Bytes waiting for their release. */
  get queuedBytes (): number {
    return this.bytes
  }

  /** Whether the queue holds more than highWaterBytes (its reader should be paused). */
  get isFull (): boolean {
    return this.full
  }

  /** Queues `chunk` for release at max(previous release, now + delay ± jitter); hands it on at once when that is now. */
  push (chunk: Uint8Array): void {
    if (this.closed) return
    const { delayMs, jitterMs } = this.options.delay()
    const now = this.clock.now()
    const drawn = jitterMs === 0 ? delayMs : delayMs + (2 * this.random() - 1) * jitterMs
    const releaseAt = Math.max(this.lastReleaseAt, now + Math.max(0, drawn))
    this.lastReleaseAt = releaseAt
    if (this.chunks.length === 0 && releaseAt <= now) {
      this.options.deliver(chunk)
      return
    }
    this.chunks.push({ chunk, releaseAt })
    this.bytes += chunk.byteLength
    if (!this.full && this.bytes > this.highWaterBytes) {
      this.full = true
      this.options.onFull?.()
    }
    if (this.chunks.length === 1) this.arm()
  }

  /** Calls `fn` once every queued chunk was handed on (at once if none is queued). */
  whenEmpty (fn: () => void): void {
    if (this.chunks.length === 0) {
      fn()
      return
    }
    this.onEmpty = fn
  }

  /** Drops what is queued and stops the timer; later pushes are ignored. */
  close (): void {
    this.closed = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.chunks.length = 0
    this.bytes = 0
    this.onEmpty = undefined
  }

  private arm (): void {
    const head = this.chunks[0]
    this.timer = this.clock.setTimeout(() => { this.release() }, Math.max(0, head.releaseAt - this.clock.now()))
  }

  private release (): void {
    this.timer = undefined
    const now = this.clock.now()
    // Timers may fire a little early (whole ms): allow half a millisecond.
    while (!this.closed && this.chunks.length > 0 && this.chunks[0].releaseAt <= now + 0.5) {
      const { chunk } = this.chunks.shift() as { chunk: Uint8Array }
      this.bytes -= chunk.byteLength
      this.options.deliver(chunk)
    }
    if (this.closed) return
    if (this.full && this.bytes <= this.highWaterBytes) {
      this.full = false
      this.options.onRoom?.()
    }
    if (this.chunks.length > 0) {
      this.arm()
    } else if (this.onEmpty !== undefined) {
      const fn = this.onEmpty
      this.onEmpty = undefined
      fn()
    }
  }
}
