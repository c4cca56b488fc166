/**
 * Flap detection on a fake clock: the detector alone (thresholds, hysteresis,
 * bounds, forgetting), then inside MonitorCore (events in order, the peer's
 * summary, turned off).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_FLAP_LIMITS, FlapDetector } from '../../src/monitor/flapping.js'
import type { FlapLimits } from '../../src/monitor/flapping.js'
import type { MonitorEvent, StableEvent } from '../../src/monitor/types.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

const W = 30_000

/** A detector on a fake clock whose reviewed and stable events are collected in order. */
class Bench {
  readonly clock = new FakeClock(0)
  readonly out: MonitorEvent[] = []
  readonly detector: FlapDetector

  constructor (limits: Partial<FlapLimits> = {}) {
    this.detector = new FlapDetector({ windowMs: W, ...limits, clock: this.clock, onStable: (e: StableEvent) => { this.out.push(e) } })
  }

  /** Reviews one batch at the current time, as the core does before emitting it. */
  review (...events: MonitorEvent[]): MonitorEvent[] {
    this.detector.review(events)
    this.out.push(...events)
    return events
  }

  alert (peer = 'p', metric = 'ping'): MonitorEvent[] {
    return this.review({ type: 'alert', peer, metric, lagMs: 0, ttlMs: 3000, silentMs: 3000, lastValue: 1 })
  }

  recovered (peer = 'p', metric = 'ping'): MonitorEvent[] {
    return this.review({ type: 'recovered', peer, metric, downMs: 1000 })
  }

  /** Alert now, recovered `downMs` later, then `upMs` of quiet. */
  outage (downMs = 3_000, upMs = 1_000, peer = 'p'): void {
    this.alert(peer)
    this.clock.advance(downMs)
    this.recovered(peer)
    this.clock.advance(upMs)
  }

  /** The collected events as short strings, `alert p`, `alert p (flapping)`, `flapping p 4`, `stable p alive`. */
  take (): string[] {
    return this.out.splice(0).map((e) => {
      switch (e.type) {
        case 'alert':
        case 'recovered': return `${e.type} ${e.peer}${e.flapping === true ? ' (flapping)' : ''}`
        case 'flapping': return `flapping ${e.peer} ${e.transitions}`
        case 'stable': return `stable ${e.peer} ${e.state}`
        default: return 'peer' in e ? `${e.type} ${e.peer}` : e.type
      }
    })
  }
}

