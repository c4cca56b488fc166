/**
 * The monitor core under a Sybil flood (issue 13, SECURITY.md): one byte budget
 * for peer state, admission that favours real peers, and no alert storm from
 * invented ones. Fake clock; `via` is the neighbour a report came through.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ENTRY_BYTES, NAME_BYTES, PEER_BYTES, stringBytes } from '../../src/monitor/budget.js'
import type { MonitorEvent } from '../../src/monitor/types.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'
import type { MetricSpec } from '../helpers/monitor-fixture.js'

const TTL = 3_000
const INTERVAL = 1_000
const KiB = 1024

/** A peer's report of `names` metrics (ping first), texts of `textLength` characters when given. */
function metrics (names: number, textLength = 0): MetricSpec[] {
  const list: MetricSpec[] = [['ping', 1, TTL]]
  for (let i = 1; i < names; i++) list.push([`m${i}`, textLength > 0 ? `${i}`.padStart(textLength, 't') : i, TTL])
  return list
}

function deliver (h: Harness, sender: Sender, spec: MetricSpec[], via?: string): ReturnType<Harness['core']['handleMessage']> {
  return h.core.handleMessage(sender.peer, sender.report(spec, INTERVAL), via)
}

function ofType<T extends MonitorEvent['type']> (events: MonitorEvent[], type: T): Array<Extract<MonitorEvent, { type: T }>> {
  return events.filter((e): e is Extract<MonitorEvent, { type: T }> => e.type === type)
}

describe('one byte budget for peer state', () => {
  it('charges a peer its estimate and gives it back when the peer is forgotten', () => {
    const h = new Harness({ retentionMs: 10_000 })
    const b = new Sender('b')
    deliver(h, b, [['ping', 1, TTL], ['tag:zone', 'eu-west', TTL]])
    const one = PEER_BYTES + stringBytes('b') + NAME_BYTES + stringBytes('ping') + ENTRY_BYTES + NAME_BYTES + stringBytes('tag:zone') + ENTRY_BYTES + stringBytes('eu-west')
    const peers = (): number | undefined => h.core.budget.byAccount().peers
    assert.equal(peers(), one)
    h.clock.advance(INTERVAL)
    deliver(h, b, [['ping', 2, TTL], ['tag:zone', 'eu-west', TTL]])
    assert.equal(peers(), one + 2 * ENTRY_BYTES, 'an equal text shares the string: entries only')
    h.clock.advance(20_000)
    assert.ok(h.takeNames().includes('forgotten b'))
    assert.equal(peers(), 0)
    assert.equal(h.core.pressure().usedBytes, h.core.replayMemory.bytes, 'what is left is the replay record, which remembers b')
  })

  it('never evicts a live peer: over the budget, new peers wait (budget) and nothing else changes', () => {
    const h = new Harness({ stateBudgetBytes: 100 * KiB })
    const peers: Sender[] = []
    let refused: ReturnType<typeof deliver> | undefined
    for (let i = 0; refused === undefined && i < 1_000; i++) {
      const s = new Sender(`live-${i}`)
      const result = deliver(h, s, metrics(6))
      if (result.accepted) peers.push(s)
      else refused = result
    }
    assert.deepEqual(refused, { accepted: false, reason: 'budget' })
    assert.ok(peers.length > 10)
    // They all keep reporting; more newcomers keep waiting; nobody is evicted, nobody alerts.
    for (let round = 0; round < 30; round++) {
      h.clock.advance(INTERVAL)
      for (const s of peers) assert.equal(deliver(h, s, metrics(6)).accepted, true)
      assert.deepEqual(deliver(h, new Sender(`late-${round}`), metrics(6)), { accepted: false, reason: 'budget' })
    }
    const events = h.take()
    assert.deepEqual(ofType(events, 'forgotten'), [])
    assert.deepEqual(ofType(events, 'alert'), [])
    assert.equal(h.core.peers().length, peers.length)
    const crowded = ofType(events, 'crowded')
    assert.equal(crowded.length, 1, 'one crowded event for the episode')
    assert.equal(crowded[0].reason, 'budget')
    const { usedBytes, budgetBytes } = h.core.pressure()
    assert.ok(usedBytes <= budgetBytes, `${usedBytes} > ${budgetBytes}`)
    assert.equal(h.core.counters().dropped.budget, 31)
  })

  it('over the budget, a live peer\'s windows shrink instead of growing, and its new names are refused; it never alerts for it', () => {
    const h = new Harness({ stateBudgetBytes: 40 * KiB })
    const a = new Sender('a')
    const b = new Sender('b')
    deliver(h, a, metrics(30))
    deliver(h, b, metrics(2))
    for (let round = 0; round < 25; round++) {
      h.clock.advance(INTERVAL)
      assert.equal(deliver(h, a, metrics(30)).accepted, true)
      assert.equal(deliver(h, b, [...metrics(2), [`new.${round}`, round, TTL]]).accepted, true)
    }
    assert.ok(h.core.counters().refusedMetricsBudget > 0, 'new names refused for the budget')
    assert.ok(h.core.window('a', 'm1').length < 25, 'a window gave up old entries')
    assert.ok(h.core.window('a', 'm1').length >= 1)
    assert.equal(h.core.window('a', 'm1').at(-1)?.value, 1, 'the latest value is kept')
    // (b's one-off names alert as stuck metrics, as always; the ones it keeps sending do not.)
    assert.deepEqual(ofType(h.take(), 'alert').filter((e) => e.peer === 'a' || e.metric === 'ping' || e.metric === 'm1'), [])
    assert.ok(h.core.pressure().usedBytes <= 40 * KiB)
  })

  it('evicts silent state first, unconfirmed before confirmed, the heaviest first', () => {
    const h = new Harness({ stateBudgetBytes: 400 * KiB })
    const heavy = new Sender('heavy-confirmed')
    const light = new Sender('light-unconfirmed')
    const mid = new Sender('mid-unconfirmed')
    const alive = new Sender('alive')
    deliver(h, heavy, metrics(40))
    deliver(h, light, metrics(1), 'hub')
    deliver(h, mid, metrics(10), 'hub')
    assert.equal(h.core.peers().filter((p) => !p.confirmed).length, 2)
    h.clock.advance(TTL) // all three alert
    deliver(h, alive, metrics(1))
    h.take()
    const newcomer = (i: number): Sender => new Sender(`new-${i}`)
    const forgotten: string[] = []
    for (let i = 0; forgotten.length < 3 && i < 500; i++) {
      const result = deliver(h, newcomer(i), metrics(6))
      for (const e of ofType(h.take(), 'forgotten')) forgotten.push(e.peer)
      if (!result.accepted) break
    }
    assert.deepEqual(forgotten, ['mid-unconfirmed', 'light-unconfirmed', 'heavy-confirmed'])
    assert.ok(h.core.peer('alive') !== undefined, 'the live peer stays')
  })

  it('counts a second account (the replay record) in the same budget', () => {
    const h = new Harness({ stateBudgetBytes: 64 * KiB })
    h.core.budget.account('replay').charge(60 * KiB)
    assert.deepEqual(deliver(h, new Sender('x'), metrics(10)), { accepted: false, reason: 'budget' })
    h.core.budget.account('replay').charge(-60 * KiB)
    assert.deepEqual(deliver(h, new Sender('x'), metrics(10)), { accepted: true })
    assert.deepEqual(Object.keys(h.core.pressure().accounts).sort(), ['peers', 'replay'])
  })
})

