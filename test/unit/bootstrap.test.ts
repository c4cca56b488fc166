import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BootstrapKeeper } from '../../src/daemon/bootstrap.js'
import type { BootstrapTarget } from '../../src/daemon/bootstrap.js'

const target: BootstrapTarget = { addr: '/ip4/127.0.0.1/tcp/1/p2p/QmPeer', peer: 'QmPeer' }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('BootstrapKeeper', () => {
  it('dials at start and retries a failing bootstrap peer with growing delays', async () => {
    const delays: number[] = []
    let dials = 0
    const keeper = new BootstrapKeeper({
      targets: [target],
      initialDelayMs: 10,
      maxDelayMs: 40,
      random: () => 0.5,
      isConnected: () => false,
      dial: async () => { dials++; throw new Error('refused') },
      onDialError: (_t, _e, retryIn) => { delays.push(retryIn) }
    })
    keeper.start()
    await sleep(200)
    keeper.stop()
    const afterStop = dials
    await sleep(100)
    assert.ok(dials >= 4, `kept trying (${dials} dials)`)
    assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 40], 'exponential, capped')
    assert.equal(dials, afterStop, 'no dial after stop()')
  })

  it('dials again when a connected bootstrap peer disconnects, and not while connected', async () => {
    let connected = false
    let dials = 0
    const keeper = new BootstrapKeeper({
      targets: [target],
      initialDelayMs: 10,
      random: () => 0.5,
      isConnected: () => connected,
      dial: async () => { dials++; connected = true }
    })
    keeper.start()
    await sleep(30)
    assert.equal(dials, 1)
    keeper.peerDisconnected('someone-else')
    await sleep(30)
    assert.equal(dials, 1, 'other peers do not trigger a dial')
    connected = false
    keeper.peerDisconnected(target.peer)
    await sleep(50)
    assert.equal(dials, 2, 'redialled after the disconnect')
    keeper.stop()
  })
})