describe('FlapDetector', () => {
  it('marks a peer flapping at the 4th change within the window: one flapping event, right after that change, which is marked too', () => {
    const b = new Bench()
    b.outage()
    b.alert()
    b.clock.advance(3_000)
    assert.deepEqual(b.take(), ['alert p', 'recovered p', 'alert p'])
    assert.equal(b.detector.isFlapping('p'), false)
    const batch = b.recovered()
    assert.deepEqual(batch.map(e => e.type), ['recovered', 'flapping'])
    assert.deepEqual(batch[1], { type: 'flapping', peer: 'p', transitions: 4, spanMs: 7_000, windowMs: W })
    assert.deepEqual(b.take(), ['recovered p (flapping)', 'flapping p 4'])
    assert.equal(b.detector.isFlapping('p'), true)
    // Further changes are marked; no second flapping event.
    b.clock.advance(1_000)
    b.outage()
    b.outage()
    assert.deepEqual(b.take(), ['alert p (flapping)', 'recovered p (flapping)', 'alert p (flapping)', 'recovered p (flapping)'])
  })

  it('puts the flapping event right after its change inside a batch, before the events that follow it', () => {
    const b = new Bench()
    b.outage()
    b.alert()
    b.clock.advance(3_000)
    b.take()
    const batch = b.review({ type: 'recovered', peer: 'p', metric: 'ping', downMs: 3_000 }, { type: 'joined', peer: 'q' })
    assert.deepEqual(batch.map(e => e.type), ['recovered', 'flapping', 'joined'])
  })

  it('does not flap on 4 changes spread over a whole window or more', () => {
    // One 3 s outage every 28 s: any 4 consecutive changes span 31 s.
    const slow = new Bench()
    for (let i = 0; i < 10; i++) slow.outage(3_000, 25_000)
    assert.equal(slow.take().filter(e => e.startsWith('flapping') || e.endsWith('(flapping)')).length, 0)
    assert.equal(slow.detector.isFlapping('p'), false)
    // One every 26 s: 4 changes in 29 s.
    const fast = new Bench()
    for (let i = 0; i < 2; i++) fast.outage(3_000, 23_000)
    assert.ok(fast.take().includes('flapping p 4'))
  })

  it('counts the peer\'s state, not its metrics: a second metric in alert is no change', () => {
    const b = new Bench()
    for (let i = 0; i < 3; i++) {
      b.alert('p', 'ping')
      b.alert('p', 'load')
      b.clock.advance(1_000)
      b.recovered('p', 'load')
      b.recovered('p', 'ping')
      b.clock.advance(1_000)
    }
    // 3 outages, each 2 metrics: 6 changes of the peer's state (not 12), so flapping came at the second outage's end.
    const events = b.take()
    assert.equal(events.filter(e => e.startsWith('flapping')).length, 1)
    assert.equal(events.indexOf('flapping p 4'), 8, events.join(', '))
    // A recovery of a peer it knows nothing of changes nothing.
    b.recovered('q')
    assert.equal(b.detector.size, 1)
  })

  it('is stable only after flapping a whole window with at most 1 change in the last window (hysteresis)', () => {
    const b = new Bench()
    b.outage()
    b.outage() // flapping at t = 7 s (the 4th change), state alive
    const flappingAt = 7_000
    b.take()
    // One blip every 20 s: never a window with at most 1 change.
    for (let i = 0; i < 4; i++) {
      b.clock.advance(16_000)
      b.outage()
    }
    assert.deepEqual(b.take().filter(e => !e.endsWith('(flapping)')), [], 'still flapping, never announced again')
    assert.equal(b.detector.isFlapping('p'), true)
    // Now quiet: stable once the second-to-last change (the last alert) is a window old.
    const lastAlertAt = b.clock.now() - 4_000
    b.clock.advance(lastAlertAt + W - b.clock.now() - 1)
    assert.deepEqual(b.take(), [])
    b.clock.advance(1)
    const [stable] = b.out.slice() as StableEvent[]
    assert.deepEqual(b.take(), ['stable p alive'])
    assert.equal(stable.flappedMs, lastAlertAt + W - flappingAt)
    assert.equal(stable.transitions, 1 + 8)
    assert.equal(b.detector.isFlapping('p'), false)
    assert.equal(b.clock.pending, 0)
    // After stable, alerts are plain again.
    b.outage()
    assert.deepEqual(b.take(), ['alert p', 'recovered p'])
  })

  it('stays flapping at least a whole window even when the changes stop at once, and says when it settled down', () => {
    const b = new Bench()
    b.outage(100, 100)
    b.outage(100, 100)
    b.alert() // t = 400: the 5th change, down for good
    b.take()
    // Flapping since t = 300; its last changes at 300 and 400: stable at 300 + W.
    b.clock.advance(300 + W - b.clock.now() - 1)
    assert.deepEqual(b.take(), [])
    b.clock.advance(1)
    assert.deepEqual(b.take(), ['stable p alerting'])
  })

  it('forgets a peer on left and forgotten: no stable event, no timer', () => {
    for (const type of ['left', 'forgotten'] as const) {
      const b = new Bench()
      b.outage()
      b.outage()
      assert.equal(b.detector.isFlapping('p'), true)
      b.review(type === 'left' ? { type, peer: 'p' } : { type, peer: 'p', silentMs: 1 })
      assert.equal(b.detector.isFlapping('p'), false)
      assert.equal(b.detector.size, 0)
      assert.equal(b.clock.pending, 0)
      b.clock.advance(10 * W)
      assert.deepEqual(b.take().filter(e => e.startsWith('stable')), [])
      // Back: a fresh start, no history.
      b.outage()
      assert.deepEqual(b.take().slice(-2), ['alert p', 'recovered p'])
    }
  })

  it('keeps state only for peers that alerted, at most maxPeers, never dropping a flapping one', () => {
    const b = new Bench({ maxPeers: 3 })
    // Recoveries and other events of unknown peers create nothing.
    for (let i = 0; i < 100; i++) b.review({ type: 'recovered', peer: `r${i}`, metric: 'ping', downMs: 1 }, { type: 'joined', peer: `j${i}` })
    assert.equal(b.detector.size, 0)
    // Two flapping peers.
    for (const peer of ['f1', 'f2']) {
      b.outage(100, 100, peer)
      b.outage(100, 100, peer)
      assert.equal(b.detector.isFlapping(peer), true)
    }
    // A flood of alerting peer ids: one slot left, taken in turn.
    for (let i = 0; i < 10_000; i++) b.alert(`x${i}`)
    assert.equal(b.detector.size, 3)
    assert.equal(b.detector.flappingCount, 2)
    // The flapping peers keep their state and their marks.
    b.alert('f1')
    assert.deepEqual(b.take().slice(-1), ['alert f1 (flapping)'])
    // When every tracked peer flaps, a newcomer is not tracked: its alerts stay plain.
    b.recovered('x9999')
    b.outage(100, 100, 'x9999')
    assert.equal(b.detector.flappingCount, 3)
    b.outage(100, 100, 'n')
    b.outage(100, 100, 'n')
    assert.equal(b.detector.isFlapping('n'), false)
    assert.equal(b.detector.size, 3)
  })

  it('drops a peer that is up again and has no change left in the window when it needs room', () => {
    const b = new Bench({ maxPeers: 1000 })
    b.outage(100, 100, 'old')
    b.clock.advance(W)
    b.alert('new')
    assert.equal(b.detector.size, 1, 'the old peer held nothing any more')
  })

  it('stop() cancels the stable timers', () => {
    const b = new Bench()
    b.outage()
    b.outage()
    assert.equal(b.clock.pending, 1)
    b.detector.stop()
    assert.equal(b.clock.pending, 0)
    assert.equal(b.detector.size, 0)
  })

  it('refuses limits that make no sense', () => {
    const clock = new FakeClock()
    const make = (limits: Partial<FlapLimits>) => () => new FlapDetector({ ...limits, clock, onStable: () => {} })
    assert.throws(make({ windowMs: 0 }), /windowMs/)
    assert.throws(make({ enterTransitions: 1 }), /enterTransitions/)
    assert.throws(make({ enterTransitions: 3, exitTransitions: 3 }), /exitTransitions/)
    assert.throws(make({ maxPeers: 0 }), /maxPeers/)
    assert.deepEqual(new FlapDetector({ clock, onStable: () => {} }).limits, DEFAULT_FLAP_LIMITS)
  })
})

