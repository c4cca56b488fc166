/**
 * peerMonitor() in a libp2p 3 application: a libp2p 3 node running
 * `@libp2p/gossipsub` (the v3 packages are dev dependencies under npm aliases,
 * `libp2p-v3`, `@libp2p/gossipsub-v3`, ...) joins a swarm of peermon's own
 * libp2p 2 nodes. Each side monitors the other, a crashed libp2p 2 node raises
 * one alert at the libp2p 3 node, and the libp2p 3 node's graceful stop is
 * reported as `left`.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { gossipsub } from '@libp2p/gossipsub-v3'
import { identify } from '@libp2p/identify-v3'
import { noise } from '@libp2p/noise-v3'
import { tcp } from '@libp2p/tcp-v3'
import { yamux } from '@libp2p/yamux-v3'
import { createLibp2p } from 'libp2p-v3'
import { multiaddr } from '@multiformats/multiaddr'
import { peerMonitor } from '../../src/index.js'
import type { MonitorEvent } from '../../src/index.js'
import { FAST, crash, eventsOf, startNode, waitFor } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'

async function startV3Node (): Promise<{ node: Awaited<ReturnType<typeof createV3>>, id: string, events: Array<MonitorEvent & { at: number }> }> {
  const node = await createV3()
  const t = { node, id: node.peerId.toString(), events: [] as Array<MonitorEvent & { at: number }> }
  node.services.monitor.addEventListener('event', (evt) => { t.events.push({ ...evt.detail, at: performance.now() }) })
  return t
}

async function createV3 () {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }),
      monitor: peerMonitor(FAST)
    }
  })
}

describe('peerMonitor() on a libp2p 3 node with @libp2p/gossipsub, among peermon\'s libp2p 2 nodes', () => {
  const stops: Array<() => Promise<void>> = []
  after(async () => { await Promise.allSettled(stops.map(async stop => { await stop() })) })

  it('monitors the swarm, is monitored by it, alerts once on a crash and is reported left when it stops', async () => {
    const v3 = await startV3Node()
    stops.push(async () => { await v3.node.stop() })
    const v2: TestNode[] = []
    for (let i = 0; i < 3; i++) {
      const t = await startNode()
      stops.push(async () => { await t.node.stop() })
      v2.push(t)
    }
    // The libp2p 2 nodes dial the libp2p 3 node, by the text of its address (the two lines' Multiaddr types differ).
    for (const t of v2) await t.node.dial(multiaddr(v3.node.getMultiaddrs()[0].toString()))
    const all = [v3.id, ...v2.map(t => t.id)]
    const sees = (peers: Array<{ peer: string, state: string }>, self: string): boolean =>
      all.every(id => id === self || peers.some(p => p.peer === id && p.state === 'alive'))
    await waitFor('every node to see every other node', () =>
      sees(v3.node.services.monitor.peers(), v3.id) && v2.every(t => sees(t.node.services.monitor.peers(), t.id)), 20_000)
    assert.equal(eventsOf2(v3, 'joined').length, 3, 'the libp2p 3 node saw every libp2p 2 node join')
    for (const t of v2) assert.equal(eventsOf(t, 'joined', v3.id).length, 1, 'each libp2p 2 node saw the libp2p 3 node join')
    for (const name of ['ping', 'load', 'memory', 'freespace', 'peers']) {
      assert.equal(v3.node.services.monitor.latest(name).length, 3, `${name} of every libp2p 2 node at the libp2p 3 node`)
      for (const t of v2) assert.ok(t.node.services.monitor.latest(name).some(m => m.peer === v3.id), `${name} of the libp2p 3 node`)
    }
    assert.ok(v3.node.services.monitor.peers().every(p => p.connected), 'the libp2p 3 node sees its connections')

    const [victim, ...survivors] = v2
    const crashedAt = performance.now()
    await crash(victim)
    await waitFor('an alert at the libp2p 3 node', () => eventsOf2(v3, 'alert', victim.id).length > 0, 15_000)
    await new Promise(resolve => setTimeout(resolve, 2 * FAST.ttl!))
    const alerts = eventsOf2(v3, 'alert')
    assert.equal(alerts.length, 1, 'one alert, for the crashed peer only')
    assert.equal(alerts[0].type === 'alert' && alerts[0].metric, 'ping')
    assert.ok(alerts[0].at - crashedAt <= FAST.ttl! + 5_000, `alerted ${Math.round(alerts[0].at - crashedAt)} ms after the crash`)
    for (const t of survivors) assert.equal(eventsOf(t, 'alert', victim.id).length, 1, 'the surviving libp2p 2 nodes alert too (relayed by the libp2p 3 node)')

    await v3.node.stop()
    await waitFor('left at the surviving libp2p 2 nodes', () => survivors.every(t => eventsOf(t, 'left', v3.id).length === 1), 15_000)
    await new Promise(resolve => setTimeout(resolve, FAST.ttl! + 1_000))
    for (const t of survivors) {
      assert.equal(eventsOf(t, 'alert', v3.id).length, 0, 'no alert for a peer that left')
      assert.equal(t.node.services.monitor.peers().find(p => p.peer === v3.id)?.state, 'left')
    }
  })
})

function eventsOf2 (t: { events: Array<MonitorEvent & { at: number }> }, type: MonitorEvent['type'], peer?: string): Array<MonitorEvent & { at: number }> {
  return t.events.filter(e => e.type === type && (peer == null || e.peer === peer))
}
