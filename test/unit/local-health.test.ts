/**
 * Local health in the monitor core, on a fake clock: a node that was itself
 * frozen, overloaded, cut off or badly connected does not accuse its peers;
 * a healthy node alerts as fast as without it; a dead peer is still alerted
 * on, within the bound.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LOCAL_HEALTH_DEFAULTS } from '../../src/monitor/local-health.js'
import type { AlertEvent, MonitorEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from './monitor-fixture.js'

const INTERVAL = 1_000
const TTL = 3_000
const SETTLE = LOCAL_HEALTH_DEFAULTS.settleMs + 1.5 * INTERVAL

/** A harness with local health on and `n` peers that have each reported once, spread over 100 ms. */
function swarm (n: number, localHealth: false | object = {}): { h: Harness, peers: Sender[] } {
  const h = new Harness({ localHealth })
  const peers = Array.from({ length: n }, (_, i) => new Sender(`p${i}`))
  for (const s of peers) {
    h.core.handleMessage(s.peer, s.report([['ping', 1, TTL]], INTERVAL))
    h.clock.advance(100 / n)
  }
  h.take()
  return { h, peers }
}

/** Every peer in `senders` reports once, then time moves on by one interval; `rounds` times. */
function report (h: Harness, senders: Sender[], rounds = 1): void {
  for (let r = 0; r < rounds; r++) {
    for (const s of senders) h.core.handleMessage(s.peer, s.report([['ping', 1, TTL]], INTERVAL))
    h.clock.advance(INTERVAL)
  }
}

const types = (events: MonitorEvent[]): string[] => events.map(e => e.type)
const alerts = (events: MonitorEvent[]): AlertEvent[] => events.filter((e): e is AlertEvent => e.type === 'alert')

