/**
 * createNode(): a libp2p node with the stack peermon runs on (TCP, Noise,
 * Yamux, identify, gossipsub) and the peer-monitor service. The daemon and the
 * tests use it; programs with their own node add `peerMonitor()` to theirs.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import type { Libp2p, PrivateKey, PubSub } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { PeerMonitorService } from './service.js'
import type { PeerMonitor, PeerMonitorInit } from './service.js'

export interface CreateNodeOptions {
  /** Identity of the node. Default: a fresh Ed25519 key. */
  privateKey?: PrivateKey
  /** Listen multiaddrs. Default `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[]
  /** Options of the peer-monitor service. */
  monitor?: PeerMonitorInit
  /** Gossipsub options, over peermon's defaults. */
  gossipsub?: Partial<GossipsubOpts>
}

export type PeermonNode = Libp2p<{ identify: Identify, pubsub: PubSub, monitor: PeerMonitor }>

/** Gossipsub settings for peermon's topic: small messages, every node interested in every message. */
export const GOSSIPSUB_DEFAULTS: Partial<GossipsubOpts> = {
  allowPublishToZeroTopicPeers: true,
  emitSelf: false
}

export async function createNode (options: CreateNodeOptions = {}): Promise<PeermonNode> {
  const monitorInit = options.monitor ?? {}
  return createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ ...GOSSIPSUB_DEFAULTS, ...options.gossipsub }) as (components: any) => PubSub,
      monitor: (components: any) => new PeerMonitorService(components, monitorInit)
    }
  })
}