describe('admission favours real peers', () => {
  it('a flood of 10,000 invented signers through one neighbour delays neither a connected newcomer nor one brought by another neighbour', () => {
    const h = new Harness()
    const flood = Array.from({ length: 10_000 }, (_, i) => new Sender(`sybil-${i}`))
    let admitted = 0
    const spread = 10_000 / 100 // over 100 s
    let next = 0
    const direct = new Sender('direct')
    const relayed = new Sender('relayed')
    const connected = new Sender('connected')
    for (let second = 0; second < 100; second++) {
      for (let i = 0; i < spread; i++) if (deliver(h, flood[next++], metrics(3), 'rogue').accepted) admitted++
      if (second === 50) {
        h.core.connected('connected')
        // Each newcomer's first report is taken at once, mid-flood.
        assert.deepEqual(deliver(h, direct, metrics(3)), { accepted: true }, 'delivered by itself: a direct connection')
        assert.deepEqual(deliver(h, relayed, metrics(3), 'hub'), { accepted: true }, 'another neighbour\'s allowance is untouched')
        assert.deepEqual(deliver(h, connected, metrics(3), 'rogue'), { accepted: true }, 'connected to us, even if the rogue relays it')
      }
      h.clock.advance(1_000)
    }
    // The rogue's neighbour allowance: 256 at once, then 2 a second.
    assert.ok(admitted <= 256 + 2 * 100 + 1, `${admitted} invented peers admitted`)
    assert.ok(admitted >= 256, `${admitted} invented peers admitted`)
    assert.ok(h.core.counters().dropped.admission >= 10_000 - admitted)
    const confirmed = Object.fromEntries(h.core.peers().map((p) => [p.peer, p.confirmed]))
    assert.equal(confirmed.direct, true)
    assert.equal(confirmed.connected, true)
    assert.equal(confirmed.relayed, false, 'one neighbour only: unconfirmed')
    assert.equal(ofType(h.take(), 'crowded').filter((e) => e.reason === 'admission').length, 1, 'one event for the episode')
  })

  it('a candidate seen through a second neighbour is confirmed and admitted, however many invented ones wait', () => {
    // No allowance for unconfirmed newcomers at all: only confirmation gets one in.
    const h = new Harness({ admission: { sourceBurst: 0, sourceRatePerSec: 0 } })
    const honest = new Sender('honest')
    assert.deepEqual(deliver(h, honest, metrics(2), 'n1'), { accepted: false, reason: 'admission' })
    for (let i = 0; i < 10_000; i++) deliver(h, new Sender(`sybil-${i}`), metrics(2), 'rogue')
    h.clock.advance(5_000)
    assert.deepEqual(deliver(h, honest, metrics(2), 'n2'), { accepted: true })
    assert.equal(h.core.peer('honest')?.confirmed, true)
    assert.equal(h.core.peers().length, 1)
    assert.ok(h.core.pressure().waiting <= 4_096)
  })

  it('a candidate is forgotten after a minute: its second neighbour must come within it', () => {
    const h = new Harness({ admission: { sourceBurst: 0, sourceRatePerSec: 0 } })
    const slow = new Sender('slow')
    deliver(h, slow, metrics(1), 'n1')
    h.clock.advance(61_000)
    assert.deepEqual(deliver(h, slow, metrics(1), 'n2'), { accepted: false, reason: 'admission' })
  })

  it('relays unconfirmed peers of a calm neighbour, not of one that floods; confirmed peers always', () => {
    const h = new Harness()
    const senders = Array.from({ length: 40 }, (_, i) => new Sender(`u-${i}`))
    const relayed = (): boolean[] => senders.map((s) => {
      const result = deliver(h, s, metrics(1), 'rogue')
      assert.equal(result.accepted, true)
      return !('relay' in result)
    })
    assert.deepEqual(relayed(), [...Array(16).fill(true), ...Array(24).fill(false)], 'a neighbour that brings 40 newcomers at once floods after 16')
    h.clock.advance(INTERVAL)
    assert.deepEqual(relayed(), Array(40).fill(false), 'while it floods, none of its unconfirmed peers is relayed')
    assert.deepEqual(deliver(h, new Sender('c'), metrics(1)), { accepted: true }, 'a confirmed newcomer is')
    h.clock.advance(15_000) // its allowance refills at 2 a second
    assert.deepEqual(relayed(), Array(40).fill(true), 'calm again: its peers that still report are relayed')
    // A report through a second neighbour confirms a peer: relayed whatever its first neighbour does.
    for (let i = 0; i < 40; i++) deliver(h, new Sender(`v-${i}`), metrics(1), 'rogue')
    const u = senders[0]
    assert.deepEqual(deliver(h, u, metrics(1), 'hub'), { accepted: true })
    assert.equal(h.core.peer(u.peer)?.confirmed, true)
    assert.deepEqual(deliver(h, senders[1], metrics(1), 'rogue'), { accepted: true, relay: false })
  })

  it('an allow-list confirms every listed peer', () => {
    const h = new Harness({ isAllowed: () => true })
    assert.deepEqual(deliver(h, new Sender('listed'), metrics(1), 'n1'), { accepted: true })
    assert.equal(h.core.peer('listed')?.confirmed, true)
  })
})

