/**
 * A token bucket on a monotonic clock: it refills at `perMs` tokens a ms and
 * holds at most `burst`. Admission's allowances (admission.ts), the per-sender
 * rate limit (rate.ts, which gives each take the rate of the sender's declared
 * interval) and the daemon's dial pacing use it.
 */
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor (private readonly perMs: number, private readonly burst: number, now: number) {
    this.tokens = burst
    this.updatedAt = now
  }

  /** Whether a token is there now (refilled, none taken). */
  peek (now: number, perMs = this.perMs): boolean {
    this.refill(now, perMs)
    return this.tokens >= 1
  }

  /** Tokens missing from a full bucket now. */
  spent (now: number): number {
    this.refill(now, this.perMs)
    return this.burst - this.tokens
  }

  /** Takes a token, refilled at `perMs` since the last look; false (nothing taken) when there is none. */
  take (now: number, perMs = this.perMs): boolean {
    if (!this.peek(now, perMs)) return false
    this.tokens -= 1
    return true
  }

  /** Time standing still or going back refills nothing. */
  private refill (now: number, perMs: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * perMs)
      this.updatedAt = now
    }
  }
}
