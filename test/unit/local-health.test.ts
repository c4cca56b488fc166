/**
 * Local health in the monitor core, on a fake clock: a node that was itself
 * frozen, overloaded, cut off or badly connected does not accuse its peers;
 * a healthy node alerts as fast as without it; a dead peer is still alerted
 * on, within the bound.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LOCAL_HEALTH_DEFAULTS, LocalHealth } from '../../src/monitor/local-health.js'
import type { AlertEvent, LocalEvent, MonitorEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

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

/**
 * A node frozen longer than its peers' TTLs (issue 18: a daemon SIGSTOPped 12 s at 500 ms / 2 s):
 * its peers pruned it from their mesh, so some of their reports reach it only once the mesh has
 * re-formed. Every peer gets one TTL after the resume to be heard, as after `reconnected`.
 */
describe('local health after a freeze longer than the TTL', () => {
  const FAST_INTERVAL = 500
  const FAST_TTL = 2_000

  /** A harness with local health on and 6 peers at 500 ms / 2 s, each heard a few times; then this node freezes for `freezeMs`. */
  function frozen (freezeMs: number): { h: Harness, peers: Sender[], resumedAt: number } {
    const h = new Harness({ localHealth: {} })
    const peers = Array.from({ length: 6 }, (_, i) => new Sender(`q${i}`))
    for (let r = 0; r < 4; r++) {
      for (const s of peers) h.core.handleMessage(s.peer, s.report([['ping', 1, FAST_TTL]], FAST_INTERVAL))
      h.clock.advance(FAST_INTERVAL)
    }
    h.take()
    h.clock.block(freezeMs) // SIGSTOP; at SIGCONT every timer due meanwhile runs late
    h.clock.advance(0)
    return { h, peers, resumedAt: h.clock.now() }
  }

  /**
   * Runs 6 s past the resume in 100 ms steps: `heardFrom(peer)` says from when on (ms after the
   * resume) a peer's reports arrive again, every interval. Returns each alert with its time after the resume.
   */
  function afterResume (h: Harness, peers: Sender[], resumedAt: number, heardFrom: (i: number) => number): Array<{ peer: string, at: number }> {
    const raised: Array<{ peer: string, at: number }> = []
    const next = peers.map((_, i) => heardFrom(i))
    while (h.clock.now() - resumedAt < 6_000) {
      const t = h.clock.now() - resumedAt
      peers.forEach((s, i) => {
        if (t >= next[i]) {
          h.core.handleMessage(s.peer, s.report([['ping', 1, FAST_TTL]], FAST_INTERVAL))
          next[i] += FAST_INTERVAL
        }
      })
      h.clock.advance(100)
      for (const alert of alerts(h.take())) raised.push({ peer: alert.peer, at: h.clock.now() - resumedAt })
    }
    h.core.stop()
    return raised
  }

  it('a 12 s freeze: peers heard again 1.5 s after the resume (their mesh re-formed) are not alerted on', () => {
    const { h, peers, resumedAt } = frozen(12_000)
    // Two peers' reports come at once (direct mesh links survived); the other four only after 1.5 s.
    const raised = afterResume(h, peers, resumedAt, (i) => i < 2 ? 50 : 1_500)
    assert.deepEqual(raised, [], 'no false alert')
  })

  it('a 12 s freeze: a peer that died meanwhile is alerted on once, one TTL after the resume', () => {
    const { h, peers, resumedAt } = frozen(12_000)
    const raised = afterResume(h, peers, resumedAt, (i) => i === 0 ? Infinity : i < 3 ? 50 : 1_500)
    assert.deepEqual(raised.map((a) => a.peer), [peers[0].peer], 'exactly one alert, on the dead peer')
    assert.ok(raised[0].at >= FAST_TTL && raised[0].at <= FAST_TTL + 500, `alerted ${raised[0].at} ms after the resume`)
  })

  it('a freeze shorter than the TTL keeps the shorter wait: a dead peer is alerted on 1.5 intervals after the resume', () => {
    const { h, peers, resumedAt } = frozen(1_800) // the expiries due 1.5 s into it run 300 ms late: a stall
    const raised = afterResume(h, peers, resumedAt, (i) => i === 0 ? Infinity : 50)
    assert.deepEqual(raised.map((a) => a.peer), [peers[0].peer])
    const settle = LOCAL_HEALTH_DEFAULTS.settleMs + 1.5 * FAST_INTERVAL
    assert.ok(raised[0].at < FAST_TTL, `alerted ${raised[0].at} ms after the resume, before a whole TTL`)
    assert.ok(raised[0].at >= settle - 100, `but not before listening ${settle} ms (${raised[0].at})`)
  })
})

describe('local health: the timers of one freeze', () => {
  it('run one after the other as the process resumes, and still count as one resume: the TTL of waiting starts at the first', () => {
    const say: LocalEvent[] = []
    const health = new LocalHealth({}, { livePeers: () => [], lastReceiptAt: () => 0 }, (e) => { say.push(e) })
    const resumedAt = 50_000
    // 1,000 expiries were due during a 12 s freeze; they run over 300 ms once it ends, each less late.
    for (let i = 0; i < 1_000; i++) health.timerFired(resumedAt + i * 0.3, 12_000 - i * 10)
    const peer = { lastHeardAt: resumedAt - 12_500, intervalMs: 500 }
    assert.deepEqual(health.verdict(resumedAt + 300, peer, resumedAt - 10_000, 2_000), { judge: false, at: resumedAt + 2_000 })
    assert.deepEqual(say.map((e) => e.type), ['degraded'])
  })
})
