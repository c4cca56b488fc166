import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { FAST, connect, crash, eventsOf, startChain, startNode, stopAll, waitFor, waitForFullView } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'

const HOUR = 3_600_000

describe('peer monitor on real libp2p nodes (127.0.0.1)', () => {
  const started: TestNode[] = []
  after(async () => { await stopAll(started) })

  it('delivers every node\'s metrics to every other node, also across relays', async () => {
    const nodes = await startChain(4)
    started.push(...nodes)
    await waitForFullView(nodes)
    for (const t of nodes) {
      const pings = t.node.services.monitor.latest('ping')
      assert.equal(pings.length, 3, 'a ping from each of the 3 others')
      assert.ok(!pings.some(m => m.peer === t.id), 'own metrics are never monitored')
      for (const name of ['load', 'memory', 'freespace', 'peers']) {
        assert.equal(t.node.services.monitor.latest(name).length, 3, `${name} from each of the 3 others`)
      }
      assert.equal(eventsOf(t, 'joined').length, 3)
      assert.equal(eventsOf(t, 'alert').length, 0, 'no false alert while the swarm forms')
    }
    await stopAll(nodes)
  })

  it('alerts once at every survivor when a peer crashes, even though its connections are gone', async () => {
    const nodes = await startChain(4)
    started.push(...nodes)
    await waitForFullView(nodes)
    const victim = nodes[3]
    const survivors = nodes.slice(0, 3)
    const crashedAt = performance.now()
    await crash(victim)
    await waitFor('an alert at every survivor', () => survivors.every(t => eventsOf(t, 'alert', victim.id).length > 0), 10_000)
    // Let a few more TTLs pass: there must still be exactly one alert per survivor, on ping.
    await new Promise(resolve => setTimeout(resolve, 2 * FAST.ttl!))
    for (const t of survivors) {
      const alerts = eventsOf(t, 'alert', victim.id)
      assert.equal(alerts.length, 1, 'one alert for the peer, not one per metric')
      const alert = alerts[0]
      assert.equal(alert.type === 'alert' && alert.metric, 'ping')
      assert.ok(alert.at - crashedAt <= FAST.ttl! + 5_000, `alerted ${Math.round(alert.at - crashedAt)} ms after the crash`)
      assert.ok(alert.type === 'alert' && alert.lagMs < 3_000, `raised promptly after expiry (lag ${alert.type === 'alert' ? alert.lagMs : NaN} ms)`)
      const peer = t.node.services.monitor.peers().find(p => p.peer === victim.id)
      assert.equal(peer?.state, 'alerting', 'the crashed peer stays monitored (alerting), it does not silently vanish')
      assert.equal(peer?.connected, false)
      assert.equal(eventsOf(t, 'alert').length, 1, 'no alert for anyone else')
    }
    await stopAll(survivors)
  })

  it('recovers when a cut-off peer is reachable again', async () => {
    const nodes = await startChain(3)
    started.push(...nodes)
    await waitForFullView(nodes)
    const [a, b, c] = nodes
    // c hangs off b only: cutting b-c cuts c off from everyone.
    await Promise.all(c.node.getConnections().map(conn => conn.abort(new Error('cable pulled'))))
    await waitFor('a and b alert for c', () => [a, b].every(t => eventsOf(t, 'alert', c.id).length === 1), 10_000)
    await connect(b, c)
    await waitFor('a and b see c recover', () => [a, b].every(t => eventsOf(t, 'recovered', c.id).length === 1), 15_000)
    for (const t of [a, b]) {
      const peer = t.node.services.monitor.peers().find(p => p.peer === c.id)
      assert.equal(peer?.state, 'alive')
    }
    await stopAll(nodes)
  })

  it('reports a graceful stop as left, with no alert', async () => {
    const nodes = await startChain(3)
    started.push(...nodes)
    await waitForFullView(nodes)
    const leaver = nodes[2]
    const stayers = [nodes[0], nodes[1]]
    // the end of the chain leaves: its notice must go out before its connection closes, and be relayed
    await leaver.node.stop()
    await waitFor('left at both stayers', () => stayers.every(t => eventsOf(t, 'left', leaver.id).length === 1), 10_000)
    await new Promise(resolve => setTimeout(resolve, FAST.ttl! + 1_000))
    for (const t of stayers) {
      assert.equal(eventsOf(t, 'alert').length, 0, 'no alert for a peer that left')
      assert.equal(t.node.services.monitor.peers().find(p => p.peer === leaver.id)?.state, 'left')
    }
    await stopAll(stayers)
  })

  it('without a ttl, a node publishes metrics that live 3 of its intervals', async () => {
    const slow = await startNode({ interval: 2000, ttl: undefined })
    const observer = await startNode()
    started.push(slow, observer)
    await connect(observer, slow)
    const fromSlow = (name: string): number | undefined => observer.node.services.monitor.latest(name).find(m => m.peer === slow.id)?.ttlMs
    await waitFor('the observer has the slow node\'s report', () => fromSlow('ping') !== undefined, 20_000)
    for (const name of ['ping', 'load', 'memory', 'peers']) assert.equal(fromSlow(name), 6000, `${name}: 3 × the 2 s interval`)
    await stopAll([slow, observer])
  })

  it('states where it listens in its first reports, every fifth after and after a new connection; peers keep the last addresses', async () => {
    const sent: Array<{ seq: number, addrs?: string[] }> = []
    const speaker = await startNode({ trace: { sent: (report) => { sent.push({ seq: report.seq, addrs: report.addrs }) }, received: () => {} } })
    const listener = await startNode()
    started.push(speaker, listener)
    await connect(listener, speaker)
    await waitFor('eleven reports', () => sent.length >= 11, 20_000)
    const own = speaker.node.getMultiaddrs().map(addr => addr.decapsulateCode(421).toString())
    const stated = sent.slice(0, 11).filter(r => r.addrs !== undefined).map(r => r.seq)
    // 1-3, every 5th, and the first report after the listener connected (one more at most).
    for (const seq of [1, 2, 3, 5, 10]) assert.ok(stated.includes(seq), `report ${seq} states them (${stated.join(',')})`)
    assert.ok(stated.length <= 6, `not every report states them (${stated.join(',')})`)
    for (const r of sent.filter(r => r.addrs !== undefined)) assert.deepEqual(r.addrs, own)
    await waitFor('the listener heard a report without addresses', () => (listener.node.services.monitor.peer(speaker.id)?.seq ?? 0) >= 6, 10_000)
    assert.deepEqual(listener.node.services.monitor.addresses().find(p => p.peer === speaker.id)?.addrs, own, 'kept from an earlier report')
    await stopAll([speaker, listener])
  })

  it('monitors a peer whose wall clock is an hour off exactly like any other', async () => {
    const ahead = await startNode({ wallClock: () => Date.now() + HOUR })
    const behind = await startNode({ wallClock: () => Date.now() - HOUR })
    const observer = await startNode()
    started.push(ahead, behind, observer)
    await connect(observer, ahead)
    await connect(observer, behind)
    await waitForFullView([observer, ahead, behind])
    await new Promise(resolve => setTimeout(resolve, 2 * FAST.ttl!))
    assert.equal(eventsOf(observer, 'alert').length, 0, 'skewed clocks cause no false alert')
    const sent = observer.node.services.monitor.latest('ping')
    const aheadPing = sent.find(m => m.peer === ahead.id)
    assert.ok(aheadPing != null && aheadPing.sentAt - Date.now() > HOUR / 2, 'the sender clock is shown as sent')
    const crashedAt = performance.now()
    await crash(ahead)
    await crash(behind)
    await waitFor('alerts for both skewed peers', () => eventsOf(observer, 'alert').length === 2, 10_000)
    for (const alert of eventsOf(observer, 'alert')) {
      assert.ok(alert.at - crashedAt <= FAST.ttl! + 2_000, 'detected within the TTL plus slack, skew or not')
    }
    await observer.node.stop()
  })
})
