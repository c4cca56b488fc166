/**
 * peerMonitor() in a libp2p 3 application: a libp2p 3 node running
 * `@libp2p/gossipsub`, built as the README's "libp2p 3 applications" section
 * shows, joins peermon's own libp2p 2 nodes (the daemon's stack). The v3
 * packages are dev dependencies under npm aliases (`libp2p-v3`,
 * `@libp2p/gossipsub-v3`, ...), beside the libp2p 2 packages peermon runs on.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { gossipsub } from '@libp2p/gossipsub-v3'
import { identify } from '@libp2p/identify-v3'
import { noise } from '@libp2p/noise-v3'
import { tcp } from '@libp2p/tcp-v3'
import { yamux } from '@libp2p/yamux-v3'
import { multiaddr } from '@multiformats/multiaddr-v13'
import { createLibp2p } from 'libp2p-v3'
import { peerMonitor } from '../../src/index.js'
import type { MonitorEvent } from '../../src/index.js'
import { FAST, crash, eventsOf, startNode, waitFor } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'

/** The README's libp2p 3 node, with the tests' fast timings. */
async function createV3Node () {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, scoreParams: { IPColocationFactorWeight: 0 } }),
      monitor: peerMonitor(FAST)
    }
  })
}

describe('peerMonitor() on a libp2p 3 node with @libp2p/gossipsub, among peermon\'s libp2p 2 nodes', () => {
  const stops: Array<() => Promise<void>> = []
  after(async () => { await Promise.allSettled(stops.map(async stop => { await stop() })) })

  it('monitors the swarm, is monitored by it, alerts once on a crash, and is reported left when it stops', async () => {
    const app = await createV3Node()
    stops.push(async () => { await app.stop() })
    const appId = app.peerId.toString()
    const appEvents: MonitorEvent[] = []
    app.services.monitor.addEventListener('event', (evt) => { appEvents.push(evt.detail) })
    const appEventsOf = (type: MonitorEvent['type'], peer?: string): MonitorEvent[] =>
      appEvents.filter(e => e.type === type && (peer == null || ('peer' in e && e.peer === peer)))

    const daemons: TestNode[] = []
    for (let i = 0; i < 3; i++) {
      const t = await startNode()
      stops.push(async () => { await t.node.stop() })
      daemons.push(t)
    }
    // The app dials each libp2p 2 node, as it would dial daemons by their address.
    // The libp2p 2 nodes know each other only through the app, which relays their reports.
    for (const t of daemons) await app.dial(multiaddr(t.node.getMultiaddrs()[0].toString()))

    const all = [appId, ...daemons.map(t => t.id)]
    const seesAll = (self: string, peers: Array<{ peer: string, state: string }>): boolean =>
      all.every(id => id === self || peers.some(p => p.peer === id && p.state === 'alive'))
    await waitFor('every node to see every other node', () =>
      seesAll(appId, app.services.monitor.peers()) && daemons.every(t => seesAll(t.id, t.node.services.monitor.peers())), 30_000)

    assert.equal(appEventsOf('joined').length, 3, 'the libp2p 3 node saw each libp2p 2 node join')
    for (const t of daemons) assert.equal(eventsOf(t, 'joined', appId).length, 1, 'each libp2p 2 node saw the libp2p 3 node join')
    for (const name of ['ping', 'load', 'memory', 'freespace', 'peers']) {
      assert.equal(app.services.monitor.latest(name).length, 3, `${name} of each libp2p 2 node, at the libp2p 3 node`)
      for (const t of daemons) assert.ok(t.node.services.monitor.latest(name).some(m => m.peer === appId), `${name} of the libp2p 3 node`)
    }
    assert.ok(app.services.monitor.peers().every(p => p.connected), 'the libp2p 3 node sees its connections')
    assert.equal(appEventsOf('alert').length, 0, 'no false alert while the swarm forms')

    const [victim, ...survivors] = daemons
    const crashedAt = performance.now()
    await crash(victim)
    await waitFor('an alert at the libp2p 3 node', () => appEventsOf('alert', victim.id).length > 0, 15_000)
    const alertedAt = performance.now()
    await new Promise(resolve => setTimeout(resolve, 2 * FAST.ttl!))
    const alerts = appEventsOf('alert')
    assert.equal(alerts.length, 1, 'one alert, for the crashed node only')
    assert.equal(alerts[0].type === 'alert' && alerts[0].metric, 'ping')
    assert.ok(alertedAt - crashedAt <= FAST.ttl! + 5_000, `alerted ${Math.round(alertedAt - crashedAt)} ms after the crash`)
    assert.equal(app.services.monitor.peers().find(p => p.peer === victim.id)?.state, 'alerting')
    for (const t of survivors) assert.equal(eventsOf(t, 'alert', victim.id).length, 1, 'the other libp2p 2 nodes alert once too')

    await app.stop()
    await waitFor('left at the libp2p 2 nodes', () => survivors.every(t => eventsOf(t, 'left', appId).length === 1), 15_000)
    await new Promise(resolve => setTimeout(resolve, FAST.ttl! + 1_000))
    for (const t of survivors) {
      assert.equal(eventsOf(t, 'alert', appId).length, 0, 'no alert for a node that left')
      assert.equal(t.node.services.monitor.peers().find(p => p.peer === appId)?.state, 'left')
    }
  })
})
