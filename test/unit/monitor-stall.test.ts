import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { STALL_RECHECK_MS } from '../../src/monitor/core-api.js'
import type { AlertEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from './monitor-fixture.js'

const TTL = 3_000
const STALL = 250

describe('MonitorCore stall guard', () => {
  it('a process frozen past its peers\' expiry reads the queued reports before judging them', () => {
    const h = new Harness({ stallMs: STALL })
    const peers = ['b', 'c'].map((p) => new Sender(p))
    for (const s of peers) h.send(s, [['ping', 1, TTL]])
    h.take()
    h.clock.block(TTL + 3_000) // SIGSTOP, then SIGCONT: the timer fires 3 s late
    h.clock.advance(0)
    assert.deepEqual(h.take(), [], 'no alert while the loop is catching up')
    for (const s of peers) h.send(s, [['ping', 2, TTL]]) // the reports that waited in the sockets
    h.clock.advance(STALL_RECHECK_MS)
    assert.deepEqual(h.take(), [])
  })

  it('still alerts on a peer that is really gone, once the loop runs on time again', () => {
    const h = new Harness({ stallMs: STALL })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.take()
    h.clock.block(TTL + 1_000)
    h.clock.advance(0)
    assert.deepEqual(h.take(), [])
    h.clock.advance(STALL_RECHECK_MS)
    const [alert] = h.take() as AlertEvent[]
    assert.equal(alert?.type, 'alert')
    assert.equal(alert.lagMs, 1_000 + STALL_RECHECK_MS, 'the lag includes the catch-up')
  })

  it('keeps waiting while timers keep firing late, for at most the TTL', () => {
    const h = new Harness({ stallMs: STALL })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.take()
    h.clock.block(TTL + 500)
    for (let i = 0; i < 20; i++) {
      h.clock.advance(0)
      h.clock.block(STALL + 100) // a starved loop: every recheck fires late again
    }
    h.clock.advance(0)
    const [alert] = h.take() as AlertEvent[]
    assert.equal(alert?.type, 'alert')
    assert.ok(alert.lagMs >= 500 + TTL && alert.lagMs < 500 + TTL + 2 * (STALL + 100), `lagMs ${alert.lagMs}`)
  })

  it('a timer only a little late alerts at once, as without the guard', () => {
    const h = new Harness({ stallMs: STALL })
    const b = new Sender('b')
    h.send(b, [['ping', 1, TTL]])
    h.take()
    h.clock.advance(TTL - 10)
    h.clock.block(STALL - 10)
    h.clock.advance(0)
    assert.deepEqual(h.takeNames(), ['alert b/ping'])
  })
})
