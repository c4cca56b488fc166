import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BootstrapKeeper } from '../../src/daemon/bootstrap.js'
import type { BootstrapTarget } from '../../src/daemon/bootstrap.js'
import { resolveBootstrapTarget, toBootstrapTarget, type HostLookup } from '../../src/daemon/bootstrap-addr.js'
import { useFakeTimers } from '../helpers/fake-clock.js'

const PEER = '12D3KooWGRUVh7b4H3bFxmQ7hbmsm5iR4HUZ4nFC5ySUxZ6LiBTm'

const target: BootstrapTarget = { addr: '/ip4/127.0.0.1/tcp/1/p2p/QmPeer', peer: 'QmPeer' }

describe('BootstrapKeeper', () => {
  const time = useFakeTimers()
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
    await time.clock.runUntil('four retries', () => delays.length >= 4, 10_000)
    keeper.stop()
    const afterStop = dials
    await time.clock.runFor(100)
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
      dial: async () => { dials++; connected = true; return 'QmPeer' }
    })
    keeper.start()
    await time.clock.runFor(30)
    assert.equal(dials, 1)
    keeper.peerDisconnected('someone-else')
    await time.clock.runFor(30)
    assert.equal(dials, 1, 'other peers do not trigger a dial')
    connected = false
    keeper.peerDisconnected('QmPeer')
    await time.clock.runFor(50)
    assert.equal(dials, 2, 'redialled after the disconnect')
    keeper.stop()
  })
})

describe('BootstrapKeeper against a peer that drops us right after each dial', () => {
  const time = useFakeTimers()
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
        setTimeout(() => { connected = false; keeper?.peerDisconnected('QmPeer') }, 1)
        return 'QmPeer'
      }
    })
    keeper.start()
    await time.clock.runUntil('five dials', () => dialTimes.length >= 5, 10_000)
    keeper.stop()
    // Timers fire late on a busy machine, never early: each gap is at least its backoff
    // delay (10, 20, 40, 80 ms), where redialling at once would leave gaps of ~1 ms.
    const gaps = dialTimes.slice(1, 5).map((t, i) => t - dialTimes[i])
    gaps.forEach((gap, i) => { assert.ok(gap >= 10 * 2 ** i - 2, `growing gaps: ${gaps.join(', ')} ms`) })
  })
})

describe('BootstrapKeeper with an address without a peer id', () => {
  const time = useFakeTimers()
  it('learns who answered and dials the address again when that peer disconnects', async () => {
    const open = new Set<string>()
    const dialled: string[] = []
    const keeper = new BootstrapKeeper({
      targets: [{ addr: '/ip4/10.0.0.1/tcp/4011' }],
      initialDelayMs: 10,
      random: () => 0.5,
      isConnected: (peer) => open.has(peer),
      dial: async (addr) => { dialled.push(addr); open.add(`peer-${dialled.length}`); return `peer-${dialled.length}` }
    })
    try {
      keeper.start()
      await time.clock.runUntil('the first dial', () => dialled.length === 1, 10_000)
      keeper.peerDisconnected('someone-else')
      open.delete('peer-1')
      keeper.peerDisconnected('peer-1')
      // A restarted node answers at the same address with a new peer id: dialled again.
      await time.clock.runUntil('a second dial after the disconnect', () => dialled.length === 2, 10_000)
      assert.deepEqual(dialled, ['/ip4/10.0.0.1/tcp/4011', '/ip4/10.0.0.1/tcp/4011'])
      open.delete('peer-2')
      keeper.peerDisconnected('peer-2')
      await time.clock.runUntil('a third dial, for the peer learned second', () => dialled.length === 3, 10_000)
    } finally {
      keeper.stop()
    }
  })
})

