/**
 * A Sybil flood against real nodes (issue 13): a rogue connected to one node
 * signs reports with freshly invented keys, ~300 a second. The node it is
 * connected to admits a bounded number of them, relays only a few, raises no
 * alert storm when they fall silent; an honest newcomer that joins during the
 * flood is monitored by everyone within 10 s; a real peer that crashes during
 * the flood is still alerted on, within a generous bound (this file runs in the
 * parallel tier, beside other tests): issue 13's target, TTL + 1 s, is measured
 * by bench/sybil.ts (docs/benchmarks.md, "Sybil flood"), not judged here.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { FAST, connect, crash, eventsOf, startNode, waitFor } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'
import { sleep } from '../helpers/wait.js'
import { RogueNode, sybilKey } from '../helpers/rogue.js'

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { await Promise.all(running.map(async n => { try { await n.stop() } catch {} })) })

async function start (): Promise<TestNode> {
  const t = await startNode()
  running.push({ stop: async () => { await t.node.stop() } })
  return t
}

/**
 * The crash alert's bound, as in test/serial/sybil-flood.test.ts: the TTL, plus local health's
 * postponement while the invented peers make a node doubt its own link (at most 2 TTLs: SECURITY.md,
 * "Known gaps"), plus slack for a shared, busy machine.
 */
const alertBoundMs = (ttl: number): number => 3 * ttl + 5_000

const alive = (t: TestNode, peer: string): boolean => t.node.services.monitor.peers().some(p => p.peer === peer && p.state === 'alive')

describe('a Sybil flood', { timeout: 120_000 }, () => {
  it('stays with the rogue\'s neighbour, delays no honest newcomer, hides no crash and raises no alert storm', async (t) => {
    const TTL = FAST.ttl as number
    // a - b - c, a victim connected to a and b, the rogue connected to a only.
    const a = await start()
    const b = await start()
    const c = await start()
    const victim = await start()
    await connect(a, b)
    await connect(b, c)
    await connect(victim, a)
    await connect(victim, b)
    const rogue = await RogueNode.start()
    running.push(rogue)
    await rogue.connect(a.node.getMultiaddrs()[0].toString())
    await waitFor('the rogue sees a on the topic', () => rogue.topicPeers().includes(a.id))
    await waitFor('everyone monitors everyone', () => [a, b, c, victim].every(x => [a, b, c, victim].every(y => x === y || alive(x, y.id))))

    const keys: PrivateKey[] = await Promise.all(Array.from({ length: 3_000 }, async () => await sybilKey()))
    const invented = new Set(keys.map(k => peerIdFromPrivateKey(k).toString()))
    let sent = 0
    let flooding = true
    const floodAt = performance.now()
    // ~300 invented signers a second, each reporting once, for 10 s.
    const flood = (async () => {
      for (let i = 0; flooding && i < keys.length; i += 30) {
        const counts = await Promise.all(keys.slice(i, i + 30).map(async key => await rogue.publishAs(key, RogueNode.reportOf(key, 1), [a.id])))
        for (const n of counts) sent += n
        await sleep(100)
      }
    })()

    await sleep(2_000)
    // An honest newcomer joins through b, mid-flood.
    const joinedAt = performance.now()
    const newcomer = await start()
    await connect(newcomer, b)
    await waitFor('the newcomer is monitored by a, b and c', () => [a, b, c].every(x => alive(x, newcomer.id)), 10_000)
    const joinMs = performance.now() - joinedAt
    // A real peer crashes, mid-flood.
    await sleep(1_000)
    const crashedAt = performance.now()
    await crash(victim)
    await waitFor('a and b alert on the crashed peer', () => eventsOf(a, 'alert', victim.id).length > 0 && eventsOf(b, 'alert', victim.id).length > 0, alertBoundMs(TTL))
    const alertMs = Math.max(...[a, b].map(x => eventsOf(x, 'alert', victim.id)[0].at)) - crashedAt
    await flood
    flooding = false
    // Invented peers declared 3 s TTLs, doubled for a first report: all are silent 7 s later.
    await sleep(7_000)

    const inventedAt = (x: TestNode): number => x.node.services.monitor.peers().filter(p => invented.has(p.peer)).length
    const alertsAt = (x: TestNode): number => x.events.filter(e => e.type === 'alert' && invented.has(e.peer)).length
    const pressure = a.node.services.monitor.pressure()
    const dropped = a.node.services.monitor.counters().dropped
    t.diagnostic(`rogue sent ${sent}; newcomer monitored by all after ${Math.round(joinMs)} ms; crash alerted by a and b after ${Math.round(alertMs)} ms (TTL ${TTL})`)
    t.diagnostic(`invented peers kept: a ${inventedAt(a)}, b ${inventedAt(b)}, c ${inventedAt(c)}; alerts on them: a ${alertsAt(a)}, b ${alertsAt(b)}, c ${alertsAt(c)}; a refused ${dropped.admission} (admission); a's unconfirmed ${pressure?.unconfirmedPeers}, ${pressure?.usedBytes} bytes`)
    await waitFor('a counts the silent invented peers in a crowded event', () => a.events.some(e => e.type === 'crowded' && e.reason === 'silent'), 15_000)
    // A stall on a busy machine postpones alerts (local health): wait for the last invented peers to be
    // alerted on or muted, rather than read the count at a fixed moment; the assertion below is unchanged.
    await waitFor('a alerts on or mutes every silent invented peer', () => a.node.services.monitor.counters().mutedAlerts >= inventedAt(a) - 10 - 1, 15_000).catch(() => {})
    const muted = a.node.services.monitor.counters().mutedAlerts
    t.diagnostic(`local health: ${JSON.stringify([a, b].map(x => x.events.filter(e => e.type === 'degraded' || e.type === 'healthy')))}`)
    t.diagnostic(`a's crowded events: ${JSON.stringify(a.events.filter(e => e.type === 'crowded').map(e => e.type === 'crowded' ? [e.reason, e.silent ?? e.waiting] : []))}`)

    assert.ok(sent >= 2_000, `the rogue sent ${sent} reports`)
    assert.ok(joinMs <= 10_000)
    assert.ok(alertMs <= alertBoundMs(TTL), `crash alerted after ${Math.round(alertMs)} ms (bench/sybil.ts measures it)`)
    // The rogue's neighbour allowance: 256 at once, then 2 a second (the machine may stretch the flood).
    const floodS = (performance.now() - floodAt) / 1000
    assert.ok(inventedAt(a) <= 256 + 2 * floodS + 2, `a admitted ${inventedAt(a)} invented peers in ${floodS.toFixed(1)} s`)
    assert.ok(dropped.admission > 1_000)
    assert.ok(inventedAt(b) <= 17 && inventedAt(c) <= 17, 'a relays only a few unconfirmed newcomers')
    for (const x of [a, b, c]) assert.ok(alertsAt(x) <= 10, `${alertsAt(x)} alerts on invented peers`)
    assert.ok(muted >= inventedAt(a) - 10 - 1, `${muted} alerts muted: the others are counted in crowded events`)
    assert.equal(eventsOf(a, 'crowded').filter(e => e.type === 'crowded' && e.reason === 'admission').length, 1)
  })
})
