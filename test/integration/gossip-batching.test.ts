/**
 * Gossip batching (src/libp2p/gossip-batching.ts) against the real
 * @chainsafe/libp2p-gossipsub: it wraps internals of that package, so an upgrade
 * that renames them must fail here rather than quietly send one RPC per message.
 * RPCs are counted with gossipsub's own metrics (its public MetricsRegister
 * option), not through the internals the batching wraps.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import type { MetricsRegister } from '@chainsafe/libp2p-gossipsub/metrics'
import { multiaddr } from '@multiformats/multiaddr'
import { isBatchingForwarding } from '../../src/libp2p/gossip-batching.js'
import { createNode, type PeermonNode } from '../../src/libp2p/node.js'
import { waitFor } from '../helpers/wait.js'

const TOPIC = 'peermon-test/batching'
/** Messages published at once by the first node of the chain. */
const BURST = 40

/** A gossipsub MetricsRegister that only adds up what each metric is incremented by. */
function countingRegister (): { register: MetricsRegister, total: (name: string) => number } {
  const totals = new Map<string, number>()
  const metric = (config: { name: string }): unknown => new Proxy({}, {
    get (_, prop) {
      if (prop === 'inc') {
        return (a?: unknown, b?: unknown) => {
          const by = typeof a === 'number' ? a : typeof b === 'number' ? b : 1
          totals.set(config.name, (totals.get(config.name) ?? 0) + by)
        }
      }
      if (prop === 'startTimer') return () => () => {}
      if (prop === 'then') return undefined
      return () => {}
    }
  })
  return { register: { gauge: metric, histogram: metric, avgMinMax: metric } as unknown as MetricsRegister, total: (name) => totals.get(name) ?? 0 }
}

interface ChainNode { node: PeermonNode, pubsub: GossipSub, id: string, metrics: ReturnType<typeof countingRegister> }

/** Three nodes a - b - c, subscribed to TOPIC, each with its own metrics; batching as `batchForwardingMs` says. */
async function startChain (batchForwardingMs: number, started: PeermonNode[]): Promise<ChainNode[]> {
  const chain: ChainNode[] = []
  for (let i = 0; i < 3; i++) {
    const metrics = countingRegister()
    const node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      batchForwardingMs,
      // The monitor's own reports are kept rare: only the test's messages should move.
      monitor: { interval: 30_000, ttl: 90_000 },
      gossipsub: { metricsRegister: metrics.register, metricsTopicStrToLabel: new Map() }
    })
    started.push(node)
    const pubsub = node.services.pubsub as unknown as GossipSub
    pubsub.subscribe(TOPIC)
    chain.push({ node, pubsub, id: node.peerId.toString(), metrics })
  }
  for (let i = 1; i < chain.length; i++) await chain[i - 1].node.dial(multiaddr(chain[i].node.getMultiaddrs()[0].toString()))
  const [a, b, c] = chain
  await waitFor('the chain\'s mesh on the test topic', () =>
    b.pubsub.getMeshPeers(TOPIC).length === 2 && a.pubsub.getMeshPeers(TOPIC).includes(b.id) && c.pubsub.getMeshPeers(TOPIC).includes(b.id), 30_000)
  return chain
}

/** Publishes BURST messages at a and waits for c to get them all; returns what b sent meanwhile. */
async function burst (chain: ChainNode[]): Promise<{ rpcs: number, messages: number }> {
  const [a, b, c] = chain
  let received = 0
  c.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === TOPIC) received++ })
  const rpcsBefore = b.metrics.total('gossipsub_rpc_sent_count_total')
  const messagesBefore = b.metrics.total('gossipsub_rpc_sent_message_total')
  await Promise.all(Array.from({ length: BURST }, async (_, i) => await a.pubsub.publish(TOPIC, new TextEncoder().encode(`message ${i}`))))
  await waitFor(`c to receive all ${BURST} messages through b`, () => received >= BURST, 20_000)
  return {
    rpcs: b.metrics.total('gossipsub_rpc_sent_count_total') - rpcsBefore,
    messages: b.metrics.total('gossipsub_rpc_sent_message_total') - messagesBefore
  }
}

describe('gossip batching on the real gossipsub (127.0.0.1)', () => {
  const started: PeermonNode[] = []
  after(async () => { await Promise.all(started.map(async (node) => { await node.stop() })) })

  it('installs on gossipsub, and a relay sends a burst of forwarded messages in a few RPCs, not one RPC each', async () => {
    const batchedChain = await startChain(0, started)
    const stockChain = await startChain(-1, started)
    assert.equal(isBatchingForwarding(batchedChain[1].pubsub), true, 'batching found the gossipsub internals it wraps (sendRpc, streamsOutbound)')
    assert.equal(isBatchingForwarding(stockChain[1].pubsub), false, 'batchForwardingMs -1 leaves gossipsub as it comes')

    const batched = await burst(batchedChain)
    const stock = await burst(stockChain)
    const detail = `batched: ${batched.messages} messages in ${batched.rpcs} RPCs; stock: ${stock.messages} messages in ${stock.rpcs} RPCs`
    // Every forwarded message went through gossipsub's sender (none bypassed it) ...
    assert.ok(batched.messages >= BURST && stock.messages >= BURST, detail)
    // ... one RPC each without batching, several per RPC with it. The bounds are loose:
    // other RPCs (heartbeat control, a monitor report) may fall into the window.
    assert.ok(stock.rpcs >= BURST, detail)
    assert.ok(batched.rpcs * 4 <= batched.messages, detail)
  })
})
