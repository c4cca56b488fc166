/**
 * Memory bounds of the monitor core under floods, measured on the V8 heap
 * after a full garbage collection. Each test prints its measurement
 * (`# heap ...` diagnostics) for the record. gc() comes from
 * `--expose-gc`, switched on at run time so the plain test command works.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import v8 from 'node:v8'
import vm from 'node:vm'
import { MonitorCore } from '../../src/monitor/monitor.js'
import type { MonitorCoreInit } from '../../src/monitor/core-api.js'
import { DEFAULT_MAX_NAMES_PER_PEER, DEFAULT_MAX_PEERS } from '../../src/monitor/store.js'
import { DEFAULT_WINDOW_SIZE } from '../../src/monitor/window.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { Sender } from '../helpers/monitor-fixture.js'
import type { MetricSpec } from '../helpers/monitor-fixture.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

const MiB = 2 ** 20
const TTL = 3_000
const INTERVAL = 1_000

/** Heap in use after full collections. */
function heapUsed (): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

function mib (bytes: number): string {
  return `${(bytes / MiB).toFixed(2)} MiB`
}

/** A core on a fake clock that counts its events instead of keeping them. */
function quietCore (init: Partial<MonitorCoreInit> = {}): { core: MonitorCore, clock: FakeClock, events: Record<string, number> } {
  const clock = new FakeClock()
  const events: Record<string, number> = {}
  const core = new MonitorCore({ self: 'self-peer', clock, onEvent: (e) => { events[e.type] = (events[e.type] ?? 0) + 1 }, ...init })
  return { core, clock, events }
}

/** What an honest node publishes (see informers.ts). */
const HONEST: MetricSpec[] = [
  ['ping', 1, TTL], ['load', 0.5, TTL], ['memory', 8e9, TTL], ['freespace', 1e11, TTL], ['peers', 12, TTL], ['tag:zone', 'eu-west', TTL]
]

