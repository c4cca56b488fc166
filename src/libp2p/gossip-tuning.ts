/**
 * Gossipsub parameters for peermon's topic: small messages (~200 bytes), one
 * per node per interval, and every node wants every message. Each value here
 * was measured against gossipsub's own default (docs/benchmarks.md); what did
 * not pay was left at the default.
 */
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import type { PeerScoreParams } from '@chainsafe/libp2p-gossipsub/score'

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
