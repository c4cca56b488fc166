import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_RATE_LIMIT, RateLimiter } from '../../src/monitor/rate.js'

/** How many of `n` reports sent `gapMs` apart (starting at t=0) the limiter lets through. */
function passed (limiter: RateLimiter, n: number, gapMs: number, declaredIntervalMs: number): number {
  const bucket = limiter.bucket(0)
  let ok = 0
  for (let i = 0; i < n; i++) if (limiter.take(bucket, i * gapMs, declaredIntervalMs)) ok++
  return ok
}

describe('RateLimiter', () => {
  it('defaults: 2 reports per interval, an interval of at least 100 ms, bursts of 5', () => {
    assert.deepEqual({ ...DEFAULT_RATE_LIMIT }, { minIntervalMs: 100, headroom: 2, burst: 5 })
    const limiter = new RateLimiter()
    assert.equal(limiter.perSecond(1_000), 2)
    assert.equal(limiter.perSecond(1), 20, 'a declared 1 ms interval gets the floor')
    assert.equal(limiter.perSecond(0), 20, 'an unknown interval gets the floor')
  })

  it('lets a burst through at once, then one report per interval / headroom', () => {
    const limiter = new RateLimiter()
    const bucket = limiter.bucket(0)
    for (let i = 0; i < 5; i++) assert.equal(limiter.take(bucket, 0, 1_000), true, `burst ${i}`)
    assert.equal(limiter.take(bucket, 0, 1_000), false)
    assert.equal(limiter.take(bucket, 499, 1_000), false)
    assert.equal(limiter.take(bucket, 500, 1_000), true)
    assert.equal(limiter.take(bucket, 500, 1_000), false, 'a refused report spends nothing, and gets nothing')
    assert.equal(limiter.take(bucket, 1_000, 1_000), true)
  })

  it('throttles a flood to burst + rate × time, whatever interval it declares', () => {
    const limiter = new RateLimiter()
    // 10 s of one report per ms.
    assert.equal(passed(limiter, 10_000, 1, 1), 5 + 200 - 1)
    assert.equal(passed(limiter, 10_000, 1, 0), 5 + 200 - 1)
    assert.equal(passed(limiter, 10_000, 1, 1_000), 5 + 20 - 1)
  })

  it('never throttles an honest sender: ±5 % jitter, and bunches of three after a stall', () => {
    const limiter = new RateLimiter()
    const bucket = limiter.bucket(0)
    let t = 0
    let refused = 0
    for (let i = 0; i < 10_000; i++) {
      t += 950 + ((i * 37) % 101) // 950..1050 ms
      if (i % 50 === 49) {
        // A stall delivers the next three reports together.
        for (let k = 0; k < 3; k++) if (!limiter.take(bucket, t, 1_000)) refused++
        t += 2_000
      } else if (!limiter.take(bucket, t, 1_000)) refused++
    }
    assert.equal(refused, 0)
  })

  it('does not refill when time stands still or goes back', () => {
    const limiter = new RateLimiter({ burst: 1 })
    const bucket = limiter.bucket(1_000)
    assert.equal(limiter.take(bucket, 1_000, 1_000), true)
    assert.equal(limiter.take(bucket, 0, 1_000), false)
    assert.equal(limiter.take(bucket, 1_000, 1_000), false)
  })

  it('rejects invalid bounds with a RangeError', () => {
    assert.throws(() => new RateLimiter({ minIntervalMs: 0 }), RangeError)
    assert.throws(() => new RateLimiter({ minIntervalMs: NaN }), RangeError)
    assert.throws(() => new RateLimiter({ headroom: 0.5 }), RangeError)
    assert.throws(() => new RateLimiter({ burst: 0 }), RangeError)
    assert.throws(() => new RateLimiter({ burst: 1.5 }), RangeError)
  })
})
