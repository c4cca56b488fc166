/**
 * A flapping peer between real nodes on 127.0.0.1: a node whose publishing is
 * paused and resumed again and again (what SIGSTOP/SIGCONT or a link that
 * keeps dropping look like from the other side) is reported `flapping` once,
 * by the service's defaults (4 changes within 10 × TTL), shows as flapping in
 * the API, the event stream, Prometheus and the alert history, and is
 * `stable` once it settles.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { buildApiServer } from '../../src/api/server.js'
import type { ApiServer } from '../../src/api/server.js'
import type { AlertsResponse, PeersResponse } from '../../src/api/types.js'
import { EventRecord } from '../../src/events/record.js'
import type { MonitorEvent } from '../../src/monitor/types.js'
import { FAST, connect, eventsOf, startNode, stopAll, waitFor, waitForFullView } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'
import { sleep } from '../helpers/wait.js'
import { SseReader } from '../helpers/api-sse.js'
import { canonicalPeerId } from '../../src/libp2p/peer-id.js'

describe('a peer that keeps stopping and resuming (real nodes, 127.0.0.1)', () => {
  let a: TestNode
  let b: TestNode
  let api: ApiServer
  let paused = false
  let stream: SseReader | undefined

  before(async () => {
    a = await startNode()
    b = await startNode()
    // b's reports go nowhere while paused: to a it is silent, then back.
    const pubsub = b.node.services.pubsub
    const publish = pubsub.publish.bind(pubsub)
    pubsub.publish = async (...args: Parameters<typeof publish>) => paused ? { recipients: [] } : await publish(...args)
    api = await buildApiServer({
      monitor: a.node.services.monitor,
      canonicalPeerId,
      identity: () => ({ peer: a.id, addrs: [], version: '0.0.0-test', topic: 'peermon/v1', intervalMs: 200, ttlMs: 1000, windowSize: 25 })
    })
    a.node.services.monitor.addEventListener('event', (evt) => { api.handleEvent(new EventRecord(evt.detail)) })
    await api.app.listen({ host: '127.0.0.1', port: 0 })
    await connect(a, b)
    await waitForFullView([a, b])
  })

  after(async () => {
    await stream?.close()
    await api?.app.close()
    await stopAll([a, b].filter(t => t != null))
  })

  const peerView = async () => (await api.app.inject({ url: '/api/v0/peers' })).json<PeersResponse>().peers.find(p => p.peer === b.id)

  it('is reported flapping once, marked while it flaps, shown as flapping, then stable once it settles', async (t) => {
    const ttl = FAST.ttl ?? 1000
    const started = a.events.length
    const { port } = api.app.server.address() as AddressInfo
    stream = await SseReader.open(`http://127.0.0.1:${port}/api/v0/events?type=flapping,stable`)
    assert.equal(stream.status, 200)
    // Three outages of 1.8 s, 1.5 s apart: 6 changes within ~10 s, the window (10 × the 1 s TTL).
    for (let i = 0; i < 3; i++) {
      const alerts = eventsOf(a, 'alert', b.id).length
      paused = true
      await waitFor(`alert ${i + 1}`, () => eventsOf(a, 'alert', b.id).length > alerts, 10_000)
      await sleep(1_800 - ttl)
      const recoveries = eventsOf(a, 'recovered', b.id).length
      paused = false
      await waitFor(`recovery ${i + 1}`, () => eventsOf(a, 'recovered', b.id).length > recoveries, 10_000)
      if (i === 1) await waitFor('the flapping event', () => eventsOf(a, 'flapping', b.id).length > 0, 5_000)
      await sleep(1_500)
    }

    const view = await peerView()
    assert.equal(view?.flapping, true, 'GET /api/v0/peers shows it flapping')
    const prometheus = (await api.app.inject({ url: '/metrics' })).body
    assert.match(prometheus, /^peermon_peers_flapping 1$/m)
    assert.match(prometheus, /^peermon_flaps_total 1$/m)

    // Back for good: stable after a whole window with at most one change.
    const settledAt = performance.now()
    await waitFor('the stable event', () => eventsOf(a, 'stable', b.id).length > 0, 30_000)
    const window = 10 * ttl
    const waited = performance.now() - settledAt
    assert.ok(waited < window + 10_000, `stable ${Math.round(waited)} ms after it settled`)

    const events = a.events.slice(started).filter(e => 'peer' in e && e.peer === b.id) as Array<MonitorEvent & { at: number }>
    const types = events.map(e => e.type)
    assert.deepEqual(types.filter(t => t === 'flapping' || t === 'stable'), ['flapping', 'stable'], types.join(', '))
    const flapAt = types.indexOf('flapping')
    // Events as the core emitted them: two plain outages, the flapping event right after the change that caused it.
    assert.deepEqual(types.slice(0, flapAt + 1), ['alert', 'recovered', 'alert', 'recovered', 'flapping'])
    const marked = (e: MonitorEvent): boolean => 'flapping' in e && e.flapping === true
    assert.deepEqual(events.slice(0, 3).map(marked), [false, false, false], 'before flapping, alerts are plain')
    for (const e of events.slice(flapAt - 1)) {
      if (e.type === 'alert' || e.type === 'recovered') assert.ok(marked(e), `${e.type} while flapping is marked`)
    }
    const t0 = events[0].at
    t.diagnostic(`timeline (s): ${events.map(e => `${e.type}${marked(e) ? '*' : ''}@${((e.at - t0) / 1000).toFixed(2)}`).join(' ')}`)
    const flapping = events[flapAt]
    assert.ok(flapping.type === 'flapping' && flapping.transitions === 4 && flapping.windowMs === window, JSON.stringify(flapping))
    const stable = events.find(e => e.type === 'stable')
    assert.ok(stable?.type === 'stable' && stable.state === 'alive' && stable.flappedMs >= window, JSON.stringify(stable))

    assert.equal((await peerView())?.flapping, false, 'no longer flapping in the API')
    assert.equal(a.node.services.monitor.peers().find(p => p.peer === b.id)?.state, 'alive')
    const history = (await api.app.inject({ url: '/api/v0/alerts' })).json<AlertsResponse>().events
    assert.deepEqual(history.filter(l => l.event === 'flapping' || l.event === 'stable').map(l => l.event), ['flapping', 'stable'])
    assert.match((await api.app.inject({ url: '/metrics' })).body, /^peermon_peers_flapping 0$/m)
    await stream.waitFor('the stable frame', f => f.event === 'stable', 5_000)
    assert.deepEqual(stream.frames.filter(f => f.comments.length === 0).map(f => `${f.event} ${(JSON.parse(f.data) as { event: string }).event}`),
      ['flapping flapping', 'stable stable'], 'the event stream carries both, and only the asked-for types')
  })
})
