import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Harness, Sender } from '../helpers/monitor-fixture.js'
import type { MetricSpec } from '../helpers/monitor-fixture.js'

const TTL = 3_000
const PING: MetricSpec[] = [['ping', 1, TTL]]

describe('MonitorCore rate limit', () => {
  it('throttles a peer publishing far faster than its interval, counting the excess as rate', () => {
    const h = new Harness()
    const x = new Sender('x')
    let accepted = 0
    for (let ms = 0; ms < 10_000; ms++) {
      if (h.core.handleMessage('x', x.report(PING, 1)).accepted) accepted++
      h.clock.advance(1)
    }
    // A declared 1 ms interval is credited as 100 ms: 2 per 100 ms, plus a burst of 5.
    assert.ok(accepted >= 200 && accepted <= 206, `accepted ${accepted}`)
    const counters = h.core.counters()
    assert.equal(counters.dropped.rate, 10_000 - accepted)
    assert.equal(counters.received, counters.accepted + counters.dropped.rate)
    assert.deepEqual(h.takeNames(), ['joined x'])
  })

  it('a throttled report refreshes nothing: no new metric, no seq, no last-seen, no recovery', () => {
    const h = new Harness()
    const x = new Sender('x')
    for (let i = 0; i < 5; i++) assert.equal(h.send(x, PING).accepted, true)
    const seq = h.core.peer('x')?.seq
    h.clock.advance(400) // less than the 500 ms one token takes at 2 per 1 s interval
    assert.deepEqual(h.send(x, [['ping', 2, TTL], ['fresh', 1, TTL]]), { accepted: false, reason: 'rate' })
    const peer = h.core.peer('x')
    assert.equal(peer?.seq, seq)
    assert.equal(peer?.lastSeenAgoMs, 400)
    assert.deepEqual(h.core.metricNames(), ['ping'])
    assert.equal(h.core.latest('ping')[0].value, 1)

    // Its ping expires on time however hard it floods, and only an accepted report brings it back.
    h.clock.advance(TTL - 400)
    assert.deepEqual(h.takeNames(), ['joined x', 'alert x/ping'])
    h.clock.advance(1_000) // two tokens
    assert.equal(h.send(x, PING).accepted, true)
    assert.deepEqual(h.takeNames(), ['recovered x/ping'])
  })

  it('never throttles honest peers: jitter and bunched delivery over ten minutes', () => {
    const h = new Harness()
    const peers = ['b', 'c', 'd'].map((p) => new Sender(p))
    for (let tick = 0; tick < 600; tick++) {
      if (tick % 40 === 39) {
        // A stalled link delivers three reports of each peer at once.
        h.clock.advance(1_500)
        for (const s of peers) for (let k = 0; k < 3; k++) h.send(s, PING)
      } else {
        for (const s of peers) h.send(s, PING)
      }
      h.clock.advance(950 + (tick * 37) % 101)
    }
    const counters = h.core.counters()
    assert.equal(counters.dropped.rate, 0)
    assert.equal(counters.accepted, counters.received)
    assert.deepEqual(h.takeNames(), ['joined b', 'joined c', 'joined d'])
  })

  it('a flooder cannot cause alerts for others, nor hide their crash, by relaying or replaying their reports', () => {
    const h = new Harness()
    const b = new Sender('b')
    const c = new Sender('c')
    const x = new Sender('x')
    const captured: Uint8Array[] = []
    for (let second = 0; second < 60; second++) {
      const fromB = b.report(PING)
      captured.push(fromB)
      assert.equal(h.core.handleMessage('b', fromB).accepted, true, `b at ${second} s`)
      assert.equal(h.send(c, PING).accepted, true, `c at ${second} s`)
      for (let i = 0; i < 100; i++) {
        h.core.handleMessage('x', x.report(PING, 1)) // its own flood
        h.core.handleMessage('x', b.report(PING)) // speaking for b
        h.core.handleMessage('b', captured[i % captured.length]) // b's own old signed reports, re-published
        h.clock.advance(10)
      }
    }
    const { dropped } = h.core.counters()
    assert.ok(dropped.rate > 4_000, `rate ${dropped.rate}`)
    assert.equal(dropped['peer-mismatch'], 6_000)
    assert.equal(dropped.replay, 6_000)
    assert.deepEqual(h.takeNames(), ['joined b', 'joined c', 'joined x'])

    // b crashes; x goes on replaying b's reports: b still alerts on time, c does not.
    for (let i = 0; i < 300; i++) {
      h.core.handleMessage('b', captured[i % captured.length])
      h.core.handleMessage('x', x.report(PING, 1))
      if (i % 100 === 99) h.send(c, PING)
      h.clock.advance(10)
    }
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
  })

  it('a graceful leave is never throttled, even right after a burst', () => {
    const h = new Harness()
    const b = new Sender('b')
    for (let i = 0; i < 10; i++) h.send(b, PING)
    assert.equal(h.core.counters().dropped.rate, 5)
    assert.deepEqual(h.core.handleMessage('b', b.leave()), { accepted: true })
    h.clock.advance(10 * TTL)
    assert.deepEqual(h.takeNames(), ['joined b', 'left b'])
    // Further notices from a peer that already left are throttled like any report.
    let throttled = 0
    for (let i = 0; i < 10; i++) if (!h.core.handleMessage('b', b.leave()).accepted) throttled++
    assert.equal(throttled, 5)
  })

  it('rate state goes with the peer: an evicted peer comes back with a fresh bucket', () => {
    // A slow refill (1 report per minute) makes the bucket's state visible.
    const h = new Harness({ maxPeers: 1, rate: { burst: 2, headroom: 1 } })
    const b = new Sender('b')
    const c = new Sender('c')
    const slow = (s: Sender): Uint8Array => s.report(PING, 60_000)
    assert.equal(h.core.handleMessage('b', slow(b)).accepted, true)
    assert.equal(h.core.handleMessage('b', slow(b)).accepted, true)
    assert.deepEqual(h.core.handleMessage('b', slow(b)), { accepted: false, reason: 'rate' })
    h.clock.advance(TTL) // b alerts: no longer alive, so it can be evicted
    assert.equal(h.core.handleMessage('c', slow(c)).accepted, true)
    h.clock.advance(TTL)
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/ping', 'forgotten b', 'joined c', 'alert c/ping'])
    assert.deepEqual(h.core.handleMessage('b', slow(b)), { accepted: true })
    assert.deepEqual(h.core.handleMessage('b', slow(b)), { accepted: true }, 'a full bucket again')
  })

  it('rejects invalid rate options with a RangeError', () => {
    assert.throws(() => new Harness({ rate: { burst: 0 } }), RangeError)
  })
})
