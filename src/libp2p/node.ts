/**
 * createNode(): a libp2p node with the stack peermon runs on (TCP, Noise,
 * Yamux, identify, gossipsub) and the peer-monitor service. The daemon and the
 * tests use it; programs with their own node add `peerMonitor()` to theirs.
 * Library users import it as `peermon/node` (its own subpath export, so that
 * `peermon` itself loads the service without this transport stack).
 *
 * Access control lives here, at the network edge: a pre-shared swarm key
 * (`psk`, libp2p private networks) and an allow-list (`allow`) enforced by a
 * connection gater and, for relayed reports, by the monitor's `isAllowed`.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import type { PeerScoreParams, TopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import type { ConnectionGater, Libp2p, PeerId, PrivateKey, PubSub } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import type { Registry } from 'prom-client'
import { DEFAULT_TOPIC } from '../constants.js'
import { batchForwarding } from './gossip-batching.js'
import { GOSSIPSUB_TUNING, SCORE_TUNING, SEEN_TTL_MS, shortenDeliveryRecords } from './gossip-tuning.js'
import { peerMonitor } from './index.js'
import { cacheVerification, processVerificationCache } from './verification-cache.js'
import type { PeerMonitor, PeerMonitorInit } from './index.js'

export interface CreateNodeOptions {
  /** Identity of the node. Default: a fresh Ed25519 key. */
  privateKey?: PrivateKey
  /** Listen multiaddrs. Default `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[]
  /** Options of the peer-monitor service. */
  monitor?: PeerMonitorInit
  /** Gossipsub options, over peermon's defaults. */
  gossipsub?: Partial<GossipsubOpts>
  /**
   * Pre-shared swarm key, the bytes of a `/key/swarm/psk/1.0.0/` file (see
   * `src/daemon/psk.ts`): only nodes with the same key can connect. Default: an open swarm.
   */
  psk?: Uint8Array
  /**
   * Peer ids allowed to connect and to be monitored; the node itself is always
   * allowed. Others are refused by the connection gater, and their reports are
   * ignored even when an allowed peer relays them. Default (absent or empty): everyone.
   */
  allow?: Iterable<string>
  /**
   * Prometheus registry for libp2p's own metrics (`@libp2p/prometheus-metrics`); default none, no
   * metrics. Give each node its own registry: that package keeps its metric objects in a
   * process-wide map, so nodes sharing one would collide.
   */
  metricsRegistry?: Registry
  /**
   * Message-only RPCs to one peer are merged until the end of the event-loop
   * turn (0, the default) or for this many ms; negative: each message is sent
   * on its own, as gossipsub does (src/libp2p/gossip-batching.ts).
   */
  batchForwardingMs?: number
  /**
   * Signature checks shared with the other nodes of this process
   * (src/libp2p/verification-cache.ts): each signer's key is imported once, and
   * with `memo` (the default) a message's signature verified by one node is
   * not verified again by the others, keyed by the whole signed message.
   * Default on; `false`: this node verifies every message itself, as gossipsub does.
   */
  verificationCache?: boolean | { memo?: boolean }
}

export type PeermonNode = Libp2p<{ identify: Identify, pubsub: PubSub, monitor: PeerMonitor }>

/** Gossipsub settings for peermon's topic: small messages, every node interested in every message. */
export const GOSSIPSUB_DEFAULTS: Partial<GossipsubOpts> = {
  allowPublishToZeroTopicPeers: true,
  emitSelf: false,
  ...GOSSIPSUB_TUNING
}

/**
 * Peer scoring of the monitor topic: only invalid messages count (P4), every
 * other topic score is off, since a quiet topic would look like delivery failure.
 * A report the validator rejects (malformed, forged, ...) costs its sender 1 point
 * squared per message still remembered (decay 0.9 per second); a peer sending
 * about 9 of them in quick succession falls below gossipsub's default graylist
 * threshold (-80) and is ignored until it decays. Ignored drops (replay, rate,
 * not-allowed) cost nothing, so honest relays never lose score.
 */
export const TOPIC_SCORE_PARAMS: Partial<TopicScoreParams> = {
  topicWeight: 1,
  timeInMeshWeight: 0,
  firstMessageDeliveriesWeight: 0,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -1,
  invalidMessageDeliveriesDecay: 0.9
}

/**
 * Gossipsub, with message-only RPCs merged per peer unless `batchMs` is negative,
 * and signatures checked through the process's cache unless `verification` is false.
 */
function tunedGossipsub (init: Partial<GossipsubOpts>, batchMs: number, verification: CreateNodeOptions['verificationCache']): (components: any) => PubSub {
  const factory = gossipsub(init) as (components: any) => PubSub
  const cache = verification === false ? undefined : processVerificationCache(verification === true || verification === undefined ? true : verification.memo !== false)
  return (components) => {
    const pubsub = factory(components)
    shortenDeliveryRecords(pubsub, init.seenTTL ?? SEEN_TTL_MS)
    if (cache !== undefined) cacheVerification(pubsub, cache)
    return batchMs < 0 ? pubsub : batchForwarding(pubsub, batchMs)
  }
}

export async function createNode (options: CreateNodeOptions = {}): Promise<PeermonNode> {
  const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(privateKey).toString()
  const allowed = new Set(options.allow ?? [])
  if (allowed.size > 0) allowed.add(self)
  const isAllowed = allowed.size > 0 ? (peer: string) => allowed.has(peer) : undefined
  const monitorInit: PeerMonitorInit = { ...options.monitor }
  if (isAllowed != null) {
    const own = monitorInit.isAllowed
    monitorInit.isAllowed = own == null ? isAllowed : (peer) => isAllowed(peer) && own(peer)
  }
  const topic = monitorInit.topic ?? DEFAULT_TOPIC
  // Options given for the monitor topic change single fields of peermon's topic scoring.
  const givenTopics = options.gossipsub?.scoreParams?.topics ?? {}
  const scoreParams: Partial<PeerScoreParams> = {
    ...SCORE_TUNING,
    ...options.gossipsub?.scoreParams,
    topics: { ...givenTopics, [topic]: { ...TOPIC_SCORE_PARAMS, ...givenTopics[topic] } as TopicScoreParams }
  }
  const metrics = options.metricsRegistry != null
    ? (await import('@libp2p/prometheus-metrics')).prometheusMetrics({ registry: options.metricsRegistry, collectDefaultMetrics: false })
    : undefined
  return createLibp2p({
    ...(metrics != null ? { metrics } : {}),
    privateKey,
    addresses: { listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(options.psk != null ? { connectionProtector: preSharedKey({ psk: options.psk }) } : {}),
    ...(isAllowed != null ? { connectionGater: allowListGater(isAllowed) } : {}),
    services: {
      identify: identify(),
      pubsub: tunedGossipsub({ ...GOSSIPSUB_DEFAULTS, ...options.gossipsub, scoreParams }, options.batchForwardingMs ?? 0, options.verificationCache),
      monitor: peerMonitor(monitorInit)
    }
  })
}

/**
 * A connection gater that lets only allowed peers in or out, at the earliest
 * point libp2p offers for each direction: before dialing a known peer id, and
 * right after the encryption handshake has proven the remote's identity (the
 * first moment it is known for inbound connections and for dials by address).
 */
export function allowListGater (isAllowed: (peer: string) => boolean): ConnectionGater {
  const deny = async (peer: PeerId): Promise<boolean> => !isAllowed(peer.toString())
  return {
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny
  }
}
