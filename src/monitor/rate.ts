/**
 * Per-sender rate limit of received reports: a token bucket on the receiver's
 * monotonic clock. A sender may publish `headroom` reports per interval, with
 * bursts of up to `burst` reports; anything faster is dropped ('rate').
 *
 * The interval is the sender's declared `intervalMs`, but never less than the
 * receiver's floor `minIntervalMs`: a hostile peer that declares a 1 ms
 * interval still gets at most `headroom / minIntervalMs` reports per ms
 * (20 per second with the defaults). An honest peer is never throttled: its
 * publish times are spread by ±5 % around its interval, and gossip delivery
 * that bunches a few reports together fits in the burst.
 */
import { TokenBucket } from './token-bucket.js'

/** Shortest interval (ms) the receiver credits a sender with, whatever it declares: the daemon's smallest `--interval`. */
export const DEFAULT_RATE_MIN_INTERVAL_MS = 100
/** Reports allowed per (declared or floor) interval on average: 2, twice an honest sender's rate. */
export const DEFAULT_RATE_HEADROOM = 2
/** Reports a sender may send back to back after a quiet spell: 5. */
export const DEFAULT_RATE_BURST = 5

/** Bounds of the per-sender rate limit. */
export interface RateLimit {
  /** Shortest interval credited to a sender (ms), whatever it declares (default 100). */
  minIntervalMs: number
  /** Reports allowed per interval on average, a number ≥ 1 (default 2). */
  headroom: number
  /** Reports allowed back to back, an integer ≥ 1 (default 5). */
  burst: number
}

export const DEFAULT_RATE_LIMIT: Readonly<RateLimit> = Object.freeze({
  minIntervalMs: DEFAULT_RATE_MIN_INTERVAL_MS,
  headroom: DEFAULT_RATE_HEADROOM,
  burst: DEFAULT_RATE_BURST
})

/** Applies one RateLimit to any number of senders' buckets. */
export class RateLimiter {
  readonly limit: Readonly<RateLimit>

  /** Throws RangeError on invalid bounds. */
  constructor (limit: Partial<RateLimit> = {}) {
    const { minIntervalMs, headroom, burst } = { ...DEFAULT_RATE_LIMIT, ...limit }
    if (!(Number.isFinite(minIntervalMs) && minIntervalMs > 0)) throw new RangeError(`rate minIntervalMs must be > 0, got ${minIntervalMs}`)
    if (!(Number.isFinite(headroom) && headroom >= 1)) throw new RangeError(`rate headroom must be >= 1, got ${headroom}`)
    if (!(Number.isInteger(burst) && burst >= 1)) throw new RangeError(`rate burst must be an integer >= 1, got ${burst}`)
    this.limit = Object.freeze({ minIntervalMs, headroom, burst })
  }

  /** A full bucket, for a sender heard from for the first time; it lives (and dies) with that sender's record. */
  bucket (now: number): TokenBucket {
    return new TokenBucket(this.perMs(0), this.limit.burst, now)
  }

  /**
   * Takes one token for a report of a sender that declares `declaredIntervalMs`
   * (0 or less: unknown). Returns false, leaving the bucket as it was apart
   * from its refill, when the sender has none left.
   */
  take (bucket: TokenBucket, now: number, declaredIntervalMs: number): boolean {
    return bucket.take(now, this.perMs(declaredIntervalMs))
  }

  /** Reports per second allowed on average to a sender that declares this interval. */
  perSecond (declaredIntervalMs: number): number {
    return 1_000 * this.perMs(declaredIntervalMs)
  }

  private perMs (declaredIntervalMs: number): number {
    // NaN-safe: Math.max(NaN, x) is NaN, so test explicitly.
    const interval = declaredIntervalMs > this.limit.minIntervalMs ? declaredIntervalMs : this.limit.minIntervalMs
    return this.limit.headroom / interval
  }
}
