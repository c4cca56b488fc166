/**
 * Real libp2p nodes on 127.0.0.1 for integration tests: start, wire, record
 * each node's monitor events, wait for conditions, and stop everything.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../src/libp2p/node.js'
import type { PeermonNode } from '../../src/libp2p/node.js'
import type { PeerMonitorInit } from '../../src/libp2p/index.js'
import type { MonitorEvent } from '../../src/monitor/types.js'
import { waitFor } from './wait.js'

export { waitFor }

/** Fast timings for tests: reports every 200 ms, metrics live 1 s. */
export const FAST: PeerMonitorInit = { interval: 200, ttl: 1000 }

export interface TestNode {
  node: PeermonNode
  id: string
  events: Array<MonitorEvent & { at: number }>
}

export async function startNode (monitor: PeerMonitorInit = {}): Promise<TestNode> {
  const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], monitor: { ...FAST, ...monitor } })
  const t: TestNode = { node, id: node.peerId.toString(), events: [] }
  node.services.monitor.addEventListener('event', (evt) => { t.events.push({ ...evt.detail, at: performance.now() }) })
  return t
}

export async function connect (a: TestNode, b: TestNode): Promise<void> {
  await a.node.dial(multiaddr(b.node.getMultiaddrs()[0].toString()))
}

/** Start n nodes wired in a chain 0-1-2-...: messages must be relayed, not only sent directly. */
export async function startChain (n: number, monitor: PeerMonitorInit = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = []
  for (let i = 0; i < n; i++) nodes.push(await startNode(monitor))
  for (let i = 1; i < n; i++) await connect(nodes[i - 1], nodes[i])
  return nodes
}

/** Wait until every node monitors every other node. */
export async function waitForFullView (nodes: TestNode[], timeoutMs = 20_000): Promise<void> {
  await waitFor('every node to see every other node', () => nodes.every(t => {
    const seen = new Set(t.node.services.monitor.peers().filter(p => p.state === 'alive').map(p => p.peer))
    return nodes.every(o => o === t || seen.has(o.id))
  }), timeoutMs)
}

/** Simulate a crash: every connection drops at once and no leave notice is sent. */
export async function crash (t: TestNode): Promise<void> {
  const monitor = t.node.services.monitor as unknown as { beforeStop?: () => Promise<void> }
  monitor.beforeStop = async () => {}
  await Promise.all(t.node.getConnections().map(c => c.abort(new Error('simulated crash'))))
  await t.node.stop()
}

export function eventsOf (t: TestNode, type: MonitorEvent['type'], peer?: string): Array<MonitorEvent & { at: number }> {
  return t.events.filter(e => e.type === type && (peer == null || ('peer' in e && e.peer === peer)))
}

export async function stopAll (nodes: TestNode[]): Promise<void> {
  await Promise.all(nodes.map(async t => { await t.node.stop() }))
}