describe('MonitorCore memory bounds', () => {
  it('a peer sending a million distinct metric names leaves the heap within 2 MiB', (t) => {
    const { core, clock } = quietCore()
    const x = new Sender('x')
    let next = 0
    const report = (): Uint8Array => {
      const metrics: MetricSpec[] = [['ping', next, TTL]]
      for (let i = 0; i < 63; i++) metrics.push([`flood.${next++}`, 1, TTL])
      return x.report(metrics, INTERVAL)
    }
    const send = (): void => {
      assert.equal(core.handleMessage('x', report()).accepted, true)
      clock.advance(INTERVAL)
    }
    for (let i = 0; i < 50; i++) send() // warm up: the peer, its 64 windows, compiled code
    const before = heapUsed()
    while (next < 1_000_000) send()
    const growth = heapUsed() - before
    t.diagnostic(`heap growth after ${next} distinct names in ${core.counters().accepted} reports of 64 names: ${mib(growth)}`)
    assert.equal(core.metricNames().length, DEFAULT_MAX_NAMES_PER_PEER)
    assert.equal(core.counters().refusedMetrics, next - (DEFAULT_MAX_NAMES_PER_PEER - 1))
    assert.ok(growth < 2 * MiB, `heap grew by ${mib(growth)}`)
  })

  it(`${DEFAULT_MAX_PEERS} peers fill the core; more are refused or evict silent ones, and the heap stays flat`, (t) => {
    const { core, clock, events } = quietCore()
    const fill = (prefix: string): number => {
      let accepted = 0
      for (let i = 0; i < DEFAULT_MAX_PEERS; i++) {
        const peer = `${prefix}${i}`
        if (core.handleMessage(peer, new Sender(peer).report(HONEST, INTERVAL)).accepted) accepted++
      }
      return accepted
    }
    const empty = heapUsed()
    assert.equal(fill('honest-'), DEFAULT_MAX_PEERS)
    const full = heapUsed()
    t.diagnostic(`heap of ${DEFAULT_MAX_PEERS} peers with ${HONEST.length} metrics each: ${mib(full - empty)} (${Math.round((full - empty) / DEFAULT_MAX_PEERS)} bytes per peer)`)

    // Sybil identities while every known peer is alive: refused at once (no scan of
    // the known peers), nothing kept.
    const started = performance.now()
    assert.equal(fill('sybil-'), 0)
    const refusing = performance.now() - started
    assert.equal(core.counters().dropped.capacity, DEFAULT_MAX_PEERS)
    const refused = heapUsed()
    t.diagnostic(`heap growth after ${DEFAULT_MAX_PEERS} more peers were refused (in ${Math.round(refusing)} ms): ${mib(refused - full)}`)
    assert.ok(refused - full < 2 * MiB, `grew by ${mib(refused - full)}`)
    assert.ok(refusing < 5_000, `refusing ${DEFAULT_MAX_PEERS} peers took ${Math.round(refusing)} ms`)

    // Once they are silent (alerting), new peers evict them one for one: their state goes with them.
    clock.advance(TTL)
    assert.equal(events.alert, DEFAULT_MAX_PEERS)
    assert.equal(fill('newcomer-'), DEFAULT_MAX_PEERS)
    assert.equal(events.forgotten, DEFAULT_MAX_PEERS)
    assert.equal(core.peers().length, DEFAULT_MAX_PEERS)
    const replaced = heapUsed()
    t.diagnostic(`heap growth after all ${DEFAULT_MAX_PEERS} were evicted for new ones: ${mib(replaced - full)}`)
    assert.ok(Math.abs(replaced - full) < 0.25 * (full - empty), `heap moved by ${mib(replaced - full)}`)
    core.stop()
  })

  it('an honest peer with full windows costs tens of kilobytes', (t) => {
    const PEERS = 400
    const { core, clock } = quietCore()
    const senders = Array.from({ length: PEERS }, (_, i) => new Sender(`honest-${i}`))
    const before = heapUsed()
    for (let round = 0; round < DEFAULT_WINDOW_SIZE; round++) {
      for (const s of senders) assert.equal(core.handleMessage(s.peer, s.report(HONEST, INTERVAL)).accepted, true)
      clock.advance(INTERVAL)
    }
    const perPeer = (heapUsed() - before) / PEERS
    t.diagnostic(`heap per honest peer (${HONEST.length} metrics, windows of ${DEFAULT_WINDOW_SIZE} full): ${(perPeer / 1024).toFixed(1)} KiB; x ${DEFAULT_MAX_PEERS} peers: ${mib(perPeer * DEFAULT_MAX_PEERS)}`)
    assert.ok(perPeer < 64 * 1024, `${(perPeer / 1024).toFixed(1)} KiB per peer`)
    core.stop()
  })

  it('the worst a peer can make the core keep: full windows of maximal names and values', (t) => {
    const PEERS = 20
    const { core, clock } = quietCore()
    const senders = Array.from({ length: PEERS }, (_, i) => new Sender(`worst-${i}`))
    let serial = 0
    const value = (): string => String(serial++).padStart(256, 'v')
    const before = heapUsed()
    for (let round = 0; round < DEFAULT_WINDOW_SIZE; round++) {
      for (const s of senders) {
        const metrics: MetricSpec[] = Array.from({ length: DEFAULT_MAX_NAMES_PER_PEER }, (_, i) => [`${i}`.padStart(64, 'n'), value(), TTL])
        assert.equal(core.handleMessage(s.peer, s.report(metrics, INTERVAL)).accepted, true)
      }
      clock.advance(INTERVAL)
    }
    const perPeer = (heapUsed() - before) / PEERS
    const worst = perPeer * DEFAULT_MAX_PEERS
    t.diagnostic(`heap per peer with ${DEFAULT_MAX_NAMES_PER_PEER} names x ${DEFAULT_WINDOW_SIZE} values of 256 chars: ${mib(perPeer)}; x ${DEFAULT_MAX_PEERS} peers (maxPeers): ${mib(worst)}`)
    assert.ok(perPeer < 1 * MiB, `${mib(perPeer)} per peer`)
    core.stop()
  })

  // The budget's estimates (src/monitor/budget.ts) against the heap: an honest load and the worst a peer can send.
  for (const [label, peers, spec] of [
    ['honest peers (6 metrics)', 2_000, () => HONEST],
    ['peers of 64 numbers', 200, () => Array.from({ length: DEFAULT_MAX_NAMES_PER_PEER }, (_, i): MetricSpec => [`${i}`.padStart(64, 'n'), i + 0.5, TTL])],
    ['peers of 64 texts of 256 characters', 100, (() => { let serial = 0; return () => Array.from({ length: DEFAULT_MAX_NAMES_PER_PEER }, (_, i): MetricSpec => [`${i}`.padStart(64, 'n'), String(serial++).padStart(256, 'v'), TTL]) })()]
  ] as const) {
    it(`the budget's estimate is within 0.8 to 1.5 times the heap, for ${label} with full windows`, (t) => {
      const { core, clock } = quietCore({ stateBudgetBytes: 2 ** 40 })
      const senders = Array.from({ length: peers }, (_, i) => new Sender(`12D3KooW${String(i).padStart(44, 'p')}`))
      const before = heapUsed()
      for (let round = 0; round < DEFAULT_WINDOW_SIZE; round++) {
        for (const s of senders) assert.equal(core.handleMessage(s.peer, s.report(spec(), INTERVAL)).accepted, true)
        clock.advance(INTERVAL)
      }
      const heap = heapUsed() - before
      const estimate = core.pressure().usedBytes
      t.diagnostic(`${label}: heap ${mib(heap)}, estimate ${mib(estimate)} (x ${(estimate / heap).toFixed(2)}), per peer ${(heap / peers / 1024).toFixed(1)} KiB`)
      assert.ok(estimate >= 0.8 * heap && estimate <= 1.5 * heap, `estimate ${mib(estimate)} for a heap of ${mib(heap)}`)
      core.stop()
    })
  }

  it('a flood of worst-case peers stays within the byte budget plus a margin', (t) => {
    const BUDGET = 32 * MiB
    const { core, clock } = quietCore({ stateBudgetBytes: BUDGET })
    let serial = 0
    const worst = (): MetricSpec[] => Array.from({ length: DEFAULT_MAX_NAMES_PER_PEER }, (_, i) => [`${i}`.padStart(64, 'n'), String(serial++).padStart(256, 'v'), TTL])
    const before = heapUsed()
    let senders: Sender[] = []
    for (let round = 0; round < 40; round++) {
      // 20 new invented peers a second, each then reporting full windows while it can.
      senders = [...senders, ...Array.from({ length: 20 }, (_, i) => new Sender(`flood-${round}-${i}`))]
      senders = senders.filter((s) => core.handleMessage(s.peer, s.report(worst(), INTERVAL)).accepted)
      clock.advance(INTERVAL)
    }
    const heap = heapUsed() - before
    t.diagnostic(`heap growth with a ${mib(BUDGET)} budget after 800 worst-case peers: ${mib(heap)}; estimate ${mib(core.pressure().usedBytes)}; refused ${core.counters().dropped.budget}, evicted ${core.counters().evicted}`)
    assert.ok(core.pressure().usedBytes <= BUDGET)
    assert.ok(heap <= 1.25 * BUDGET + 4 * MiB, `heap grew by ${mib(heap)}`)
    assert.ok(core.counters().dropped.budget > 0)
    core.stop()
  })
})
