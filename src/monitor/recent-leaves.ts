/**
 * Leave notices of peers this node did not know, remembered for a short while,
 * so that a report the peer sent before leaving, arriving after its leave notice,
 * does not bring it back as a new peer that then falls silent and alerts.
 *
 * It happens to a node that has just started: pubsub hands it recent messages
 * of the swarm through gossip (IHAVE/IWANT), in no particular order, so it may
 * get a peer's leave notice first and one of its older reports a moment later.
 * Without this memory the notice is dropped (nobody to leave) and the report
 * makes the peer `joined`; a TTL later, an alert on a peer that left.
 *
 * Bounded: at most `capacity` peers, each for `ttlMs` (default 1,024 for 60 s:
 * gossipsub's message cache serves messages for 5 heartbeats and its seen cache
 * remembers ids for 30 s). A flood of notices of invented peers only pushes out
 * older notices: what it costs is this protection, for a minute.
 */

interface Leave { epoch: number, seq: number, at: number }

export class RecentLeaves {
  private readonly leaves = new Map<string, Leave>()

  constructor (private readonly capacity = 1_024, private readonly ttlMs = 60_000) {}

  /** A leave notice of a peer this node does not know. */
  remember (peer: string, epoch: number, seq: number, now: number): void {
    this.leaves.delete(peer)
    if (this.leaves.size >= this.capacity) {
      const oldest = this.leaves.keys().next().value
      if (oldest !== undefined) this.leaves.delete(oldest)
    }
    this.leaves.set(peer, { epoch, seq, at: now })
  }

  /** Whether a report (epoch, seq) of `peer` was sent before a leave notice remembered here. */
  sentBeforeLeaving (peer: string, epoch: number, seq: number, now: number): boolean {
    const leave = this.leaves.get(peer)
    if (leave === undefined) return false
    if (now - leave.at > this.ttlMs) {
      this.leaves.delete(peer)
      return false
    }
    return epoch < leave.epoch || (epoch === leave.epoch && seq < leave.seq)
  }

  /** The peer is known again (a later report of it was accepted). */
  forget (peer: string): void {
    this.leaves.delete(peer)
  }

  get size (): number { return this.leaves.size }
}