describe('no alert storm from invented peers', () => {
  it('unconfirmed peers going silent raise at most a few alerts, then one crowded event with their count; a confirmed peer alerts as always', () => {
    const h = new Harness()
    const invented = Array.from({ length: 100 }, (_, i) => new Sender(`sybil-${i}`))
    for (const s of invented) assert.equal(deliver(h, s, metrics(3), 'rogue').accepted, true)
    const real = new Sender('real')
    deliver(h, real, metrics(3))
    h.clock.advance(INTERVAL)
    deliver(h, real, metrics(3))
    h.take()
    // Nobody reports any more: the real peer crashed too.
    h.clock.advance(2 * TTL + 1)
    let events = h.take()
    const alerts = ofType(events, 'alert')
    assert.ok(alerts.some((e) => e.peer === 'real' && e.metric === 'ping'), 'the confirmed peer alerts')
    const realAlert = alerts.find((e) => e.peer === 'real')
    assert.ok(realAlert !== undefined && realAlert.lagMs <= 1, 'on time')
    assert.equal(alerts.filter((e) => e.peer !== 'real').length, 10, 'the allowance of alerts on unconfirmed peers')
    h.clock.advance(10_000)
    events = h.take()
    const crowded = ofType(events, 'crowded')
    assert.equal(crowded.length, 1)
    assert.equal(crowded[0].reason, 'silent')
    assert.equal(crowded[0].silent, 90)
    assert.equal(h.core.counters().mutedAlerts, 90)
    // Their state is there to see; a muted one coming back raises no recovered either.
    const muted = h.core.peers().filter((p) => !p.confirmed && p.state === 'alerting')
    assert.equal(muted.length, 100)
    const back = invented[99]
    deliver(h, back, metrics(3), 'rogue')
    assert.deepEqual(ofType(h.take(), 'recovered'), [])
  })
})
