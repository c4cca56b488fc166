/**
 * Gossipsub parameters for peermon's topic: small messages (~200 bytes), one
 * per node per interval, and every node wants every message. Each value here
 * was measured against gossipsub's own default (docs/benchmarks.md); what did
 * not pay was left at the default.
 */
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import type { PeerScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { warnInternalMoved } from './gossip-internals.js'

/** The parts of a wire message the fast message id reads. */
interface WireMessage {
  from?: Uint8Array | null
  seqno?: Uint8Array | null
}

/**
 * Gossipsub's fast message id: the signer's multihash and the 8-byte seqno,
 * byte for byte (the same facts as the spec'ed id, without hashing). Without
 * it gossipsub verifies the signature of every copy of a message before it
 * looks it up in its seen cache; with it, copies after the first skip that.
 * Only messages that passed validation enter the cache, so a forged copy
 * cannot shadow a real message.
 */
export function fastMsgId (msg: WireMessage): string {
  const { from, seqno } = msg
  if (from == null || seqno == null) return ''
  return latin1(from) + latin1(seqno)
}

/**
 * Gossipsub's message id as a map key: the bytes as a latin1 string, instead
 * of gossipsub's base64 (a JavaScript encoder, run for every message id of
 * every IHAVE). The string never leaves the process.
 */
export function msgIdToKey (msgId: Uint8Array): string {
  return latin1(msgId)
}

function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/**
 * How long gossipsub remembers a message id it has seen (its seen cache, its
 * fast-id cache, the ids it published) and keeps a message's delivery record
 * for peer scoring. Gossipsub: 2 minutes for both. Each node keeps about 1 KB
 * per message in these four structures, so with every node receiving every
 * report the process holds nodes × reports per second × TTL of them: 25 nodes
 * of a 100-node swarm at 2 s keep 150 000 of each at 2 minutes, most of a
 * packed process's heap, and V8's old space grows far past that live set as
 * the 200 000-entry maps churn. 30 s is still 6 times gossipsub's message cache
 * history (mcacheLength 5 heartbeats, 5 s), the longest a peer can still
 * serve a message by IWANT; a copy that arrives later is no longer a duplicate
 * to gossipsub and reaches the monitor's validator, which ignores it as a
 * replay (epoch, seq): no score penalty, not delivered twice.
 */
export const SEEN_TTL_MS = 30_000

/** Gossipsub options peermon sets for its topic (over gossipsub's defaults). */
export const GOSSIPSUB_TUNING: Partial<GossipsubOpts> = {
  // Mesh degree 3 (gossipsub: 6, 4..12): every node wants every report, so each
  // copy beyond the first is pure cost, and on this stack an RPC costs far more
  // than its bytes. Each report now reaches a node about 2 times instead of 4.5
  // (20 daemons, each dialling 3), half the RPCs, with gossip (IHAVE) and flood
  // publishing of a node's own reports still covering gaps in the mesh.
  D: 3,
  Dlo: 2,
  Dhi: 4,
  Dout: 1,
  Dscore: 1,
  // Message ids are remembered 30 s instead of 2 minutes: see SEEN_TTL_MS.
  seenTTL: SEEN_TTL_MS,
  fastMsgIdFn: fastMsgId,
  msgIdToStrFn: msgIdToKey
}

/**
 * Peer score parameters peermon sets (the monitor topic's own are in node.ts).
 * No IP colocation penalty: gossipsub's default (-5 × (peers on one IP - 10)²)
 * makes every peer of a node connected to more than 10 daemons of one host
 * score negative, so its GRAFTs are refused and the mesh falls apart. A local
 * swarm (127.0.0.1) and daemons behind one NAT or on one machine are normal
 * for a monitor; who may join is the allow-list's and the swarm key's job.
 */
export const SCORE_TUNING: Partial<PeerScoreParams> = {
  IPColocationFactorWeight: 0
}

/** The internals of gossipsub's score that `shortenDeliveryRecords` touches. */
interface DeliveryRecordsInternals {
  records: Map<string, { firstSeenTsMs: number }>
  queue: { peekFront: () => { msgId: string } | undefined, shift: () => unknown }
  gc: () => void
}

/**
 * Makes gossipsub's peer score forget a message's delivery record `ttlMs`
 * after it was first seen instead of its fixed 2 minutes (TimeCacheDuration,
 * not an option). The records only serve the score: who delivered a message,
 * to penalise them all (P4) if it turns out invalid, and mesh delivery counts,
 * which peermon's scoring does not use (src/libp2p/node.ts); validation ends
 * within the same turn, long before 30 s. Returns the instance. When the
 * internals are not there (renamed in a gossipsub release), the records keep
 * gossipsub's 2 minutes and a process warning (code PEERMON_DELIVERY_RECORDS)
 * says so once.
 */
export function shortenDeliveryRecords<T> (pubsub: T, ttlMs = SEEN_TTL_MS): T {
  const deliveries = (pubsub as { score?: { deliveryRecords?: Partial<DeliveryRecordsInternals> } }).score?.deliveryRecords
  const { records, queue } = deliveries ?? {}
  if (deliveries === undefined || !(records instanceof Map) || typeof queue?.peekFront !== 'function' || typeof queue.shift !== 'function' || typeof deliveries.gc !== 'function') {
    warnOnce()
    return pubsub
  }
  // Called by the score's background task (every decayInterval, 1 s). The queue is in order of first sight.
  deliveries.gc = () => {
    const oldest = Date.now() - ttlMs
    for (let head = queue.peekFront(); head !== undefined; head = queue.peekFront()) {
      const record = records.get(head.msgId)
      if (record !== undefined && record.firstSeenTsMs >= oldest) break
      records.delete(head.msgId)
      queue.shift()
    }
  }
  return pubsub
}

function warnOnce (): void {
  warnInternalMoved('PEERMON_DELIVERY_RECORDS', 'gossipsub\'s score has no deliveryRecords',
    'delivery records are kept for gossipsub\'s 2 minutes instead of peermon\'s SEEN_TTL_MS (src/libp2p/gossip-tuning.ts)')
}
