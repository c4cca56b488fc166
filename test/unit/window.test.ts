import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MetricWindow } from '../../src/monitor/window.js'
import type { ReceivedMetric } from '../../src/monitor/types.js'

function metric (value: number): ReceivedMetric {
  return { peer: 'b', name: 'ping', value, ttlMs: 1_000, receivedAt: value, expiresAt: value + 1_000, sentAt: 0 }
}

describe('MetricWindow', () => {
  it('holds up to 25 metrics by default, oldest first', () => {
    const window = new MetricWindow()
    assert.equal(window.capacity, 25)
    assert.equal(window.size, 0)
    assert.equal(window.latest(), undefined)
    assert.deepEqual(window.all(), [])
    for (let i = 1; i <= 10; i++) window.add(metric(i))
    assert.equal(window.size, 10)
    assert.equal(window.latest()?.value, 10)
    assert.deepEqual(window.all().map((m) => m.value), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('keeps the last 25 once full', () => {
    const window = new MetricWindow(25)
    for (let i = 1; i <= 60; i++) {
      window.add(metric(i))
      assert.equal(window.latest()?.value, i)
    }
    assert.equal(window.size, 25)
    assert.deepEqual(window.all().map((m) => m.value), Array.from({ length: 25 }, (_, i) => i + 36))
  })

  it('works with a capacity of one', () => {
    const window = new MetricWindow(1)
    window.add(metric(1))
    window.add(metric(2))
    assert.deepEqual(window.all().map((m) => m.value), [2])
  })

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new MetricWindow(0), RangeError)
    assert.throws(() => new MetricWindow(2.5), RangeError)
  })
})
