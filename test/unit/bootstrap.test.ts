import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BootstrapKeeper } from '../../src/daemon/bootstrap.js'
import type { BootstrapTarget } from '../../src/daemon/bootstrap.js'
import { waitFor } from '../helpers/wait.js'

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
    await waitFor('four retries', () => delays.length >= 4, 10_000)
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

describe('BootstrapKeeper against a peer that drops us right after each dial', () => {
  it('backs off instead of redialling at once, over and over', async () => {
    let connected = false
    const dialTimes: number[] = []
    let keeper: BootstrapKeeper | undefined = undefined
    keeper = new BootstrapKeeper({
      targets: [target],
      initialDelayMs: 10,
      maxDelayMs: 1_000,
      stableAfterMs: 1_000,
      random: () => 0.5,
      isConnected: () => connected,
      dial: async () => {
        dialTimes.push(Date.now())
        connected = true
        setTimeout(() => { connected = false; keeper?.peerDisconnected(target.peer) }, 1)
      }
    })
    keeper.start()
    await waitFor('five dials', () => dialTimes.length >= 5, 10_000)
    keeper.stop()
    // Timers fire late on a busy machine, never early: each gap is at least its backoff
    // delay (10, 20, 40, 80 ms), where redialling at once would leave gaps of ~1 ms.
    const gaps = dialTimes.slice(1, 5).map((t, i) => t - dialTimes[i])
    gaps.forEach((gap, i) => { assert.ok(gap >= 10 * 2 ** i - 2, `growing gaps: ${gaps.join(', ')} ms`) })
  })
})
