/**
 * The daemon's connections beyond its bootstrap peers: the degree keeper
 * (degree-keeper.ts) fed with the peers the monitor has heard of (the
 * addresses in their signed reports, filtered by src/libp2p/dialable.ts) and
 * those remembered in `<data-dir>/peers.json` (known-peers.ts), which it
 * writes back every half minute and at stop.
 */
import type { PeermonEvent } from '../events/event.js'
import { dialView, dialableAddrs } from '../libp2p/dialable.js'
import type { PeermonNode } from '../libp2p/node.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import { DegreeKeeper, type DegreeView, type DialCandidate } from './degree-keeper.js'
import { MAX_KNOWN_PEERS, readKnownPeers, writeKnownPeers, type KnownPeer } from './known-peers.js'

/** How often known peers are written back when they changed (ms). */
const SAVE_EVERY_MS = 30_000

export interface ConnectivityInit {
  node: PeermonNode
  /** Connections kept, at least (0: none beyond the bootstrap peers). */
  target: number
  /** Where known peers are remembered; undefined: nowhere. */
  peersFile?: string
  /** Whether a peer may be dialled (the allow-list); default everyone. */
  isAllowed?: (peer: string) => boolean
  emit: (event: PeermonEvent) => void
}

/** What the API and /metrics show of the node's connections. */
export interface ConnectivityView extends DegreeView {
  /** Peers with an address this node would dial. */
  known: number
}

export class Connectivity {
  private readonly init: ConnectivityInit
  private readonly keeper: DegreeKeeper<Multiaddr[]>
  private remembered: KnownPeer[] = []
  private saveTimer?: NodeJS.Timeout
  private saved = ''
  private saveFailed = false
  /** The dialable form of each stated address list, by the list itself (dropped with it). */
  private readonly parsed = new WeakMap<readonly string[], { viewKey: string, addrs: Multiaddr[] }>()

  constructor (init: ConnectivityInit) {
    this.init = init
    const { node } = init
    this.keeper = new DegreeKeeper<Multiaddr[]>({
      target: init.target,
      candidates: () => this.candidates(),
      connected: () => connectedPeers(node),
      dial: async (candidate) => { await node.dial(candidate.addrs) },
      heardUnconnected: () => node.services.monitor.peers().filter(p => p.state === 'alive' && !p.connected).length,
      onShortage: (connections, target) => {
        init.emit({ type: 'warning', message: `${connections} connection${connections === 1 ? '' : 's'}, below the target of ${target} (--min-connections), and no known peer to dial: check --bootstrap, or whether peers' stated addresses are reachable from here` })
      }
    })
  }

  async start (): Promise<void> {
    if (this.init.peersFile !== undefined) {
      const read = await readKnownPeers(this.init.peersFile)
      if ('problem' in read) this.init.emit({ type: 'warning', message: `known peers: ${read.problem}` })
      this.remembered = read.peers
      this.saved = JSON.stringify(read.peers)
      this.saveTimer = setInterval(() => { void this.save() }, SAVE_EVERY_MS)
      this.saveTimer.unref()
    }
    this.keeper.start()
  }

  /** Stops dialling and writes the known peers a last time (before the node stops: the monitor still knows them). */
  async stop (): Promise<void> {
    this.halt()
    await this.save()
  }

  /** Stops dialling and writing, as a crash would: the file keeps what it last held. */
  halt (): void {
    this.keeper.stop()
    clearInterval(this.saveTimer)
    this.saveTimer = undefined
  }

  peerDisconnected (peer: string): void {
    this.keeper.peerDisconnected(peer)
  }

  view (): ConnectivityView {
    return { ...this.keeper.view(), known: this.candidates().length }
  }

  private candidates (): Array<DialCandidate<Multiaddr[]>> {
    const { node } = this.init
    const view = dialView(node.getMultiaddrs())
    const viewKey = JSON.stringify(view)
    const allowed = this.init.isAllowed ?? (() => true)
    const list: Array<DialCandidate<Multiaddr[]>> = []
    const seen = new Set<string>()
    for (const known of node.services.monitor.addresses()) {
      seen.add(known.peer)
      if (known.state === 'left' || !allowed(known.peer)) continue
      // Parsed once per list the peer stated (the core keeps the same array until it changes), not every tick.
      let parsed = this.parsed.get(known.addrs)
      if (parsed?.viewKey !== viewKey) {
        parsed = { viewKey, addrs: dialableAddrs(known.peer, known.addrs, view) }
        this.parsed.set(known.addrs, parsed)
      }
      const addrs = parsed.addrs
      if (addrs.length === 0) continue
      const rank = known.state === 'alive' ? (known.confirmed ? 0 : 1) : 2
      list.push({ peer: known.peer, addrs, rank })
    }
    for (const known of this.remembered) {
      if (seen.has(known.peer) || !allowed(known.peer)) continue
      const addrs = dialableAddrs(known.peer, known.addrs, view)
      if (addrs.length > 0) list.push({ peer: known.peer, addrs, rank: 2 })
    }
    return list
  }

  /**
   * Remembers the peers connected now, then the confirmed ones heard most lately, up to
   * MAX_KNOWN_PEERS; writes them when they changed. A failed write is said once.
   */
  private async save (): Promise<void> {
    const path = this.init.peersFile
    if (path === undefined) return
    const connected = connectedPeers(this.init.node)
    const heard = this.init.node.services.monitor.addresses()
      .filter(p => p.state === 'alive' && (p.confirmed || connected.has(p.peer)))
      .sort((a, b) => Number(connected.has(b.peer)) - Number(connected.has(a.peer)) || a.lastSeenAgoMs - b.lastSeenAgoMs)
      .map(p => ({ peer: p.peer, addrs: p.addrs }))
    // Nothing heard (just started, or cut off): keep what the file said rather than forget the swarm.
    if (heard.length === 0) return
    const peers = heard.slice(0, MAX_KNOWN_PEERS)
    const text = JSON.stringify(peers)
    if (text === this.saved) return
    try {
      await writeKnownPeers(path, peers)
      this.saved = text
      this.saveFailed = false
    } catch (err) {
      if (!this.saveFailed) this.init.emit({ type: 'warning', message: `known peers: could not write ${path}: ${err instanceof Error ? err.message : String(err)}` })
      this.saveFailed = true
    }
  }
}

function connectedPeers (node: PeermonNode): Set<string> {
  const peers = new Set<string>()
  for (const conn of node.getConnections()) {
    if (conn.status === 'open') peers.add(conn.remotePeer.toString())
  }
  return peers
}
