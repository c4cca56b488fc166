/**
 * What one daemon currently believes about the other peers, rebuilt from its
 * event lines: which peers it has heard from, and which metrics of which peer
 * are in alert. The launcher keeps one table per node; the live view and the
 * "swarm is formed" check read them.
 */
import type { EventLine } from '../../events/event.js'

export class PeerTable {
  /** Peers whose reports this node has received (joined, not since left or forgotten). */
  readonly peers = new Set<string>()
  /** Peer id → names of its metrics currently in alert. */
  readonly alerting = new Map<string, Set<string>>()

  apply (event: EventLine): void {
    const peer = event.peer
    if (peer === undefined) return
    switch (event.event) {
      case 'listening':
        // The daemon (re)started: a new process believes nothing yet; what it said before is gone with it.
        this.peers.clear()
        this.alerting.clear()
        break
      case 'joined':
        this.peers.add(peer)
        break
      case 'alert': {
        this.peers.add(peer)
        const metrics = this.alerting.get(peer) ?? new Set<string>()
        metrics.add(event.metric ?? '')
        this.alerting.set(peer, metrics)
        break
      }
      case 'recovered': {
        const metrics = this.alerting.get(peer)
        metrics?.delete(event.metric ?? '')
        if (metrics?.size === 0) this.alerting.delete(peer)
        break
      }
      case 'left':
      case 'forgotten':
        this.peers.delete(peer)
        this.alerting.delete(peer)
        break
      default:
        break
    }
  }

  /** Whether this node has heard from every one of `peers`. */
  hasAll (peers: Iterable<string>): boolean {
    for (const peer of peers) {
      if (!this.peers.has(peer)) return false
    }
    return true
  }

  /** Number of peers with at least one metric in alert. */
  get alertingPeers (): number {
    return this.alerting.size
  }
}
