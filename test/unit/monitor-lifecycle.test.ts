import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ForgottenEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

const TTL = 3_000
const MINUTE = 60_000

describe('MonitorCore peer lifecycle', () => {
  it('a graceful leave emits left once, cancels its deadlines and never alerts afterwards', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL], ['load', 1, TTL]])
    h.clock.advance(1_000)
    assert.deepEqual(h.core.handleMessage('b', b.leave()), { accepted: true })
    assert.deepEqual(h.core.handleMessage('b', b.leave()), { accepted: true })
    assert.deepEqual(h.takeNames(), ['joined b', 'left b'])
    assert.equal(h.core.peer('b')?.state, 'left')
    h.clock.advance(5 * MINUTE)
    assert.deepEqual(h.take(), [])
  })

  it('a leave from an alerting peer ends its alerts without recovered', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.clock.advance(TTL)
    h.core.handleMessage('b', b.leave())
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/ping', 'left b'])
    assert.deepEqual(h.core.peer('b')?.alerting, [])
  })

  it('ignores a leave from an unknown peer, and does not relay it (invented signers could flood leaves)', () => {
    const h = new Harness()
    assert.deepEqual(h.core.handleMessage('b', new Sender('b').leave()), { accepted: true, relay: false })
    assert.deepEqual(h.take(), [])
    assert.deepEqual(h.core.peers(), [])
  })

  it('a report sent before a leave notice that came first (gossip to a node just started) does not bring the peer back', () => {
    const h = new Harness()
    const b = new Sender('b')
    const early = b.report([['ping', 1, TTL]])
    const leave = b.leave()
    h.core.handleMessage('b', leave)
    assert.deepEqual(h.core.handleMessage('b', early), { accepted: false, reason: 'replay' })
    h.clock.advance(10 * TTL)
    assert.deepEqual(h.take(), [], 'no joined, no alert on a peer that left')
    // Back in the same run after all (a later report), or restarted: it is a peer again.
    h.send(b, [['ping', 2, TTL]])
    assert.deepEqual(h.take().map(e => e.type), ['joined'])
    // Bounded: notices of 1,024 invented peers overwrite the oldest; they never touch a known peer.
    const c = new Sender('c')
    const old = c.report([['ping', 1, TTL]])
    h.core.handleMessage('c', c.leave())
    for (let i = 0; i < 1_024; i++) h.core.handleMessage(`x${i}`, new Sender(`x${i}`).leave())
    assert.deepEqual(h.core.handleMessage('c', old), { accepted: true }, 'at most 1,024 notices are remembered')
  })

  it('a left peer that reports again (restarted) joins again', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.core.handleMessage('b', b.leave())
    b.restart()
    assert.deepEqual(h.send(b, [['ping', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['joined b', 'left b', 'joined b'])
    assert.equal(h.core.peer('b')?.state, 'alive')
  })

  it('forgets an alerting peer after retentionMs of silence, then welcomes it back as new', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL], ['load', 1, TTL]])
    h.clock.advance(10 * MINUTE - 1)
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/ping'])
    h.clock.advance(1)
    assert.deepEqual(h.take(), [{ type: 'forgotten', peer: 'b', silentMs: 10 * MINUTE }])
    assert.equal(h.core.peer('b'), undefined)
    assert.deepEqual(h.core.metricNames(), [])
    assert.deepEqual(h.core.latest('ping'), [])
    assert.equal(h.clock.pending, 0, 'nothing left to track')

    h.send(b, [['ping', 1, TTL]])
    assert.deepEqual(h.takeNames(), ['joined b'])
  })

  it('forgets a left peer after retentionMs', () => {
    const h = new Harness({ retentionMs: MINUTE })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.clock.advance(1_000)
    h.core.handleMessage('b', b.leave())
    h.clock.advance(MINUTE)
    assert.deepEqual(h.takeNames(), ['joined b', 'left b', 'forgotten b'])
  })

  it('does not forget a silent peer whose metrics have not expired yet: it alerts first', () => {
    const h = new Harness({ retentionMs: MINUTE })
    const b = new Sender('b')
    h.send(b, [['ping', 1, 5 * MINUTE]])
    h.clock.advance(5 * MINUTE - 1)
    assert.deepEqual(h.takeNames(), ['joined b'])
    h.clock.advance(1)
    const events = h.take()
    assert.deepEqual(events.map((e) => e.type), ['alert', 'forgotten'])
    assert.equal((events[1] as ForgottenEvent).silentMs, 5 * MINUTE)
  })

  it('keeps a live peer: reports postpone forgetting', () => {
    const h = new Harness({ retentionMs: 10_000 })
    const b = new Sender('b')
    for (let i = 0; i < 60; i++) {
      h.send(b, [['ping', 1, TTL]])
      h.clock.advance(1_000)
    }
    assert.deepEqual(h.takeNames(), ['joined b'])
  })

  it('when full, evicts the least recently heard-from peer that is not alive, never a live one', () => {
    const h = new Harness({ maxPeers: 3 })
    const [b, c, d, e, f] = ['b', 'c', 'd', 'e', 'f'].map((p) => new Sender(p))
    h.send(b, [['ping', 1, TTL]])
    h.send(c, [['ping', 1, TTL]])
    h.send(d, [['ping', 1, 60_000]])
    assert.deepEqual(h.send(e, [['ping', 1, TTL]]), { accepted: false, reason: 'capacity' })

    h.clock.advance(TTL) // b and c alert; d is alive
    h.send(c, []) // c heard from more recently than b (still alerting: empty report)
    h.take()
    assert.deepEqual(h.send(e, [['ping', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['forgotten b', 'joined e'])
    assert.deepEqual(h.send(f, [['ping', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['forgotten c', 'joined f'])
    assert.deepEqual(h.send(b, [['ping', 1, TTL]]), { accepted: false, reason: 'capacity' })
    assert.deepEqual(h.core.peers().map((p) => p.peer), ['d', 'e', 'f'])
    assert.equal(h.core.counters().dropped.capacity, 2)
  })

  it('when full, a peer that left or whose heartbeat alerts can be evicted; one alive with a stuck metric cannot, nor one that recovered', () => {
    const h = new Harness({ maxPeers: 2 })
    const [b, c, d, e] = ['b', 'c', 'd', 'e'].map((p) => new Sender(p))
    h.send(b, [['ping', 1, TTL]])
    h.send(c, [['ping', 1, TTL], ['load', 1, TTL]])
    h.core.handleMessage('b', b.leave())
    assert.deepEqual(h.send(d, [['ping', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['joined b', 'joined c', 'left b', 'forgotten b', 'joined d'])

    // c keeps reporting but without load: a stuck informer alerts, and c may go.
    h.clock.advance(1_000)
    h.send(c, [['ping', 2, TTL]])
    h.send(d, [['ping', 2, TTL]])
    h.clock.advance(TTL - 1_000)
    h.send(c, [['ping', 3, TTL]])
    h.send(d, [['ping', 3, TTL]])
    assert.deepEqual(h.takeNames(), ['alert c/load'])
    h.send(c, [['ping', 4, TTL], ['load', 2, TTL]]) // recovered: alive again
    assert.deepEqual(h.takeNames(), ['recovered c/load'])
    assert.deepEqual(h.send(e, [['ping', 1, TTL]]), { accepted: false, reason: 'capacity' })
    h.clock.advance(1_000)
    h.send(c, [['ping', 5, TTL]]) // without load again
    h.send(d, [['ping', 4, TTL]])
    h.clock.advance(TTL - 1_000)
    assert.deepEqual(h.takeNames(), ['alert c/load'], 'c still reports, its ping is fresh')
    assert.deepEqual(h.send(e, [['ping', 1, TTL]]), { accepted: false, reason: 'capacity' }, 'c is alive: only a metric is stuck')
    h.send(d, [['ping', 5, TTL]])
    h.clock.advance(TTL) // c's heartbeat alerts now
    h.take()
    assert.deepEqual(h.send(e, [['ping', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['forgotten c', 'joined e'])
  })

  it('stop() leaves no timer pending, is idempotent, and drops later messages', () => {
    const h = new Harness()
    const senders = Array.from({ length: 20 }, (_, i) => new Sender(`p${i}`))
    for (const s of senders) h.send(s, [['ping', 1, TTL], ['load', 1, 2 * TTL]])
    assert.equal(h.clock.pending, 1)
    h.core.stop()
    assert.equal(h.clock.pending, 0)
    h.core.stop()
    assert.equal(h.clock.pending, 0)
    assert.deepEqual(h.send(senders[0], [['ping', 1, TTL]]), { accepted: false, reason: 'stopped' })
    assert.equal(h.clock.pending, 0)
    h.take()
    h.clock.advance(MINUTE)
    assert.deepEqual(h.take(), [])
    assert.equal(h.core.peers().length, 20, 'state stays readable')
  })

  it('reports each peer with its state, sender data and latest metrics', () => {
    const h = new Harness()
    const b = new Sender('b', 42)
    h.send(b, [['ping', 1, TTL], ['tag:zone', 'eu', TTL]])
    h.clock.advance(500)
    const [summary] = h.core.peers()
    assert.equal(summary.peer, 'b')
    assert.equal(summary.state, 'alive')
    assert.equal(summary.lastSeenAgoMs, 500)
    assert.equal(summary.epoch, 42)
    assert.equal(summary.seq, 1)
    assert.equal(summary.intervalMs, 1_000)
    assert.deepEqual(summary.alerting, [])
    assert.equal(summary.metrics['tag:zone'].value, 'eu')
    assert.equal(summary.metrics.ping.expiresAt, summary.metrics.ping.receivedAt + TTL)
    assert.deepEqual(h.core.metricNames(), ['ping', 'tag:zone'])
    assert.deepEqual(h.core.latest('tag:zone').map((m) => m.peer), ['b'])
  })

  it('keeps the last 25 metrics of each (peer, metric) window', () => {
    const h = new Harness()
    const b = new Sender('b')
    for (let i = 1; i <= 40; i++) {
      h.send(b, [['ping', i, TTL]])
      h.clock.advance(1_000)
    }
    const window = h.core.window('b', 'ping')
    assert.equal(window.length, 25)
    assert.deepEqual(window.map((m) => m.value), Array.from({ length: 25 }, (_, i) => i + 16))
    assert.equal(h.core.peer('b')?.windows.ping.length, 25)
  })
})
