import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bearerToken, isLoopbackHost, tokenMatches } from '../../src/http/auth.js'
import { EventHistory } from '../../src/api/history.js'
import type { EventLine } from '../../src/api/types.js'
import { metricView, peerView } from '../../src/api/views.js'

const ev = (i: number, event = 'alert'): EventLine => ({ ts: `t${i}`, event, peer: `p${i}` })

describe('EventHistory', () => {
  it('keeps alert, recovered, left and forgotten lines, oldest first, at most capacity', () => {
    const history = new EventHistory(3)
    history.add(ev(0, 'joined'))
    history.add(ev(1, 'connected'))
    for (let i = 2; i < 12; i++) history.add(ev(i, ['alert', 'recovered', 'left', 'forgotten'][i % 4]))
    assert.deepEqual(history.recent().map(e => e.peer), ['p9', 'p10', 'p11'])
    assert.deepEqual(history.recent(2).map(e => e.peer), ['p10', 'p11'])
    assert.deepEqual(history.recent(100).map(e => e.peer), ['p9', 'p10', 'p11'])
    assert.deepEqual(history.recent(0), [])
  })

  it('preloaded lines go before the live ones; the newest are kept', () => {
    const history = new EventHistory(4)
    history.add(ev(10))
    history.preload([ev(1), ev(2, 'joined'), ev(3), ev(4), ev(5)])
    assert.deepEqual(history.recent().map(e => e.peer), ['p3', 'p4', 'p5', 'p10'])
  })

  it('rejects a capacity below 1', () => {
    assert.throws(() => new EventHistory(0), RangeError)
  })
})

describe('API auth helpers', () => {
  it('bearerToken reads the scheme case-insensitively and takes the token as is', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc')
    assert.equal(bearerToken('bearer   abc  '), 'abc')
    assert.equal(bearerToken('Bearer two words'), 'two words')
    assert.equal(bearerToken('Basic abc'), undefined)
    assert.equal(bearerToken('Bearer '), undefined)
    assert.equal(bearerToken('Bearerabc'), undefined)
    assert.equal(bearerToken(undefined), undefined)
  })

  it('tokenMatches compares whole tokens', () => {
    assert.equal(tokenMatches('s3cret', 's3cret'), true)
    assert.equal(tokenMatches('s3cre', 's3cret'), false)
    assert.equal(tokenMatches('s3cretx', 's3cret'), false)
    assert.equal(tokenMatches('', 's3cret'), false)
    assert.equal(tokenMatches(undefined, 's3cret'), false)
  })

  it('isLoopbackHost accepts only loopback names, with or without a port', () => {
    for (const host of ['localhost', 'localhost:5011', '127.0.0.1', '127.0.0.1:80', '127.255.0.9:1', '[::1]', '[::1]:5011']) assert.equal(isLoopbackHost(host), true, host)
    for (const host of ['example.com', '127.0.0.1.nip.io', 'localhost.evil', '10.0.0.1', '[::2]:1', '::1', '0.0.0.0', '', undefined]) assert.equal(isLoopbackHost(host), false, String(host))
  })
})

describe('API views', () => {
  it('turn monotonic receive and expiry times into ages and a wall-clock receive time', () => {
    const metric = { peer: 'P', name: 'load', value: 0.5, ttlMs: 1000, receivedAt: 5000, expiresAt: 6000, sentAt: 1_699_999_999_000 }
    const now = { mono: 5250.04, wall: 1_700_000_000_000 }
    assert.deepEqual(metricView(metric, now), { name: 'load', value: 0.5, ttlMs: 1000, ageMs: 250, expiresInMs: 750, receivedAt: 1_699_999_999_750, sentAt: 1_699_999_999_000 })
    const view = peerView({ peer: 'P', state: 'alive', flapping: false, lastSeenAgoMs: 250.04, epoch: 1, seq: 2, sentAt: 3, intervalMs: 200, alerting: [], confirmed: true, addrs: ['/ip4/10.0.0.1/tcp/4001'], metrics: { load: metric }, connected: true }, now)
    assert.equal(view.lastSeenAgoMs, 250)
    assert.equal(view.metrics.load.ageMs, 250)
    assert.equal(view.connected, true)
    assert.deepEqual(view.addrs, ['/ip4/10.0.0.1/tcp/4001'])
  })
})
