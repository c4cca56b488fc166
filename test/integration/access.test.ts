/**
 * Private swarms with real nodes in this process: a swarm key keeps out nodes
 * without it, and an allow-list keeps out (connection gater) and ignores
 * (topic validator) everyone else, even when an allowed peer relays them.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../src/libp2p/node.js'
import type { CreateNodeOptions } from '../../src/libp2p/node.js'
import { generateSwarmKey } from '../../src/daemon/psk.js'
import { FAST, eventsOf, waitFor } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'
import { sleep } from '../helpers/wait.js'
import { RogueNode, sybilKey } from '../helpers/rogue.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { await Promise.all(running.map(async n => { await n.stop() })) })

async function start (options: CreateNodeOptions = {}): Promise<TestNode> {
  const node = await createNode({ ...options, monitor: { ...FAST, ...options.monitor } })
  const t: TestNode = { node, id: node.peerId.toString(), events: [] }
  node.services.monitor.addEventListener('event', (evt) => { t.events.push({ ...evt.detail, at: performance.now() }) })
  running.push({ stop: async () => { await node.stop() } })
  return t
}

async function identity (): Promise<{ key: PrivateKey, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

const addr = (t: TestNode): string => t.node.getMultiaddrs()[0].toString()
const monitored = (t: TestNode): string[] => t.node.services.monitor.peers().map(p => p.peer)
const connectedTo = (t: TestNode, peer: string): boolean => t.node.getConnections().some(c => c.remotePeer.toString() === peer)

describe('private swarms', { timeout: 120_000 }, () => {
  it('a swarm key lets in the nodes that hold it and nobody else', async () => {
    const psk = generateSwarmKey()
    const a = await start({ psk })
    const b = await start({ psk })
    const otherKey = await start({ psk: generateSwarmKey() })
    const noKey = await start()
    await b.node.dial(multiaddr(addr(a)))
    await assert.rejects(otherKey.node.dial(multiaddr(addr(a))), 'a node with another swarm key cannot dial in')
    await assert.rejects(noKey.node.dial(multiaddr(addr(a))), 'a node without a swarm key cannot dial in')
    await assert.rejects(a.node.dial(multiaddr(addr(otherKey))), 'nor can the private node dial out to it')
    await assert.rejects(a.node.dial(multiaddr(addr(noKey))), 'nor to an open node')
    await waitFor('the two key holders monitor each other', () => eventsOf(a, 'joined', b.id).length === 1 && eventsOf(b, 'joined', a.id).length === 1)
    await sleep(FAST.interval as number * 3)
    assert.deepEqual(monitored(a), [b.id])
    assert.ok(!connectedTo(a, otherKey.id) && !connectedTo(a, noKey.id))
    assert.deepEqual(monitored(otherKey), [])
    assert.deepEqual(monitored(noKey), [])
  })

  it('an allow-list refuses connections from and to unlisted peers, by id and by address', async () => {
    const bId = await identity()
    const a = await start({ allow: [bId.id] })
    const b = await start({ privateKey: bId.key })
    const outsider = await start()
    const aConnects: string[] = []
    a.node.addEventListener('peer:connect', (evt) => { aConnects.push(evt.detail.toString()) })
    // Inbound: A drops the connection once the handshake names the outsider; the outsider's
    // own dial may still resolve a moment before the close reaches it.
    await outsider.node.dial(multiaddr(addr(a))).catch(() => {})
    await waitFor('the outsider has no connection to A', () => !connectedTo(outsider, a.id), 5_000)
    await assert.rejects(a.node.dial(outsider.node.peerId), 'no dial to an unlisted peer id (denyDialPeer)')
    const bare = outsider.node.getMultiaddrs()[0].decapsulateCode(421) // without /p2p/<id>
    await assert.rejects(a.node.dial(bare), 'no dial to an address that turns out to be an unlisted peer (denyOutboundEncryptedConnection)')
    await a.node.dial(multiaddr(addr(b)))
    await waitFor('the listed peer is monitored', () => eventsOf(a, 'joined', b.id).length === 1)
    await sleep(500)
    assert.ok(!connectedTo(a, outsider.id), 'no connection to the outsider')
    assert.ok(!connectedTo(outsider, a.id))
    assert.deepEqual(aConnects, [b.id], 'A only ever connected to B')
    assert.deepEqual(monitored(a), [b.id])
  })

  it('ignores reports of unlisted peers relayed by a listed one, and Sybil identities', async () => {
    const bId = await identity()
    const a = await start({ allow: [bId.id] })
    const b = await start({ privateKey: bId.key }) // open: it monitors and relays anyone
    const r = await RogueNode.start()
    running.push(r)
    await a.node.dial(multiaddr(addr(b)))
    await r.connect(addr(b))
    await r.connect(addr(a)).catch(() => {})
    await waitFor('the rogue has no connection to A', () => !r.node.getConnections().some(c => c.remotePeer.equals(a.node.peerId)), 5_000)
    await waitFor('A monitors B', () => eventsOf(a, 'joined', b.id).length === 1)
    await waitFor('the rogue sees B on the topic', () => r.topicPeers().includes(b.id))
    const sybils = await Promise.all([1, 2, 3].map(async () => await sybilKey()))
    const flood = async (): Promise<void> => {
      await r.flood({ count: 1 })
      for (const [i, key] of sybils.entries()) await r.publishAs(key, RogueNode.reportOf(key, Date.now() + i))
    }
    await waitFor('B relays the rogue and its Sybils to A, which drops them as not-allowed', () => {
      void flood()
      return (a.node.services.monitor.counters().dropped['not-allowed'] ?? 0) >= 4 && monitored(b).length >= 5
    }, 15_000)
    assert.deepEqual(monitored(a), [b.id], 'A monitors only B')
    assert.equal(eventsOf(a, 'joined').length, 1)
    assert.ok(monitored(b).includes(r.id), 'B, an open node, does monitor the rogue (so it relayed its reports)')
  })
})
