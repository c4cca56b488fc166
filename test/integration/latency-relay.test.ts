/**
 * The latency fault's pure parts: the delay queue (order, delay and jitter
 * bounds, delay changes, backpressure) on a fake clock, the relay rules of a
 * namespace, which peers each node's connections are relayed with, and the
 * relay on 127.0.0.1 (bytes from the slowed side arrive late, the others do
 * not). test/serial/netns-latency.test.ts runs it on network namespaces.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it } from 'node:test'
import { checkLinkDelay, DelayQueue, type Clock } from '../../src/swarm/netns/delay-queue.js'
import { LatencyRelay } from '../../src/swarm/netns/latency-relay.js'
import { relayedPeers, relayNftScript } from '../../src/swarm/netns/latency.js'
import { nftScript, NO_FAULTS } from '../../src/swarm/netns/link-faults.js'

/** A clock whose time moves only when the test says so; timers fire in order. */
class FakeClock implements Clock {
  time = 0
  private readonly timers = new Map<number, { at: number, fn: () => void }>()
  private next = 0
  now = (): number => this.time
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.next++
    this.timers.set(id, { at: this.time + ms, fn })
    return id
  }

  clearTimeout = (handle: unknown): void => { this.timers.delete(handle as number) }
  advance (ms: number): void {
    const end = this.time + ms
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.timers.delete(due[0])
      this.time = Math.max(this.time, due[1].at)
      due[1].fn()
    }
    this.time = end
  }
}

function queueOn (clock: FakeClock, delay: { delayMs: number, jitterMs: number }, random: () => number = Math.random, highWaterBytes = 1000): { queue: DelayQueue, out: Array<{ at: number, byte: number }>, flow: string[] } {
  const out: Array<{ at: number, byte: number }> = []
  const flow: string[] = []
  const queue = new DelayQueue({
    delay: () => delay,
    deliver: (chunk) => { out.push({ at: clock.time, byte: chunk[0] }) },
    onFull: () => { flow.push(`pause@${clock.time}`) },
    onRoom: () => { flow.push(`resume@${clock.time}`) },
    clock,
    random,
    highWaterBytes
  })
  return { queue, out, flow }
}

describe('delay queue', () => {
  it('without delay hands chunks on at once; with one, each chunk after its delay', () => {
    const clock = new FakeClock()
    const delay = { delayMs: 0, jitterMs: 0 }
    const { queue, out } = queueOn(clock, delay)
    queue.push(Uint8Array.of(1))
    assert.deepEqual(out, [{ at: 0, byte: 1 }])
    delay.delayMs = 200
    queue.push(Uint8Array.of(2))
    clock.advance(50)
    queue.push(Uint8Array.of(3))
    clock.advance(149)
    assert.equal(out.length, 1)
    clock.advance(1)
    assert.deepEqual(out.at(-1), { at: 200, byte: 2 })
    clock.advance(100)
    assert.deepEqual(out.at(-1), { at: 250, byte: 3 })
  })

  it('keeps the bytes in order while each delay stays within delay ± jitter (never earlier), and a heal lets no chunk overtake', () => {
    const clock = new FakeClock()
    const delay = { delayMs: 200, jitterMs: 50 }
    let seed = 7
    const random = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31 }
    const { queue, out } = queueOn(clock, delay, random, 1e9)
    const sentAt: number[] = []
    for (let i = 0; i < 200; i++) {
      sentAt.push(clock.time)
      queue.push(Uint8Array.of(i % 256))
      clock.advance(i % 3 === 0 ? 0 : 7)
    }
    clock.advance(1000)
    assert.deepEqual(out.map((o) => o.byte), sentAt.map((_, i) => i % 256), 'in order')
    const delays = out.map((o, i) => o.at - sentAt[i])
    assert.ok(Math.min(...delays) >= 150, `no delay under 150 ms: ${Math.min(...delays)}`)
    assert.ok(Math.max(...delays) <= 250, `no delay over 250 ms: ${Math.max(...delays)}`)
    assert.ok(new Set(delays).size > 20, 'jitter spreads the delays')
    // A heal while chunks wait: later chunks go after them, not before.
    queue.push(Uint8Array.of(1))
    clock.advance(10)
    delay.delayMs = 0
    delay.jitterMs = 0
    queue.push(Uint8Array.of(2))
    assert.equal(out.length, 200, 'the healed chunk waits behind the delayed one')
    clock.advance(250)
    assert.deepEqual(out.slice(-2).map((o) => o.byte), [1, 2])
  })

  it('asks its reader to pause past the high-water mark and to resume once under it; whenEmpty waits for the last byte; close drops the rest', () => {
    const clock = new FakeClock()
    const { queue, out, flow } = queueOn(clock, { delayMs: 100, jitterMs: 0 }, Math.random, 1000)
    for (let i = 0; i < 5; i++) {
      queue.push(new Uint8Array(300))
      clock.advance(10)
    }
    assert.deepEqual(flow, ['pause@30'], 'paused when the fourth 300-byte chunk passed 1000 bytes')
    assert.equal(queue.queuedBytes, 1500)
    let empty = -1
    queue.whenEmpty(() => { empty = clock.time })
    clock.advance(70)
    assert.deepEqual(flow, ['pause@30', 'resume@110'], 'resumed when two chunks had left (900 bytes queued)')
    clock.advance(100)
    assert.equal(out.length, 5)
    assert.equal(empty, 140)
    queue.push(Uint8Array.of(9))
    queue.close()
    clock.advance(500)
    assert.equal(out.length, 5)
  })

  it('takes whole ms from 0 to 60 s, jitter up to the delay', () => {
    checkLinkDelay({ delayMs: 200, jitterMs: 200 })
    assert.throws(() => { checkLinkDelay({ delayMs: 200, jitterMs: 201 }) }, /jitter of 0 ms up to the delay \(200 ms\)/)
    assert.throws(() => { checkLinkDelay({ delayMs: -1, jitterMs: 0 }) }, /delay of 0 to 60000 ms/)
  })
})

