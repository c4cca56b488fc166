import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DegreeKeeper } from '../../src/daemon/degree-keeper.js'
import type { DegreeKeeperInit, DialCandidate } from '../../src/daemon/degree-keeper.js'
import { FakeClock } from '../helpers/fake-clock.js'

/** A swarm the keeper sees: who is known, who is connected, which dials fail; time moves only when the test says. */
function harness (init: Partial<DegreeKeeperInit<string>> & { target: number, known: Array<DialCandidate<string>> }) {
  const world = { now: 0, connected: new Set<string>(), failing: new Set<string>(), dials: [] as string[], shortages: [] as number[] }
  const keeper = new DegreeKeeper<string>({
    candidates: () => init.known,
    connected: () => world.connected,
    dial: async (c) => {
      world.dials.push(c.peer)
      if (world.failing.has(c.peer)) throw new Error('refused')
      world.connected.add(c.peer)
    },
    onShortage: (connections) => { world.shortages.push(connections) },
    tickMs: 3_600_000, // the test ticks by hand
    reactJitterMs: 0,
    now: () => world.now,
    ...init
  })
  keeper.start()
  return { keeper, world }
}

const peers = (n: number, rank = 0): Array<DialCandidate<string>> => Array.from({ length: n }, (_, i) => ({ peer: `p${i}`, addrs: `/ip4/10.0.0.${i}/tcp/1`, rank }))
const settle = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

describe('DegreeKeeper', () => {
  it('dials known peers until it holds the target, then stops dialling', async () => {
    const { keeper, world } = harness({ target: 4, known: peers(10) })
    try {
      keeper.tick()
      await settle()
      assert.equal(world.connected.size, 4)
      assert.equal(new Set(world.dials).size, 4, 'four distinct peers')
      keeper.tick()
      await settle()
      assert.equal(world.dials.length, 4, 'no dial at the target')
    } finally { keeper.stop() }
  })

  it('picks at random, so a swarm of keepers does not make a hub of one peer', async () => {
    const firsts = new Map<string, number>()
    for (let run = 0; run < 200; run++) {
      const { keeper, world } = harness({ target: 1, known: peers(10) })
      keeper.tick()
      await settle()
      keeper.stop()
      firsts.set(world.dials[0], (firsts.get(world.dials[0]) ?? 0) + 1)
    }
    assert.equal(firsts.size, 10, 'every known peer gets picked by someone')
    assert.ok(Math.max(...firsts.values()) < 60, `no peer picked by most (${JSON.stringify([...firsts])})`)
  })

  it('prefers peers heard lately and confirmed over the rest', async () => {
    const known = [...peers(3, 2).map(c => ({ ...c, peer: `old-${c.peer}` })), ...peers(2, 0)]
    const { keeper, world } = harness({ target: 2, known })
    try {
      keeper.tick()
      await settle()
      assert.deepEqual([...world.dials].sort(), ['p0', 'p1'])
    } finally { keeper.stop() }
  })

  it('backs off a peer whose dial failed, doubling with each failure', async () => {
    const { keeper, world } = harness({ target: 1, known: peers(1), random: () => 0.5, initialBackoffMs: 1_000, dialsPerSec: 1000 })
    world.failing.add('p0')
    try {
      const dialAt: number[] = []
      for (world.now = 0; world.now <= 8_000; world.now += 100) {
        const before = world.dials.length
        keeper.tick()
        await settle()
        if (world.dials.length > before) dialAt.push(world.now)
      }
      assert.deepEqual(dialAt, [0, 1_000, 3_000, 7_000])
    } finally { keeper.stop() }
  })

  it('counts a connection that closed at once as a failure, and dials others after a disconnection', async () => {
    const clock = new FakeClock() // the keeper's reaction timer
    const restore = clock.install()
    const { keeper, world } = harness({ target: 2, known: peers(3), random: () => 0.5 })
    try {
      keeper.tick()
      await settle()
      const [first] = world.dials
      world.connected.delete(first)
      world.now = 1_000 // lasted 1 s: less than stableAfterMs
      keeper.peerDisconnected(first)
      clock.advance(5)
      await settle()
      assert.equal(world.connected.size, 2, 'back at the target')
      assert.ok(!world.connected.has(first), 'not the peer that dropped it at once')
      assert.equal(world.dials.length, 3)
    } finally { keeper.stop(); restore() }
  })

  it('never dials faster than its bucket allows', async () => {
    const { keeper, world } = harness({ target: 50, known: peers(50), dialsPerSec: 2, dialBurst: 4 })
    world.failing = new Set(peers(50).map(c => c.peer))
    try {
      for (world.now = 0; world.now <= 10_000; world.now += 100) {
        keeper.tick()
        await settle()
      }
      // 4 back to back, then 2 a second for 10 s.
      assert.ok(world.dials.length <= 4 + 20 + 1, `${world.dials.length} dials in 10 s`)
      assert.ok(world.dials.length >= 20, `${world.dials.length} dials in 10 s`)
    } finally { keeper.stop() }
  })

  it('warns once when it is short with nobody to dial, and not when every known peer is connected', async () => {
    const lonely = harness({ target: 6, known: [], warnAfterMs: 5_000 })
    try {
      for (lonely.world.now = 0; lonely.world.now <= 20_000; lonely.world.now += 1_000) lonely.keeper.tick()
      assert.deepEqual(lonely.world.shortages, [0], 'once, with no connection')
      assert.equal(lonely.keeper.view().short, true)
    } finally { lonely.keeper.stop() }
    // A swarm of 4: every other node connected, below the target of 6, nothing missing.
    const small = harness({ target: 6, known: peers(3), warnAfterMs: 5_000, heardUnconnected: () => 0 })
    try {
      for (small.world.now = 0; small.world.now <= 20_000; small.world.now += 1_000) {
        small.keeper.tick()
        await settle()
      }
      assert.equal(small.world.connected.size, 3)
      assert.deepEqual(small.world.shortages, [])
    } finally { small.keeper.stop() }
  })

  it('does nothing with a target of 0 or after stop()', async () => {
    const off = harness({ target: 0, known: peers(3) })
    off.keeper.tick()
    await settle()
    assert.deepEqual(off.world.dials, [])
    const stopped = harness({ target: 3, known: peers(3) })
    stopped.keeper.stop()
    stopped.keeper.tick()
    stopped.keeper.peerDisconnected('p0')
    await settle()
    assert.deepEqual(stopped.world.dials, [])
  })
})
