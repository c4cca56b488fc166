import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
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
})