describe('local health', () => {
  it('a healthy node alerts on a dead peer the moment its metrics expire, as with local health off', () => {
    for (const localHealth of [{}, false] as const) {
      const { h, peers } = swarm(6, localHealth)
      const [dead, ...live] = peers
      for (let t = 0; t < 4; t++) report(h, live)
      const [alert] = alerts(h.take())
      assert.equal(alert?.peer, dead.peer)
      assert.ok(alert.lagMs < 1, `lag ${alert.lagMs} ms`)
      assert.equal(alert.degraded, undefined)
    }
  })

  it('a whole-host stall (every process frozen 5 s, then resumed): no alert, one degraded and one healthy', () => {
    const { h, peers } = swarm(5)
    report(h, peers)
    h.clock.block(5_000) // SIGSTOP of every daemon, SIGCONT 5 s later: this node's timers run late
    h.clock.advance(0)
    const during = h.take()
    assert.deepEqual(types(during), ['degraded'])
    assert.equal((during[0] as { reason?: string }).reason, 'stall')
    report(h, peers, 10) // the peers resumed too: their reports (queued, then new ones) arrive
    const after = h.take()
    assert.deepEqual(types(after), ['healthy'])
  })

  it('a stall longer than the postponement bound (a VM paused 20 s, a laptop asleep): no alert either, the node listens first', () => {
    const { h, peers } = swarm(5)
    report(h, peers)
    h.clock.block(20_000) // every expiry's bound (2 TTLs after it) passed while the process was frozen
    h.clock.advance(0)
    assert.deepEqual(types(h.take()), ['degraded'])
    report(h, peers, 10)
    assert.deepEqual(types(h.take()), ['healthy'])
  })

  it('a peer that died before a long stall is still alerted on, once the node has listened', () => {
    const { h, peers } = swarm(5)
    report(h, peers)
    const [dead, ...live] = peers
    h.clock.block(20_000)
    h.clock.advance(0)
    h.take()
    report(h, live, 5)
    assert.deepEqual(alerts(h.take()).map((a) => a.peer), [dead.peer])
  })

  it('without local health the same stall alerts on every peer', () => {
    const { h, peers } = swarm(5, false)
    report(h, peers)
    h.clock.block(5_000)
    h.clock.advance(0)
    assert.equal(alerts(h.take()).length, 5)
  })

  it('a peer that died during the stall is alerted on once the node has listened again for 1.5 intervals', () => {
    const { h, peers } = swarm(5)
    report(h, peers)
    const [dead, ...live] = peers
    h.clock.block(5_000)
    h.clock.advance(0)
    const resumedAt = h.clock.now()
    h.take()
    let alert: AlertEvent | undefined
    for (let t = 0; t < 5 && alert === undefined; t++) {
      report(h, live)
      alert = alerts(h.take())[0]
    }
    assert.equal(alert?.peer, dead.peer)
    assert.ok(alert.silentMs > 5_000, `silent ${alert.silentMs}`)
    assert.ok(h.clock.now() - resumedAt >= SETTLE - INTERVAL, `alerted ${h.clock.now() - resumedAt} ms after the resume`)
  })

  it('a node cut off from everyone says isolated once, not one alert per peer, and reconnected when reports flow', () => {
    const { h, peers } = swarm(8)
    report(h, peers, 3)
    h.clock.advance(60_000) // nothing arrives for a minute
    const cut = h.take()
    assert.deepEqual(types(cut), ['isolated'])
    assert.equal((cut[0] as { peers?: number }).peers, 8)
    const [gone, ...back] = peers
    report(h, back, 5) // the link is back; one peer died meanwhile
    const healed = h.take()
    assert.equal(healed[0]?.type, 'reconnected')
    assert.deepEqual(alerts(healed).map(a => a.peer), [gone.peer], 'the peer still silent is alerted on, once')
  })

  it('a node cut off while its own loop keeps stalling (a loaded host) still says isolated, at the latest at the bound, and accuses no one', () => {
    const { h, peers } = swarm(8)
    report(h, peers, 3)
    for (let t = 0; t < 60; t++) { // 15 s: no report arrives, and the loop probe runs 300 ms late each time
      h.core.sampleLoop(300, 1)
      h.clock.advance(250)
    }
    const events = h.take()
    assert.equal(alerts(events).length, 0, JSON.stringify(events))
    assert.ok(types(events).includes('isolated'), types(events).join(', '))
  })

  it('a node that still hears some peers is not isolated: it alerts on the silent ones, within the bound, saying it cannot rule out its own link', () => {
    const { h, peers } = swarm(8)
    report(h, peers, 3)
    const [alive, ...silent] = peers
    report(h, [alive], 12)
    const events = h.take()
    assert.ok(!types(events).includes('isolated'))
    assert.deepEqual(alerts(events).map(a => a.peer).sort(), silent.map(s => s.peer).sort())
    for (const alert of alerts(events)) {
      assert.equal(alert.degraded, 'receive')
      assert.ok(alert.lagMs <= LOCAL_HEALTH_DEFAULTS.maxPostponeTtls * TTL, `lag ${alert.lagMs}`)
    }
  })

  it('with fewer than three peers silence is judged peer by peer', () => {
    const { h, peers } = swarm(2)
    report(h, peers)
    h.clock.advance(10_000)
    assert.deepEqual(types(h.take()), ['alert', 'alert'])
  })

  it('a lossy link of its own (many peers late at once): degraded, and no alert for peers whose reports come late', () => {
    const { h, peers } = swarm(20)
    report(h, peers, 3)
    const late = peers.slice(0, 8)
    const onTime = peers.slice(8)
    report(h, onTime, 3) // 8 peers' reports are stuck behind retransmissions for 4 s
    report(h, peers, 6) // then everything arrives again
    const events = h.take()
    assert.equal(alerts(events).length, 0, JSON.stringify(events))
    assert.deepEqual(types(events), ['degraded', 'healthy'])
    const degraded = events[0] as { reason?: string, overdue?: number, peers?: number }
    assert.equal(degraded.reason, 'receive')
    assert.ok(degraded.overdue !== undefined && degraded.overdue >= 3 && degraded.overdue <= late.length, `overdue ${degraded.overdue}`)
    assert.equal(degraded.peers, 20)
  })

  it('postpones at most maxPostponeTtls TTLs: a dead peer is alerted on even while the node stays overloaded', () => {
    const { h, peers } = swarm(6)
    report(h, peers)
    const [dead, ...live] = peers
    let alert: AlertEvent | undefined
    for (let t = 0; t < 80 && alert === undefined; t++) {
      h.core.sampleLoop(200, 1) // the loop keeps running 200 ms late
      for (const s of live) h.core.handleMessage(s.peer, s.report([['ping', 1, TTL]], INTERVAL))
      h.clock.advance(250)
      alert = alerts(h.take())[0]
    }
    assert.equal(alert?.peer, dead.peer)
    assert.equal(alert.degraded, 'overload')
    assert.ok(alert.lagMs <= LOCAL_HEALTH_DEFAULTS.maxPostponeTtls * TTL + 250, `lag ${alert.lagMs}`)
  })

  it('one late timer or one slow probe is not a stall', () => {
    const { h, peers } = swarm(5)
    h.core.sampleLoop(200, 0.5)
    h.clock.block(LOCAL_HEALTH_DEFAULTS.lateMs - 10)
    report(h, peers, 3)
    assert.deepEqual(h.take(), [])
    assert.equal(h.core.localCondition, 'healthy')
  })
})

describe('local health and a short retention', () => {
  it('a silent peer whose expiry judgement is postponed past its retention is alerted on and then forgotten (no endless re-arming)', () => {
    const h = new Harness({ localHealth: {}, retentionMs: TTL + 1_000 })
    const peers = Array.from({ length: 8 }, (_, i) => new Sender(`p${i}`))
    report(h, peers, 3)
    const [alive, ...silent] = peers
    // Seven of eight fall silent at once: receive trouble, judgements wait (at most 2 TTLs), and their
    // forget deadlines (1 s after expiry) come while they wait.
    report(h, [alive], 15)
    const events = h.take()
    assert.deepEqual(alerts(events).map(a => a.peer).sort(), silent.map(s => s.peer).sort())
    assert.deepEqual(events.filter(e => e.type === 'forgotten').map(e => (e as { peer: string }).peer).sort(), silent.map(s => s.peer).sort())
    assert.deepEqual(h.core.peers().map(p => p.peer), [alive.peer])
    h.core.stop()
  })
})
