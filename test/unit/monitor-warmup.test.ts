import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AlertEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

const TTL = 3_000

describe('MonitorCore first-report TTLs', () => {
  it('a peer heard from once is given two TTLs before its first alert', () => {
    const h = new Harness({ firstReportTtls: 2 })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    assert.deepEqual(h.takeNames(), ['joined b'])
    h.clock.advance(TTL + 500) // its second report is still on its way through a forming mesh
    assert.deepEqual(h.take(), [])
    h.send(b, [['ping', 2, TTL]])
    h.clock.advance(TTL - 1)
    assert.deepEqual(h.take(), [])
    h.clock.advance(1) // from the second report on, one TTL
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
  })

  it('a peer that falls silent after its first report alerts after two TTLs, lag counted from there', () => {
    const h = new Harness({ firstReportTtls: 2 })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.take()
    h.clock.advance(2 * TTL)
    const [alert] = h.take() as AlertEvent[]
    assert.equal(alert?.type, 'alert')
    assert.equal(alert.lagMs, 0)
    assert.equal(alert.ttlMs, TTL, 'the alert still states the metric\'s own TTL')
  })

  it('a peer back after leaving gets the grace again; one TTL by default', () => {
    const h = new Harness({ firstReportTtls: 2 })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.send(b, [['ping', 2, TTL]])
    h.core.handleMessage('b', b.leave())
    h.take()
    h.send(b, [['ping', 3, TTL]])
    assert.deepEqual(h.takeNames(), ['joined b'])
    h.clock.advance(TTL + 1)
    assert.deepEqual(h.takeNames(), [], 'no alert one TTL after the rejoin')
    const plain = new Harness()
    const c = new Sender('c')
    plain.send(c, [['ping', 1, TTL]])
    plain.take()
    plain.clock.advance(TTL)
    assert.deepEqual(plain.takeNames(), ['alert c/ping'])
  })
})
