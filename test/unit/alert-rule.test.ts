import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { alertsWhenAbsent, healthAtExpiry } from '../../src/monitor/alert-rule.js'
import type { Health, MetricTiming } from '../../src/monitor/alert-rule.js'

function timing (health: Health, receivedAt: number, expiresAt: number): MetricTiming {
  return { health, receivedAt, expiresAt }
}

describe('alert rule', () => {
  const load = timing('fresh', 1_000, 4_000)

  it('alerts on its own when the peer has no ping', () => {
    assert.equal(healthAtExpiry(load, undefined, 1_000), 'alerting')
  })

  it('is covered when ping is in alert or expires at the same moment or earlier', () => {
    assert.equal(healthAtExpiry(load, timing('alerting', 0, 3_000), 1_000), 'covered')
    assert.equal(healthAtExpiry(load, timing('fresh', 1_000, 4_000), 1_000), 'covered')
    assert.equal(healthAtExpiry(load, timing('fresh', 1_000, 3_500), 1_000), 'covered')
  })

  it('alerts when reports kept coming without it, else waits', () => {
    const ping = timing('fresh', 3_000, 6_000)
    assert.equal(healthAtExpiry(load, ping, 3_000), 'alerting')
    assert.equal(healthAtExpiry(load, timing('fresh', 1_000, 9_000), 1_000), 'pending')
  })

  it('alerts on an expired metric missing from a report, unless ping is still down', () => {
    for (const health of ['pending', 'covered'] as const) {
      assert.equal(alertsWhenAbsent(timing(health, 0, 1), false), true)
      assert.equal(alertsWhenAbsent(timing(health, 0, 1), true), false)
    }
    assert.equal(alertsWhenAbsent(timing('fresh', 0, 1), false), false)
    assert.equal(alertsWhenAbsent(timing('alerting', 0, 1), false), false)
  })
})