describe('MonitorCore flap detection', () => {
  const TTL = 1_000
  /** Reports every 200 ms for `ms`. */
  const report = (h: Harness, s: Sender, ms: number): void => {
    for (let t = 0; t < ms; t += 200) {
      h.send(s, [['ping', t, TTL]])
      h.clock.advance(200)
    }
  }

  it('emits flapping after the change that caused it and stable a window later; the summary says so', () => {
    const h = new Harness({ flapping: { windowMs: 20_000 } })
    const b = new Sender('b')
    report(h, b, 1_000)
    for (let i = 0; i < 2; i++) {
      h.clock.advance(2_000) // silent: ping expires, alert
      report(h, b, 1_000) // back: recovered
    }
    const events = h.take()
    assert.deepEqual(events.map(e => e.type), ['joined', 'alert', 'recovered', 'alert', 'recovered', 'flapping'])
    assert.equal(events.filter(e => 'flapping' in e && e.flapping === true).length, 1, 'the change that started it is marked')
    assert.equal(h.core.peer('b')?.flapping, true)
    assert.equal(h.core.peers()[0].flapping, true)
    // It keeps reporting: stable once it has been flapping for a whole window.
    report(h, b, 18_000)
    assert.deepEqual(h.take(), [])
    report(h, b, 1_200)
    const [stable] = h.take()
    assert.equal(stable?.type, 'stable')
    assert.equal(stable.type === 'stable' && stable.state, 'alive')
    assert.equal(h.core.peer('b')?.flapping, false)
    h.core.stop()
    assert.equal(h.clock.pending, 0)
  })

  it('flapping: false turns it off', () => {
    const h = new Harness({ flapping: false })
    const b = new Sender('b')
    report(h, b, 1_000)
    for (let i = 0; i < 5; i++) {
      h.clock.advance(2_000)
      report(h, b, 1_000)
    }
    assert.deepEqual([...new Set(h.take().map(e => e.type))], ['joined', 'alert', 'recovered'])
    assert.equal(h.core.peer('b')?.flapping, false)
    h.core.stop()
  })
})
