import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GOSSIPSUB_STOCK, gossipsubFromEnv } from '../../src/daemon/trace.js'
import { batchForwarding, isBatchingForwarding } from '../../src/libp2p/gossip-batching.js'
import { fastMsgId, msgIdToKey } from '../../src/libp2p/gossip-tuning.js'
import { FakeClock } from '../helpers/fake-clock.js'

interface Rpc { subscriptions?: unknown[], messages?: unknown[], control?: unknown }

/** The two internals batchForwarding touches, recording what reaches the wire. */
function fakeGossipsub (peers: string[]): { sendRpc: (id: string, rpc: Rpc) => boolean, streamsOutbound: Map<string, unknown>, sent: Array<[string, Rpc]> } {
  const sent: Array<[string, Rpc]> = []
  return {
    sent,
    streamsOutbound: new Map(peers.map((p) => [p, {}])),
    sendRpc (id: string, rpc: Rpc): boolean { sent.push([id, rpc]); return true }
  }
}

const turn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

describe('gossipsub message ids', () => {
  it('tells messages apart by signer and seqno, without hashing', () => {
    const from = new Uint8Array([0, 36, 8, 1, 18, 32, 7])
    const a = fastMsgId({ from, seqno: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]) })
    assert.equal(a, fastMsgId({ from: from.slice(), seqno: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]) }), 'a copy has the same id')
    assert.notEqual(a, fastMsgId({ from, seqno: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 2]) }))
    assert.notEqual(a, fastMsgId({ from: new Uint8Array([0, 36, 8, 1, 18, 32, 8]), seqno: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]) }))
    assert.equal(fastMsgId({ from, seqno: null }), '', 'unsigned messages have no fast id')
  })

  it('keys message ids by their bytes, also for a view into a larger buffer', () => {
    const buffer = new Uint8Array([9, 1, 2, 255, 9])
    assert.equal(msgIdToKey(buffer.subarray(1, 4)), msgIdToKey(new Uint8Array([1, 2, 255])))
    assert.notEqual(msgIdToKey(new Uint8Array([1, 2, 255])), msgIdToKey(new Uint8Array([1, 2, 254])))
  })
})

describe('batchForwarding', () => {
  it('sends the messages forwarded to a peer in one turn as one RPC, per peer', async () => {
    const gs = batchForwarding(fakeGossipsub(['a', 'b']))
    assert.equal(gs.sendRpc('a', { messages: [1] }), true)
    gs.sendRpc('a', { messages: [2, 3] })
    gs.sendRpc('b', { messages: [4] })
    assert.equal(gs.sent.length, 0, 'held until the end of the turn')
    await turn()
    assert.deepEqual(gs.sent.map(([id, rpc]) => [id, rpc.messages]), [['a', [1, 2, 3]], ['b', [4]]])
  })

  it('flushes what is queued for a peer before a control RPC to it, so order is kept', async () => {
    const gs = batchForwarding(fakeGossipsub(['a']))
    gs.sendRpc('a', { messages: [1] })
    gs.sendRpc('a', { control: { prune: [] } })
    assert.deepEqual(gs.sent.map(([, rpc]) => rpc.messages ?? 'control'), [[1], 'control'])
    await turn()
    assert.equal(gs.sent.length, 2, 'nothing is sent twice')
  })

  it('refuses a peer without an outbound stream, as gossipsub does', async () => {
    const gs = batchForwarding(fakeGossipsub([]))
    assert.equal(gs.sendRpc('a', { messages: [1] }), false)
    await turn()
    assert.equal(gs.sent.length, 0)
  })

  it('says whether it is active, and warns when gossipsub lacks the internals it wraps', async () => {
    assert.equal(isBatchingForwarding(batchForwarding(fakeGossipsub(['a']))), true)
    const warning = new Promise<Error>((resolve) => { process.once('warning', resolve) })
    const renamed = { sendRPC: () => true, streamsOutbound: new Map() }
    assert.equal(batchForwarding(renamed), renamed, 'the node still runs, unbatched')
    assert.equal(isBatchingForwarding(renamed), false)
    const { message, code } = await warning as Error & { code?: string }
    assert.equal(code, 'PEERMON_GOSSIP_BATCHING')
    assert.match(message, /gossipsub has no sendRpc\(\)/)
  })

  it('waits windowMs for more when asked to', async () => {
    const clock = new FakeClock()
    const restore = clock.install()
    try {
      const gs = batchForwarding(fakeGossipsub(['a']), 30)
      gs.sendRpc('a', { messages: [1] })
      await turn()
      gs.sendRpc('a', { messages: [2] })
      assert.equal(gs.sent.length, 0)
      clock.advance(60)
      assert.deepEqual(gs.sent.map(([, rpc]) => rpc.messages), [[1, 2]])
    } finally {
      restore()
    }
  })
})

describe('PEERMON_GOSSIPSUB', () => {
  it('is empty when unset, stock turns batching off, JSON splits off batchForwardingMs', () => {
    assert.equal(gossipsubFromEnv(undefined), undefined)
    assert.deepEqual(gossipsubFromEnv(' stock '), { gossipsub: GOSSIPSUB_STOCK, batchForwardingMs: -1 })
    assert.deepEqual(gossipsubFromEnv('{"D":4,"batchForwardingMs":25}'), { gossipsub: { D: 4 }, batchForwardingMs: 25 })
    assert.throws(() => gossipsubFromEnv('[1]'), /^ConfigError: PEERMON_GOSSIPSUB: expected "stock" or a JSON object/)
    assert.throws(() => gossipsubFromEnv('{D:4}'), /^ConfigError: PEERMON_GOSSIPSUB: expected "stock" or a JSON object/)
    assert.throws(() => gossipsubFromEnv('{"batchForwardingMs":"soon"}'), /^ConfigError: PEERMON_GOSSIPSUB: batchForwardingMs must be a number/)
  })
})
