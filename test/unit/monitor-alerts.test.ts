import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AlertEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'
import type { MetricSpec } from '../helpers/monitor-fixture.js'

const TTL = 3_000
const INTERVAL = 1_000

/** A healthy peer's report: heartbeat plus two informers, all with the same TTL. */
function full (): MetricSpec[] {
  return [['ping', 1, TTL], ['load', 0.5, TTL], ['freespace', 1e9, TTL]]
}

/** Sends a report from each sender every INTERVAL ms, `times` times. */
function run (h: Harness, senders: Sender[], times: number, metrics: () => MetricSpec[] = full): void {
  for (let i = 0; i < times; i++) {
    for (const s of senders) assert.deepEqual(h.send(s, metrics()), { accepted: true })
    h.clock.advance(INTERVAL)
  }
}

describe('MonitorCore alerts', () => {
  it('announces a new peer, then raises one alert at the expiry moment and a recovered when it comes back', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    assert.deepEqual(h.take(), [{ type: 'joined', peer: 'b' }])

    h.clock.advance(TTL - 1)
    assert.deepEqual(h.take(), [])
    h.clock.advance(1)
    const [alert, ...rest] = h.take()
    assert.deepEqual(rest, [])
    assert.deepEqual(alert, { type: 'alert', peer: 'b', metric: 'ping', lagMs: 0, ttlMs: TTL, silentMs: TTL, lastValue: 1 })
    assert.equal(h.core.peer('b')?.state, 'alerting')
    assert.deepEqual(h.core.peer('b')?.alerting, ['ping'])

    h.clock.advance(60_000)
    assert.deepEqual(h.take(), [], 'alert once per failure episode')

    h.send(b, [['ping', 2, TTL]])
    assert.deepEqual(h.take(), [{ type: 'recovered', peer: 'b', metric: 'ping', downMs: 60_000 }])
    assert.equal(h.core.peer('b')?.state, 'alive')
  })

  it('a crashed peer yields exactly one alert, on ping, whatever the TTLs of its other metrics', () => {
    const h = new Harness()
    const b = new Sender('b')
    const mixed = (): MetricSpec[] => [['load', 0.1, 2_000], ['ping', 1, TTL], ['memory', 5, TTL], ['freespace', 9, 10_000]]
    run(h, [b], 5, mixed)
    h.take()
    h.clock.advance(30_000)
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
    assert.deepEqual(h.core.peer('b')?.alerting, ['ping'])

    // It comes back: only ping was in alert, so only ping recovers.
    h.send(b, mixed())
    assert.deepEqual(h.takeNames(), ['recovered b/ping'])
  })

  it('a hang (silence, then reports resume) yields alert then recovered', () => {
    const h = new Harness()
    const b = new Sender('b')
    run(h, [b], 3)
    h.take()
    h.clock.advance(TTL + 2_000)
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
    run(h, [b], 3)
    assert.deepEqual(h.takeNames(), ['recovered b/ping'])
    assert.equal(h.core.peer('b')?.state, 'alive')
  })

  it('a stuck informer (reports keep coming without it) alerts on that metric only', () => {
    const h = new Harness()
    const b = new Sender('b')
    run(h, [b], 3)
    h.take()
    run(h, [b], 10, () => full().filter(([name]) => name !== 'load'))
    const events = h.take()
    assert.deepEqual(events.map((e) => e.type), ['alert'])
    const alert = events[0] as AlertEvent
    assert.equal(alert.metric, 'load')
    assert.equal(alert.lagMs, 0, 'raised at the expiry moment, since reports kept coming')
    assert.equal(h.core.peer('b')?.state, 'alerting')

    h.send(b, full())
    assert.deepEqual(h.takeNames(), ['recovered b/load'])
  })

  it('a metric that expires before the next report is decided by that report', () => {
    const h = new Harness()
    const b = new Sender('b')
    const withQuick = (): MetricSpec[] => [['ping', 1, 10_000], ['quick', 1, 500]]
    h.send(b, withQuick())
    h.take()

    // `quick` expires 500 ms in; the next report brings it again: nothing to say.
    h.clock.advance(INTERVAL)
    h.send(b, withQuick())
    assert.deepEqual(h.take(), [])

    // Now the next report lacks it: alert, late by the time since its expiry.
    h.clock.advance(INTERVAL)
    h.send(b, [['ping', 1, 10_000]])
    const events = h.take()
    assert.deepEqual(events.map((e) => e.type === 'alert' && e.metric), ['quick'])
    assert.equal((events[0] as AlertEvent).lagMs, 500)
    assert.equal((events[0] as AlertEvent).silentMs, 0)
  })

  it('a metric that expired before the peer went silent is covered by the ping alert', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, 10_000], ['quick', 1, 500]])
    h.take()
    h.clock.advance(60_000)
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
    // Back with both: covered `quick` comes back silently.
    h.send(b, [['ping', 1, 10_000], ['quick', 1, 500]])
    assert.deepEqual(h.takeNames(), ['recovered b/ping'])
  })

  it('a metric covered during a silence alerts if the peer comes back without it', () => {
    const h = new Harness()
    const b = new Sender('b')
    run(h, [b], 2)
    h.take()
    h.clock.advance(60_000)
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
    h.send(b, [['ping', 2, TTL], ['load', 0.5, TTL]])
    assert.deepEqual(h.takeNames(), ['recovered b/ping', 'alert b/freespace'])
  })

  it('without a ping metric, every metric alerts on its own', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['load', 1, 1_000], ['memory', 1, 2_000]])
    h.take()
    h.clock.advance(5_000)
    assert.deepEqual(h.takeNames(), ['alert b/load', 'alert b/memory'])
  })

  it('honours a custom pingMetric name', () => {
    const h = new Harness({ pingMetric: 'heartbeat' })
    const b = new Sender('b')
    h.send(b, [['heartbeat', 1, TTL], ['load', 1, TTL]])
    h.take()
    h.clock.advance(10_000)
    assert.deepEqual(h.takeNames(), ['alert b/heartbeat'])
  })

  it('a timer firing 40 ms late still alerts, with lagMs ≈ 40', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.take()
    h.clock.advance(TTL - 10)
    h.clock.block(50) // the event loop was busy across the deadline
    h.clock.advance(0)
    const [alert] = h.take() as AlertEvent[]
    assert.equal(alert.type, 'alert')
    assert.ok(alert.lagMs >= 35 && alert.lagMs <= 45, `lagMs ${alert.lagMs}`)
  })

  it('a late timer processes every deadline that fell due meanwhile', () => {
    const h = new Harness()
    const peers = ['b', 'c', 'd'].map((p) => new Sender(p))
    peers.forEach((s, i) => h.send(s, [['ping', 1, TTL + i * 100]]))
    h.take()
    h.clock.block(TTL + 1_000)
    h.clock.advance(0)
    const alerts = h.take() as AlertEvent[]
    assert.deepEqual(alerts.map((a) => `${a.peer} ${a.lagMs}`), ['b 1000', 'c 900', 'd 800'])
  })

  it('monitors a sender whose wall clock is an hour off exactly like any other', () => {
    const timeline = (offsetMs: number): string[] => {
      const h = new Harness()
      const b = new Sender('b', 1_700_000_000_000 + offsetMs, offsetMs)
      run(h, [b], 3)
      const shown = h.core.peer('b')?.sentAt ?? 0
      assert.ok(Math.abs(shown - (Date.now() + offsetMs)) < 60_000, 'sentAt is shown as the sender stated it')
      h.clock.advance(10_000)
      run(h, [b], 2)
      h.clock.advance(10_000)
      return h.take().map((e) => JSON.stringify(e))
    }
    const reference = timeline(0)
    assert.deepEqual(reference.length, 4) // joined, alert, recovered, alert
    assert.deepEqual(timeline(3_600_000), reference)
    assert.deepEqual(timeline(-3_600_000), reference)
  })

  it('refreshes and expires 1000 peers correctly with a single timer pending', () => {
    const h = new Harness()
    const senders = Array.from({ length: 1000 }, (_, i) => new Sender(`peer-${i}`))
    run(h, senders, 5)
    assert.equal(h.take().length, 1000, '1000 joined')
    assert.equal(h.clock.pending, 1)
    assert.equal(h.core.peers().length, 1000)

    // Half keep reporting, half go silent.
    run(h, senders.slice(0, 500), 10)
    assert.equal(h.clock.pending, 1)
    const alerts = h.take() as AlertEvent[]
    assert.equal(alerts.length, 500)
    assert.ok(alerts.every((a) => a.type === 'alert' && a.metric === 'ping' && Number(a.peer.slice(5)) >= 500 && a.lagMs === 0))
    assert.equal(h.core.peers().filter((p) => p.state === 'alerting').length, 500)
  })

  it('emits recovered before anything else a report causes, joined first of all', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, 10_000], ['load', 1, 500], ['quick', 1, 500]])
    h.clock.advance(1_000)
    h.send(b, [['ping', 1, 10_000], ['quick', 1, 500]]) // `load` pending then alerted by this report
    h.clock.advance(1_000) // `quick` pending, `load` already alerting
    h.send(b, [['ping', 1, 10_000], ['load', 1, 500]])
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/load', 'recovered b/load', 'alert b/quick'])
  })

  it('keeps its state consistent when the event listener throws', () => {
    const errors: unknown[] = []
    let calls = 0
    const h = new Harness({
      onEvent: () => { calls++; throw new Error('listener bug') },
      onEventError: (err) => { errors.push(err) }
    })
    const b = new Sender('b')
    assert.deepEqual(h.send(b, [['ping', 1, TTL]]), { accepted: true })
    h.clock.advance(TTL)
    assert.equal(calls, 2)
    assert.equal(errors.length, 2)
    assert.equal(h.core.peer('b')?.state, 'alerting')
    assert.equal(h.clock.pending, 1, 'the forget deadline is still armed')
  })
})
