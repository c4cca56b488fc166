/**
 * A rogue libp2p node (test/helpers/rogue.ts: gossipsub without the monitor)
 * against real peermon nodes in this process: forged, re-published, replayed
 * and malformed reports are dropped by reason, never refresh a crashed peer,
 * and rejected ones cost the rogue its gossipsub score.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../src/libp2p/node.js'
import type { CreateNodeOptions } from '../../src/libp2p/node.js'
import { DEFAULT_TOPIC } from '../../src/constants.js'
import type { DropReason } from '../../src/monitor/report.js'
import { FAST, crash, eventsOf, waitFor } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'
import { sleep } from '../helpers/wait.js'
import { GARBAGE_KINDS, RogueNode } from '../helpers/rogue.js'
import type { GarbageKind } from '../helpers/rogue.js'

const TTL = FAST.ttl as number
const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { await Promise.all(running.map(async n => { await n.stop() })) })

async function honest (options: CreateNodeOptions = {}): Promise<TestNode> {
  const node = await createNode({ ...options, monitor: { ...FAST, ...options.monitor } })
  const t: TestNode = { node, id: node.peerId.toString(), events: [] }
  node.services.monitor.addEventListener('event', (evt) => { t.events.push({ ...evt.detail, at: performance.now() }) })
  running.push({ stop: async () => { await node.stop() } })
  return t
}

async function rogue (): Promise<RogueNode> {
  const r = await RogueNode.start()
  running.push(r)
  return r
}

const addr = (t: TestNode): string => t.node.getMultiaddrs()[0].toString()
const dropped = (t: TestNode, reason: DropReason): number => t.node.services.monitor.counters().dropped[reason] ?? 0

/** Scoring off for the topic, so a rogue is never graylisted and every message reaches the validator. */
const NO_SCORING: CreateNodeOptions['gossipsub'] = { scoreParams: { topics: { [DEFAULT_TOPIC]: { invalidMessageDeliveriesWeight: 0 } as any } } }

describe('a rogue peer against real nodes', { timeout: 120_000 }, () => {
  it('cannot keep a crashed peer alive: re-published, forged and replayed reports are dropped and it alerts in time', async () => {
    // A short seen-cache on the watcher, so the rogue's raw replays of the victim's own
    // signed messages get past gossipsub's duplicate check and reach the topic validator.
    const watcher = await honest({ gossipsub: { ...NO_SCORING, seenTTL: 1_000 } })
    const victim = await honest()
    const r = await rogue()
    await victim.node.dial(multiaddr(addr(watcher)))
    await r.connect(addr(watcher))
    await r.connect(addr(victim))
    await waitFor('the watcher monitors the victim and the rogue captured its reports',
      () => eventsOf(watcher, 'joined', victim.id).length === 1 && (r.captured.get(victim.id)?.length ?? 0) >= 5, 20_000)

    await crash(victim)
    const crashedAt = performance.now()
    let stop = false
    const attack = (async () => {
      while (!stop) {
        await r.republish(victim.id, 3)
        await r.publishForged(victim.id)
        r.replayRaw(victim.id, { to: [watcher.id] })
        await sleep(100)
      }
    })()
    try {
      await waitFor('the watcher alerts for the crashed victim', () => eventsOf(watcher, 'alert', victim.id).length > 0, TTL + 5_000)
      const lag = eventsOf(watcher, 'alert', victim.id)[0].at - crashedAt
      assert.ok(lag < TTL + 2_000, `alert ${Math.round(lag)} ms after the crash, within ttl ${TTL} ms + 2 s`)
      // keep attacking past the watcher's seen-cache, so replays reach the validator
      await waitFor('replays of the victim reach the validator and are dropped', () => dropped(watcher, 'replay') > 0, 10_000)
    } finally {
      stop = true
      await attack
    }
    assert.ok(dropped(watcher, 'peer-mismatch') > 0, 're-published and forged reports dropped as peer-mismatch')
    assert.equal(eventsOf(watcher, 'recovered', victim.id).length, 0, 'the victim never recovers')
    assert.equal(eventsOf(watcher, 'alert', victim.id).length, 1, 'one alert for the victim')
    assert.equal(watcher.node.services.monitor.peers().find(p => p.peer === victim.id)?.state, 'alerting')
  })

  it('drops every kind of garbage by its reason and monitors nothing from it', async () => {
    const watcher = await honest({ gossipsub: NO_SCORING })
    const r = await rogue()
    await r.connect(addr(watcher))
    await waitFor('the rogue sees the watcher on the topic', () => r.topicPeers().includes(watcher.id), 10_000)
    const kinds = Object.keys(GARBAGE_KINDS) as GarbageKind[]
    const before = watcher.node.services.monitor.counters()
    for (const kind of kinds) assert.ok(await r.publishGarbage(kind), `published ${kind}`)
    await waitFor('every garbage message reached the validator', () => watcher.node.services.monitor.counters().received - before.received === kinds.length, 10_000)
    const counters = watcher.node.services.monitor.counters()
    assert.equal(counters.accepted, before.accepted, 'none accepted')
    const expected = new Map<string, number>()
    for (const kind of kinds) expected.set(GARBAGE_KINDS[kind], (expected.get(GARBAGE_KINDS[kind]) ?? 0) + 1)
    const deltas = Object.fromEntries(Object.entries(counters.dropped).map(([k, v]) => [k, v - (before.dropped[k as DropReason] ?? 0)]).filter(([, v]) => v !== 0))
    for (const [reason, n] of expected) {
      assert.equal(counters.dropped[reason as DropReason] - (before.dropped[reason as DropReason] ?? 0), n, `dropped as ${reason}: ${JSON.stringify(deltas)}`)
    }
    assert.deepEqual(watcher.node.services.monitor.peers(), [], 'the rogue is not monitored')
  })

  it('costs a rogue sending rejected reports its gossipsub score, until its messages are ignored', async () => {
    const watcher = await honest()
    const r = await rogue()
    await r.connect(addr(watcher))
    await waitFor('the rogue sees the watcher on the topic', () => r.topicPeers().includes(watcher.id), 10_000)
    const pubsub = watcher.node.services.pubsub as unknown as { getScore: (peer: string) => number }
    for (let i = 0; i < 15; i++) await r.publishGarbage('random-bytes')
    // gossipsub caches a score for one heartbeat (1 s)
    await waitFor('the rogue falls below the graylist threshold (-80)', () => pubsub.getScore(r.id) < -80, 5_000)
    const received = watcher.node.services.monitor.counters().received
    assert.ok(received >= 1 && received <= 15, `${received} garbage reports validated`)
    for (let i = 0; i < 5; i++) await r.publishGarbage('random-bytes')
    await r.flood({ count: 5 })
    await sleep(500)
    assert.equal(watcher.node.services.monitor.counters().received, received, 'a graylisted rogue is not heard, even with valid reports')
  })
})
