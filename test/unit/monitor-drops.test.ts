import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { Report as WireReport } from '../../src/monitor/pb/report.js'
import { encodeReport } from '../../src/monitor/report.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

const TTL = 3_000

/** Wire bytes of a report from 'b', built with the generated codec to express what encodeReport refuses to write. */
function wire (overrides: Partial<WireReport>): Uint8Array {
  return WireReport.encode({ version: 1, kind: 0, peer: 'b', epoch: 1n, seq: 1n, sentAt: 1n, intervalMs: 0, metrics: [], ...overrides })
}

describe('MonitorCore drops', () => {
  it('drops its own reports and never monitors itself', () => {
    const h = new Harness({ self: 'me' })
    const me = new Sender('me')
    assert.deepEqual(h.send(me, [['ping', 1, TTL]]), { accepted: false, reason: 'self' })
    h.clock.advance(60_000)
    assert.deepEqual(h.take(), [])
    assert.deepEqual(h.core.peers(), [])
  })

  it('drops a report about another peer than its pubsub sender, refreshing nothing', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.clock.advance(TTL)
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/ping'])
    // c relays (or forges) a report claiming to be b.
    assert.deepEqual(h.core.handleMessage('c', b.report([['ping', 2, TTL]])), { accepted: false, reason: 'peer-mismatch' })
    assert.deepEqual(h.take(), [])
    assert.equal(h.core.peer('b')?.state, 'alerting')
    assert.equal(h.core.peer('c'), undefined)
  })

  it('drops replays: (epoch, seq) must grow; a restart with a later epoch is accepted', () => {
    const h = new Harness()
    const b = new Sender('b')
    const first = b.report([['ping', 1, TTL]])
    const second = b.report([['ping', 2, TTL]])
    assert.deepEqual(h.core.handleMessage('b', second), { accepted: true })
    assert.deepEqual(h.core.handleMessage('b', second), { accepted: false, reason: 'replay' })
    assert.deepEqual(h.core.handleMessage('b', first), { accepted: false, reason: 'replay' })
    assert.equal(h.core.latest('ping')[0].value, 2)

    b.restart()
    assert.deepEqual(h.send(b, [['ping', 3, TTL]]), { accepted: true })
    assert.equal(h.core.peer('b')?.seq, 1)

    const stale = new Sender('b', b.epoch - 1)
    assert.deepEqual(h.send(stale, [['ping', 4, TTL]]), { accepted: false, reason: 'replay' })
  })

  it('never throws on garbage, counting it as malformed (or another decode reason)', () => {
    const h = new Harness()
    for (let i = 0; i < 2_000; i++) {
      const result = h.core.handleMessage('b', randomBytes(i % 200))
      assert.equal(result.accepted, false)
    }
    const { received, accepted, dropped } = h.core.counters()
    assert.equal(received, 2_000)
    assert.equal(accepted, 0)
    assert.equal(Object.values(dropped).reduce((a, b) => a + b, 0), 2_000)
    assert.ok(dropped.malformed > 0)
  })

  it('drops other wire versions', () => {
    const h = new Harness()
    const bytes = encodeReport({ version: 2, kind: 'metrics', peer: 'b', epoch: 1, seq: 1, sentAt: 1, intervalMs: 1, metrics: [] })
    assert.deepEqual(h.core.handleMessage('b', bytes), { accepted: false, reason: 'version' })
  })

  it('refuses new metric names beyond maxNamesPerPeer but keeps the rest of the report', () => {
    const h = new Harness({ maxNamesPerPeer: 2 })
    const b = new Sender('b')
    assert.deepEqual(h.send(b, [['ping', 1, TTL], ['load', 1, TTL], ['extra', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.core.metricNames(), ['load', 'ping'])
    assert.equal(h.core.counters().refusedMetrics, 1)
    h.clock.advance(TTL)
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/ping'], 'the refused metric is not tracked')
  })

  it('drops each kind of bad report through handleMessage, counting each under its reason', () => {
    const h = new Harness()
    const metric = { name: 'a', number: 1, ttlMs: 1_000 }
    const bad: Record<string, Uint8Array> = {
      oversize: new Uint8Array(32 * 1024 + 1),
      malformed: new Uint8Array([0x0a, 0x05, 0x01]),
      version: wire({ version: 2 }),
      'unknown-kind': wire({ kind: 9 }),
      'invalid-peer': wire({ peer: '' }),
      'too-many-metrics': wire({ metrics: Array.from({ length: 65 }, (_, i) => ({ ...metric, name: `m${i}` })) }),
      'invalid-name': wire({ metrics: [{ ...metric, name: 'x'.repeat(65) }] }),
      'duplicate-name': wire({ metrics: [metric, metric] }),
      'invalid-value': wire({ metrics: [{ ...metric, number: NaN }] }),
      'invalid-ttl': wire({ metrics: [{ ...metric, ttlMs: 86_400_001 }] })
    }
    for (const [reason, bytes] of Object.entries(bad)) {
      assert.deepEqual(h.core.handleMessage('b', bytes), { accepted: false, reason }, reason)
    }
    const { received, accepted, dropped } = h.core.counters()
    assert.equal(received, Object.keys(bad).length)
    assert.equal(accepted, 0)
    for (const reason of Object.keys(bad)) assert.equal(dropped[reason as keyof typeof dropped], 1, reason)
    assert.deepEqual(h.core.peers(), [])
  })

  it('counts received, accepted and dropped by reason', () => {
    const h = new Harness()
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.core.handleMessage('self-peer', b.report([]))
    h.core.handleMessage('b', new Uint8Array([0xff]))
    const counters = h.core.counters()
    assert.equal(counters.received, 3)
    assert.equal(counters.accepted, 1)
    assert.equal(counters.dropped.self, 1)
    assert.equal(counters.dropped.malformed, 1)
    assert.equal(counters.dropped.replay, 0)
  })

  it('rejects invalid options with a RangeError', () => {
    assert.throws(() => new Harness({ retentionMs: 0 }), RangeError)
    assert.throws(() => new Harness({ windowSize: 0 }), RangeError)
    assert.throws(() => new Harness({ maxPeers: 1.5 }), RangeError)
  })
})
