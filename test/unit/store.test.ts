import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ENTRY_BYTES, NAME_BYTES, StateBudget, stringBytes } from '../../src/monitor/budget.js'
import { MetricStore } from '../../src/monitor/store.js'
import type { ReceivedMetric } from '../../src/monitor/types.js'

function metric (peer: string, name: string, value: number): ReceivedMetric {
  return { peer, name, value, ttlMs: 1_000, receivedAt: value, expiresAt: value + 1_000, sentAt: 0 }
}

describe('MetricStore', () => {
  it('keeps windows by peer and by metric name', () => {
    const store = new MetricStore({ windowSize: 3 })
    for (let i = 1; i <= 5; i++) {
      assert.equal(store.log(metric('b', 'ping', i)), 'logged')
      assert.equal(store.log(metric('c', 'ping', 10 + i)), 'logged')
    }
    store.log(metric('b', 'load', 7))
    assert.equal(store.latest('b', 'ping')?.value, 5)
    assert.equal(store.latest('b', 'nope'), undefined)
    assert.deepEqual(store.window('b', 'ping').map((m) => m.value), [3, 4, 5])
    assert.deepEqual(store.window('x', 'ping'), [])
    assert.deepEqual(store.latestByName('ping').map((m) => `${m.peer}=${m.value}`).sort(), ['b=5', 'c=15'])
    assert.deepEqual(store.names().sort(), ['load', 'ping'])
    assert.deepEqual(store.namesOf('b').sort(), ['load', 'ping'])
    assert.deepEqual(store.peers().sort(), ['b', 'c'])
  })

  it('removes a peer from both indexes', () => {
    const store = new MetricStore()
    store.log(metric('b', 'ping', 1))
    store.log(metric('b', 'load', 1))
    store.log(metric('c', 'ping', 1))
    assert.equal(store.remove('b'), true)
    assert.equal(store.remove('b'), false)
    assert.deepEqual(store.names(), ['ping'])
    assert.deepEqual(store.latestByName('ping').map((m) => m.peer), ['c'])
    assert.deepEqual(store.latestByName('load'), [])
    assert.deepEqual(store.peers(), ['c'])
  })

  it('refuses a new name beyond maxNamesPerPeer, and a new peer beyond maxPeers', () => {
    const store = new MetricStore({ maxNamesPerPeer: 2, maxPeers: 2 })
    assert.equal(store.log(metric('b', 'a', 1)), 'logged')
    assert.equal(store.log(metric('b', 'b', 1)), 'logged')
    assert.equal(store.log(metric('b', 'c', 1)), 'too-many-names')
    assert.equal(store.log(metric('b', 'a', 2)), 'logged', 'known names still log')
    assert.equal(store.log(metric('c', 'a', 1)), 'logged')
    assert.equal(store.log(metric('d', 'a', 1)), 'capacity')
    store.remove('c')
    assert.equal(store.log(metric('d', 'a', 1)), 'logged')
    assert.deepEqual(store.namesOf('b'), ['a', 'b'])
  })

  it('rejects bounds that are not positive integers', () => {
    assert.throws(() => new MetricStore({ maxPeers: 0 }), RangeError)
    assert.throws(() => new MetricStore({ maxNamesPerPeer: -1 }), RangeError)
    assert.throws(() => new MetricStore({ windowSize: 0.5 }), RangeError)
  })

  it('charges its budget account exactly what its windows hold, whatever is logged, refused, shrunk or removed', () => {
    // What the store holds, estimated from scratch: each name, each entry, and each text once per run of equal ones.
    const recount = (store: MetricStore): number => {
      let bytes = 0
      for (const peer of store.peers()) {
        for (const name of store.namesOf(peer)) {
          bytes += NAME_BYTES + stringBytes(name)
          let previous: ReceivedMetric | undefined
          for (const m of store.window(peer, name)) {
            bytes += ENTRY_BYTES + (typeof m.value === 'string' && m.value !== previous?.value ? stringBytes(m.value) : 0)
            previous = m
          }
        }
      }
      return bytes
    }
    const op = fc.oneof(
      fc.record({ kind: fc.constant('log' as const), peer: fc.constantFrom('a', 'b', 'c'), name: fc.constantFrom('ping', 'tag', 'x', 'é'), value: fc.oneof(fc.integer(), fc.constantFrom('eu', 'us', 'ü'.repeat(40), 'long'.repeat(60))) }),
      fc.record({ kind: fc.constant('remove' as const), peer: fc.constantFrom('a', 'b', 'c') })
    )
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 500, max: 6_000 }), fc.array(op, { maxLength: 200 }), (windowSize, limit, ops) => {
      const budget = new StateBudget(limit)
      const account = budget.account('peers')
      const store = new MetricStore({ windowSize, account })
      for (const o of ops) {
        if (o.kind === 'remove') store.remove(o.peer)
        else store.log({ peer: o.peer, name: o.name, value: o.value, ttlMs: 1_000, receivedAt: 0, expiresAt: 1_000, sentAt: 0 })
        assert.equal(account.bytes, recount(store))
        assert.equal(store.bytes, account.bytes)
        assert.equal(store.peers().reduce((n, p) => n + store.bytesOf(p), 0), account.bytes)
      }
      // Over the budget only a window of one entry (the latest value) can have grown past it.
      for (const peer of store.peers()) for (const name of store.namesOf(peer)) assert.ok(store.window(peer, name).length >= 1)
    }), { numRuns: 300 })
  })
})
