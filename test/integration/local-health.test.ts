/**
 * A node cut off from the swarm (every connection of it dropped, real libp2p
 * nodes on 127.0.0.1): it says `isolated` once instead of alerting on every
 * peer, the others alert on it once, and after the heal it says `reconnected`
 * while the others see it recovered.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { connect, eventsOf, startChain, stopAll, waitFor, waitForFullView, type TestNode } from '../helpers/nodes.js'

describe('local health on real nodes', () => {
  let nodes: TestNode[] = []
  after(async () => { await stopAll(nodes) })

  it('a node cut off raises one isolated, not an alert per peer; the others alert on it; the heal brings reconnected and recovered', async () => {
    nodes = await startChain(5)
    await waitForFullView(nodes)
    const cut = nodes[4]
    const others = nodes.slice(0, 4)
    const since = performance.now()
    // The cut: every connection of node 4 dropped, as a pulled cable would end them; nobody redials.
    await Promise.all(cut.node.getConnections().map(async c => { await c.close() }))

    await waitFor('every other node to alert on the cut node', () => others.every(o => eventsOf(o, 'alert', cut.id).length === 1), 20_000)
    await waitFor('the cut node to say it is isolated', () => eventsOf(cut, 'isolated').length === 1, 20_000)
    await new Promise(resolve => setTimeout(resolve, 3_000)) // well past every peer's TTL and the longest postponement
    const later = (t: TestNode, type: Parameters<typeof eventsOf>[1]): number => eventsOf(t, type).filter(e => e.at >= since).length
    assert.equal(later(cut, 'alert'), 0, `the cut node accuses nobody: ${JSON.stringify(cut.events.filter(e => e.at >= since).map(e => ({ ...e, at: Math.round(e.at - since) })))}`)
    assert.equal(later(cut, 'isolated'), 1)
    for (const o of others) {
      assert.equal(later(o, 'alert'), 1, 'one alert, for the cut node only')
      assert.equal(later(o, 'isolated'), 0)
    }

    await connect(cut, nodes[3])
    await waitFor('the cut node to hear its peers again', () => eventsOf(cut, 'reconnected').length === 1, 20_000)
    await waitFor('every other node to see the cut node recovered', () => others.every(o => eventsOf(o, 'recovered', cut.id).length === 1), 20_000)
    await new Promise(resolve => setTimeout(resolve, 2_000))
    assert.equal(later(cut, 'alert'), 0, 'no alert after the heal either: every peer is back')
  })
})
