/**
 * MonitorCore on its default clock (Date.now and the real setTimeout): the
 * one monitor test that waits on real timers, so it is not a unit test. The
 * rest of the core's alert tests run on a fake clock (test/unit/monitor-alerts.test.ts).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MonitorCore } from '../../src/monitor/monitor.js'
import type { AlertEvent } from '../../src/monitor/types.js'
import { Sender } from '../helpers/monitor-fixture.js'
import { waitFor } from '../helpers/wait.js'

describe('MonitorCore on the system clock', () => {
  it('alerts promptly after the expiry moment, with real timers', async () => {
    const events: AlertEvent[] = []
    const core = new MonitorCore({ self: 'me', onEvent: (e) => { if (e.type === 'alert') events.push(e) } })
    try {
      core.handleMessage('b', new Sender('b').report([['ping', 1, 150]]))
      await waitFor('the alert', () => events.length > 0, 10_000)
      assert.equal(events.length, 1)
      // Timer lateness on a busy machine; the figures are in bench/detection.ts.
      assert.ok(events[0].lagMs >= 0 && events[0].lagMs < 2_000, `lagMs ${events[0].lagMs}`)
    } finally {
      core.stop()
    }
  })
})
