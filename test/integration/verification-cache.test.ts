/**
 * The signature cache the nodes of a process share, with real nodes: a
 * forged copy of a report (its signer's from and seqno, other data or another
 * signature) is rejected by a node even though the real report's signature is
 * remembered; the real copy is then accepted from the memo. And the monitors
 * of a process share one event-loop probe: a stall reaches each of them, and
 * no probe timer is left once they stop.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../src/libp2p/node.js'
import { processVerificationCache } from '../../src/libp2p/verification-cache.js'
import { processLoopProbe } from '../../src/monitor/loop-probe.js'
import { FAST, eventsOf, waitFor } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'
import { sleep } from '../helpers/wait.js'
import { RogueNode } from '../helpers/rogue.js'

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { await Promise.all(running.map(async n => { await n.stop() })) })

async function honest (): Promise<TestNode> {
  const node = await createNode({ monitor: FAST })
  const t: TestNode = { node, id: node.peerId.toString(), events: [] }
  node.services.monitor.addEventListener('event', (evt) => { t.events.push({ ...evt.detail, at: performance.now() }) })
  running.push({ stop: async () => { await node.stop() } })
  return t
}

const addr = (t: TestNode): string => t.node.getMultiaddrs()[0].toString()

describe('signature checks shared by the nodes of a process', { timeout: 60_000 }, () => {
  it('rejects a forged copy (same from and seqno, other data or signature) of a report whose real signature is remembered, and accepts the real copy from the memo', async () => {
    const author = await honest()
    const first = await honest() // verifies the author's reports: they enter the memo
    const second = await honest() // hears the author only through the rogue
    const rogue = await RogueNode.start()
    running.push(rogue)
    await first.node.dial(multiaddr(addr(author)))
    await rogue.connect(addr(author))
    await rogue.connect(addr(second))
    // A report the first node accepted, so verified through the cache, as the rogue captured it.
    let real: NonNullable<ReturnType<RogueNode['latest']>>['rpc'] | undefined
    await waitFor('the rogue captured a report of the author that the first node accepted', () => {
      const accepted = first.node.services.monitor.peer(author.id)?.seq
      real = rogue.captured.get(author.id)?.find((c) => c.seq === accepted)?.rpc
      return real !== undefined
    }, 20_000)
    assert.ok(real?.data != null && real.signature != null)
    const cache = processVerificationCache()
    assert.ok(cache.memoSize > 0, 'the real report is remembered')

    // Copies: the captured fields may be Buffers, whose slice() is a view.
    const data = new Uint8Array(real.data)
    data[data.length - 1] ^= 1
    const signature = new Uint8Array(real.signature)
    signature[0] ^= 1
    const before = cache.stats()
    const sendRaw = (message: typeof real): void => {
      (rogue.node.services.pubsub as unknown as { sendRpc: (id: string, rpc: unknown) => boolean }).sendRpc(second.id, { subscriptions: [], messages: [message] })
    }
    await waitFor('the second node and the rogue share the topic', () => rogue.topicPeers().includes(second.id), 10_000)
    sendRaw({ ...real, data })
    sendRaw({ ...real, signature })
    await waitFor('both forged copies were checked', () => cache.stats().checks >= before.checks + 2, 10_000)
    await sleep(200)
    assert.equal(cache.stats().memoHits, before.memoHits, 'neither forged copy was answered from the memo')
    assert.equal(second.node.services.monitor.counters().received, 0, 'neither forged copy reached the monitor')
    assert.equal(eventsOf(second, 'joined', author.id).length, 0)

    sendRaw(real)
    await waitFor('the real copy is accepted', () => eventsOf(second, 'joined', author.id).length === 1, 10_000)
    assert.ok(cache.stats().memoHits > before.memoHits, 'and its signature came from the memo')

  })

  it('one event-loop probe for every monitor: a stall reaches each, and no probe timer is left after they stop', async () => {
    const nodes = await Promise.all([honest(), honest(), honest()])
    assert.equal(processLoopProbe.running, true)
    await sleep(500)
    const blockedUntil = performance.now() + 1500
    while (performance.now() < blockedUntil) {} // a 1.5 s stall of the whole process
    await waitFor('every monitor says degraded (stall)', () => nodes.every((n) => n.events.some((e) => e.type === 'degraded' && e.reason === 'stall')), 10_000)
    for (const n of running.splice(0)) await n.stop()
    assert.equal(processLoopProbe.running, false, 'no monitor runs: no probe timer')
  })
})