describe('relay rules', () => {
  it('relays a slowed node with every other node, and the others with the slowed ones only', () => {
    const slowed = new Set([2])
    assert.deepEqual(relayedPeers(2, slowed, 4), [0, 1, 3])
    assert.deepEqual(relayedPeers(0, slowed, 4), [2])
    assert.deepEqual(relayedPeers(0, new Set(), 4), [])
  })

  it('sends new TCP connections to a relayed peer to its relay port, and lets no other connection reach the relay address', () => {
    const script = relayNftScript([{ address: '10.77.0.3', port: 40_001 }], '10.77.255.254', [40_001, 40_002])
    assert.ok(script.includes('type nat hook output priority -100'))
    assert.ok(script.includes('ip daddr 10.77.0.3 meta l4proto tcp dnat to 10.77.255.254:40001'))
    assert.ok(script.includes('ip daddr 10.77.255.254 ct state established,related accept'))
    assert.ok(script.includes('ip daddr 10.77.255.254 tcp dport { 40001, 40002 } accept'))
    assert.ok(script.includes('ip daddr 10.77.255.254 drop'))
    assert.throws(() => relayNftScript([{ address: '10.77.0.3; flush ruleset', port: 1 }], '10.77.255.254', []), RangeError)
  })

  it('a partition also drops relayed connections, by their original destination', () => {
    assert.ok(nftScript({ ...NO_FAULTS, blocked: ['10.77.0.3'] }, 'eth0').includes('oifname "eth0" ct original ip daddr { 10.77.0.3 } counter drop'))
  })
})

describe('latency relay on 127.0.0.1', () => {
  it('delays what the slowed node sends by its delay, both when it dials and when it is dialled; the other side is not delayed', async () => {
    // Node 0 "is" 127.0.0.1 (it dials the relay from there); node 1 listens on an echo server.
    const echo = net.createServer((s) => { s.pipe(s) })
    await new Promise<void>((resolve) => { echo.listen(0, '127.0.0.1', resolve) })
    const echoPort = (echo.address() as net.AddressInfo).port
    const relay = await LatencyRelay.listen({ listenAddress: '127.0.0.1', addresses: ['127.0.0.1', '127.0.0.2'], target: async () => ({ host: '127.0.0.1', port: echoPort }) }, [1])
    const sockets: net.Socket[] = []
    const roundTrip = async (): Promise<number> => {
      const s = net.connect({ host: '127.0.0.1', port: relay.port(1), noDelay: true })
      sockets.push(s)
      await new Promise<void>((resolve) => { s.once('connect', resolve) })
      const start = performance.now()
      s.write('x')
      await new Promise<void>((resolve) => { s.once('data', () => { resolve() }) })
      s.end()
      return performance.now() - start
    }
    try {
      const before = await roundTrip()
      relay.setDelay(0, { delayMs: 150, jitterMs: 0 })
      const slowSender = await roundTrip()
      relay.setDelay(0, { delayMs: 0, jitterMs: 0 })
      relay.setDelay(1, { delayMs: 150, jitterMs: 0 })
      const slowReplier = await roundTrip()
      relay.setDelay(1, { delayMs: 0, jitterMs: 0 })
      const healed = await roundTrip()
      // Generous bounds (a busy two-core machine): the delay is never shorter than set, and
      // undelayed round trips are clearly shorter than delayed ones.
      assert.ok(slowSender >= 145 && slowSender < 2_000, `the dialling node's bytes late: ${slowSender} ms`)
      assert.ok(slowReplier >= 145 && slowReplier < 2_000, `the dialled node's bytes late: ${slowReplier} ms`)
      assert.ok(before < Math.min(slowSender, slowReplier) - 50, `no delay before: ${before} ms`)
      assert.ok(healed < Math.min(slowSender, slowReplier) - 50, `no delay once healed: ${healed} ms`)
      assert.equal(relay.stats.connections, 4)
    } finally {
      for (const s of sockets) s.destroy()
      await relay.close()
      await new Promise<void>((resolve) => { echo.close(() => { resolve() }) })
    }
    assert.equal(relay.stats.open, 0, 'every relayed connection closed')
  })
})