describe('BootstrapKeeper with a DNS name', () => {
  const time = useFakeTimers()
  const name: BootstrapTarget = { addr: '/dns4/peermon/tcp/4011', byName: true }
  const ip = (n: number): string => `/ip4/10.0.0.${n}/tcp/4011`

  it('dials up to peersPerName of the addresses the name resolves to, never its own, and re-resolves when one leaves', async () => {
    let answer = [1, 2, 3, 4, 5, 6].map(ip)
    const open = new Set<string>()
    const dialled: string[] = []
    let resolutions = 0
    const keeper = new BootstrapKeeper({
      targets: [name],
      peersPerName: 3,
      initialDelayMs: 10,
      isSelf: (addr) => addr === ip(1),
      resolve: async (target) => { resolutions++; assert.equal(target, name); return answer },
      isConnected: (peer) => open.has(peer),
      dial: async (addr) => { dialled.push(addr); open.add(`at ${addr}`); return `at ${addr}` }
    })
    try {
      keeper.start()
      await time.clock.runUntil('three dials', () => dialled.length === 3, 10_000)
      assert.ok(!dialled.includes(ip(1)), 'not to itself')
      assert.equal(new Set(dialled).size, 3)
      // One of them goes; the name now answers with a replacement at a new address.
      const gone = dialled[0]
      open.delete(`at ${gone}`)
      answer = [...answer.filter(a => a !== gone), ip(9)]
      keeper.peerDisconnected(`at ${gone}`)
      await time.clock.runUntil('one more dial', () => dialled.length === 4, 10_000)
      assert.equal(resolutions, 2, 'resolved again')
      assert.notEqual(dialled[3], gone, 'to an address the name still has')
      assert.ok(!dialled.slice(0, 3).includes(dialled[3]), 'not to a peer still connected')
      assert.equal([...open].length, 3, 'back to three peers')
    } finally {
      keeper.stop()
    }
  })

  it('does not dial a replica that is already connected (it dialled first): no second connection to one peer', async () => {
    const dialled: string[] = []
    const inbound = new Map([[ip(2), 'already-here']])
    const keeper = new BootstrapKeeper({
      targets: [name],
      peersPerName: 2,
      initialDelayMs: 10,
      resolve: async () => [ip(2), ip(3), ip(4)],
      connectedListeners: async () => (addr) => inbound.get(addr),
      isConnected: (peer) => peer === 'already-here' || peer.startsWith('at '),
      dial: async (addr) => { dialled.push(addr); return `at ${addr}` }
    })
    try {
      keeper.start()
      await time.clock.runUntil('one dial', () => dialled.length === 1, 10_000)
      await time.clock.runFor(50)
      assert.equal(dialled.length, 1, 'the connected replica counts as one of the two')
      assert.notEqual(dialled[0], ip(2))
    } finally {
      keeper.stop()
    }
  })

  it('resolving to itself alone (the first replica up) is not an error, and it looks again until others come', async () => {
    let answer = [ip(1)]
    const errors: unknown[] = []
    const dialled: string[] = []
    const keeper = new BootstrapKeeper({
      targets: [name],
      initialDelayMs: 10,
      maxDelayMs: 20,
      isSelf: (addr) => addr === ip(1),
      resolve: async () => answer,
      isConnected: () => false,
      dial: async (addr) => { dialled.push(addr); return 'other' },
      onDialError: (_t, err) => { errors.push(err) }
    })
    try {
      keeper.start()
      await time.clock.runFor(60)
      assert.deepEqual(dialled, [])
      answer = [ip(1), ip(2)]
      await time.clock.runUntil('the dial once a second replica resolves', () => dialled.length > 0, 10_000)
      assert.equal(dialled[0], ip(2))
      assert.deepEqual(errors, [], 'no warning')
    } finally {
      keeper.stop()
    }
  })

  it('a name that does not resolve is a failed attempt, retried with backoff', async () => {
    const delays: number[] = []
    const keeper = new BootstrapKeeper({
      targets: [name],
      initialDelayMs: 10,
      maxDelayMs: 40,
      random: () => 0.5,
      resolve: async () => { throw new Error('getaddrinfo ENOTFOUND peermon') },
      isConnected: () => false,
      dial: async () => 'never',
      onDialError: (_t, err, retryIn) => { assert.match(String(err), /ENOTFOUND/); delays.push(retryIn) }
    })
    try {
      keeper.start()
      await time.clock.runUntil('three failed attempts', () => delays.length >= 3, 10_000)
      assert.deepEqual(delays.slice(0, 3), [10, 20, 40])
    } finally {
      keeper.stop()
    }
  })
})

describe('resolveBootstrapTarget', () => {
  const lookup: HostLookup = async (hostname, family) => {
    assert.equal(hostname, 'peermon.default.svc')
    const all = [{ address: '10.1.0.7', family: 4 }, { address: '10.1.0.8', family: 4 }, { address: 'fd00::8', family: 6 }, { address: '10.1.0.7', family: 4 }]
    return all.filter(a => family === 0 || a.family === family)
  }

  it('turns a name into every address it has, with the port and the peer id kept', async () => {
    const target = toBootstrapTarget('/dns4/peermon.default.svc/tcp/4011')
    assert.deepEqual(target, { addr: '/dns4/peermon.default.svc/tcp/4011', byName: true })
    assert.deepEqual(await resolveBootstrapTarget(target, lookup), ['/ip4/10.1.0.7/tcp/4011', '/ip4/10.1.0.8/tcp/4011'])
    const both = toBootstrapTarget(`/dns/peermon.default.svc/tcp/4011/p2p/${PEER}`)
    assert.equal(both.peer, PEER)
    assert.deepEqual(await resolveBootstrapTarget(both, lookup), [
      `/ip4/10.1.0.7/tcp/4011/p2p/${PEER}`, `/ip4/10.1.0.8/tcp/4011/p2p/${PEER}`, `/ip6/fd00::8/tcp/4011/p2p/${PEER}`
    ])
  })

  it('dials an IP address as written', async () => {
    const target = toBootstrapTarget('/ip4/10.0.0.1/tcp/4011')
    assert.deepEqual(target, { addr: '/ip4/10.0.0.1/tcp/4011' })
    assert.deepEqual(await resolveBootstrapTarget(target, async () => { throw new Error('not asked') }), ['/ip4/10.0.0.1/tcp/4011'])
  })
})
