/**
 * Replay state that outlives forgetting (src/monitor/replay-memory.ts): a
 * forgotten peer's old signed reports stay refused, its newer ones are
 * accepted; the memory is bounded, compact and overwrites the oldest first.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { REPLAY_MEMORY_ENTRY_BYTES, ReplayMemory } from '../../src/monitor/replay-memory.js'
import { replayCapacity } from '../../src/monitor/roster.js'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

const TTL = 3_000
const MINUTE = 60_000

describe('replay memory of forgotten peers', () => {
  it('refuses a forgotten peer\'s captured report, accepts its next one and one after a restart', () => {
    const h = new Harness({ retentionMs: MINUTE })
    const b = new Sender('b')
    const captured = b.report([['ping', 1, TTL]])
    assert.deepEqual(h.core.handleMessage('b', captured), { accepted: true })
    const later = b.report([['ping', 2, TTL]])
    assert.deepEqual(h.core.handleMessage('b', later), { accepted: true })
    h.clock.advance(MINUTE + TTL)
    assert.deepEqual(h.takeNames(), ['joined b', 'alert b/ping', 'forgotten b'])
    assert.equal(h.core.peer('b'), undefined)

    // Both old reports, sent again long after: refused, nothing joins, nothing kept.
    assert.deepEqual(h.core.handleMessage('b', captured), { accepted: false, reason: 'replay' })
    assert.deepEqual(h.core.handleMessage('b', later), { accepted: false, reason: 'replay' })
    assert.deepEqual(h.takeNames(), [])
    assert.equal(h.core.peer('b'), undefined)
    assert.equal(h.core.counters().dropped.replay, 2)

    // Its next report (a higher seq) is accepted: it joins again.
    assert.deepEqual(h.send(b, [['ping', 3, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['joined b'])
    assert.equal(h.core.replayMemory.size, 0, 'known again: its live record decides')

    // Forgotten again, then restarted (a later epoch, seq from 1): accepted at once.
    h.clock.advance(MINUTE + TTL)
    assert.deepEqual(h.takeNames(), ['alert b/ping', 'forgotten b'])
    assert.deepEqual(h.core.handleMessage('b', captured), { accepted: false, reason: 'replay' })
    b.restart()
    assert.deepEqual(h.send(b, [['ping', 1, TTL]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['joined b'])
    h.core.stop()
  })

  it('remembers peers evicted to make room, and a left peer forgotten after retention', () => {
    const h = new Harness({ maxPeers: 1, retentionMs: MINUTE })
    const b = new Sender('b')
    const c = new Sender('c')
    const old = b.report([['ping', 1, TTL]])
    h.core.handleMessage('b', old)
    h.core.handleMessage('b', b.leave())
    assert.deepEqual(h.send(c, [['ping', 1, TTL]]), { accepted: true }, 'c evicts b, which left')
    assert.deepEqual(h.takeNames(), ['joined b', 'left b', 'forgotten b', 'joined c'])
    h.clock.advance(TTL)
    h.take()
    assert.deepEqual(h.core.handleMessage('b', old), { accepted: false, reason: 'replay' }, 'b\'s old report does not evict c')
    assert.equal(h.core.peer('c')?.state, 'alerting')
    assert.equal(h.core.peer('b'), undefined)
    h.core.stop()
  })

  it('is charged to the peer-state budget as its replay account, and sized to at most an eighth of it', () => {
    const h = new Harness({ maxPeers: 1, stateBudgetBytes: 1024 * 1024 })
    assert.equal(h.core.replayMemory.capacity, 4096, '1 MiB / 8 / 32 B')
    for (let i = 0; i < 1500; i++) { // each peer alerts after a TTL, and the next one evicts it: 1,499 forgotten
      h.send(new Sender(`q${i}`), [['ping', 1, TTL]])
      h.clock.advance(TTL)
    }
    h.take()
    assert.ok(h.core.replayMemory.bytes > 1024 * REPLAY_MEMORY_ENTRY_BYTES, `grew: ${h.core.replayMemory.bytes} B`)
    assert.equal(h.core.budget.byAccount().replay, h.core.replayMemory.bytes)
    assert.deepEqual([replayCapacity(256 * 2 ** 20), replayCapacity(32 * 2 ** 20), replayCapacity(1000)], [2 ** 20, 2 ** 17, 16])
    h.core.stop()
  })

  it('overwrites the peer forgotten longest ago when full', () => {
    const memory = new ReplayMemory(4)
    for (let i = 0; i < 4; i++) memory.remember(`p${i}`, 10, 5)
    assert.equal(memory.size, 4)
    for (let i = 0; i < 4; i++) assert.equal(memory.refuses(`p${i}`, 10, 5), true)
    memory.remember('p4', 10, 5)
    assert.equal(memory.size, 4)
    assert.equal(memory.refuses('p0', 10, 5), false, 'the oldest is gone')
    for (let i = 1; i < 5; i++) assert.equal(memory.refuses(`p${i}`, 10, 5), true, `p${i} still remembered`)
    // Remembering a peer again moves it to the newest end.
    memory.remember('p1', 10, 9)
    memory.remember('p5', 10, 5)
    assert.equal(memory.refuses('p2', 10, 5), false, 'p2 was the oldest')
    assert.equal(memory.refuses('p1', 10, 9), true)
    assert.equal(memory.refuses('p1', 10, 10), false, 'a later seq passes')
    assert.equal(memory.refuses('p1', 11, 1), false, 'a later epoch passes')
    assert.equal(memory.refuses('never', 0, 0), false)
  })

  it('stays correct through deletions, growth and wrap-around, against a plain Map', () => {
    const CAPACITY = 3_000
    const memory = new ReplayMemory(CAPACITY)
    /** Oracle: peer → (epoch, seq), in the order remembered (a Map keeps insertion order). */
    const oracle = new Map<string, [number, number]>()
    let x = 12345
    const random = (n: number): number => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return (x >>> 0) % n
    }
    for (let step = 0; step < 60_000; step++) {
      const peer = `peer-${random(8_000)}`
      if (random(4) === 0) {
        memory.delete(peer)
        oracle.delete(peer)
      } else {
        const value: [number, number] = [random(3), random(100)]
        memory.remember(peer, ...value)
        oracle.delete(peer)
        oracle.set(peer, value)
        if (oracle.size > CAPACITY) {
          // The oldest entries fill the ring's slots; entries deleted in between free theirs, so the
          // memory may hold fewer than capacity, never more, and never drops one newer than a kept one.
          oracle.delete(oracle.keys().next().value as string)
        }
      }
      assert.ok(memory.size <= CAPACITY)
    }
    // It holds exactly the newest memory.size entries of the oracle, each with the right (epoch, seq).
    const order = [...oracle.keys()]
    assert.ok(memory.size > CAPACITY / 2, `holds ${memory.size}`)
    for (const [k, peer] of order.entries()) {
      const [epoch, seq] = oracle.get(peer) as [number, number]
      const kept = k >= order.length - memory.size
      assert.equal(memory.refuses(peer, epoch, seq), kept, `${peer} (${k} of ${order.length}) ${kept ? 'kept' : 'dropped'}`)
      if (kept) {
        assert.equal(memory.refuses(peer, epoch, seq - 1), true, `${peer}: an earlier seq is refused`)
        assert.equal(memory.refuses(peer, epoch, seq + 1), false, `${peer}: a later seq passes`)
        assert.equal(memory.refuses(peer, epoch + 1, 0), false, `${peer}: a later epoch passes`)
      }
    }
    assert.ok(memory.bytes <= CAPACITY * REPLAY_MEMORY_ENTRY_BYTES * 2, `${memory.bytes} bytes`)
  })

  it('costs 32 bytes an entry at full capacity, and little when few peers were forgotten', (t) => {
    const small = new ReplayMemory()
    small.remember('a', 1, 1)
    assert.ok(small.bytes <= 64 * 1024, `${small.bytes} bytes for one entry`)
    const capacity = 2 ** 16
    const full = new ReplayMemory(capacity)
    for (let i = 0; i < capacity * 2; i++) full.remember(`12D3KooW-${i}`, 1_700_000_000_000, i)
    assert.equal(full.size, capacity)
    assert.equal(full.bytes, capacity * REPLAY_MEMORY_ENTRY_BYTES)
    assert.equal(full.refuses(`12D3KooW-${capacity * 2 - 1}`, 1_700_000_000_000, capacity * 2 - 1), true)
    assert.equal(full.refuses('12D3KooW-0', 1_700_000_000_000, 0), false)
    t.diagnostic(`${capacity} entries: ${full.bytes} bytes; one entry: ${small.bytes} bytes`)
  })

  it('rejects a capacity that is not a whole number from 1', () => {
    for (const bad of [0, -1, 1.5, NaN, 2 ** 29]) assert.throws(() => new ReplayMemory(bad), RangeError)
  })
})
