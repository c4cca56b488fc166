/**
 * A rogue peer for tests: a plain libp2p node built from the same packages as
 * peermon (TCP, Noise, Yamux, identify, gossipsub with StrictSign) but WITHOUT
 * the monitor service. It joins the reports topic and misbehaves on demand:
 *
 * - `republish(victim)`: re-publishes a captured report of another peer verbatim;
 *   gossipsub signs it as the rogue, so the signer is not `report.peer` ('peer-mismatch').
 * - `replayRaw(victim)`: re-sends the victim's ORIGINAL signed gossipsub messages
 *   (valid signatures, by the victim) straight over the rogue's gossipsub streams,
 *   bypassing its own publish path: a true replay. Gossipsub drops them as duplicates
 *   while its seen-cache (`seenTTL`: gossipsub 2 min, peermon 30 s) remembers them; after that they
 *   reach the receiver's topic validator, where (epoch, seq) stops them ('replay').
 * - `publishGarbage(kind)`: random bytes, truncated protobuf, wrong version, oversize,
 *   NaN, huge TTL, empty names, ... (see {@link GARBAGE_KINDS}).
 * - `flood(...)`: valid reports of its own, far faster than the interval they claim,
 *   optionally with new metric names in each (a name flood).
 * - `publishForged(victim)`: a report that claims `peer = victim`, signed by the rogue.
 * - `publishAs(key, data)`: a message signed with another identity the rogue holds
 *   (a Sybil: one connection, many peer ids).
 *
 * Every method returns how many messages it sent; none throws on a send failure.
 */
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { RPC } from '@chainsafe/libp2p-gossipsub/message'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { TopicValidatorResult } from '@libp2p/interface'
import type { Libp2p, Message, PrivateKey, SignedMessage } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { DEFAULT_TOPIC } from '../../src/constants.js'
import { Report as WireReport } from '../../src/monitor/pb/report.js'
import { decodeReport } from '../../src/monitor/report.js'

export interface RogueOptions {
  /** Topic to attack. Default `peermon/v1`. */
  topic?: string
  /** Swarm key, to get into a private swarm (a rogue insider). Default none. */
  psk?: Uint8Array
  /** Identity. Default a fresh Ed25519 key. */
  privateKey?: PrivateKey
  /** Signed messages kept per signer (oldest dropped first). Default 200. */
  maxCapturedPerPeer?: number
}

/** A message as another peer signed it, captured off the wire. */
export interface CapturedMessage {
  /** The gossipsub message, ready to re-send: from, data, seqno, topic, signature, key. */
  rpc: RPC.Message
  /** Decoded report, when it decodes. */
  seq?: number
  epoch?: number
}

/** The kinds of garbage {@link RogueNode.publishGarbage} sends, and the drop reason each should cause. */
export const GARBAGE_KINDS = {
  'random-bytes': 'malformed',
  truncated: 'malformed',
  'wrong-version': 'version',
  'unknown-kind': 'unknown-kind',
  oversize: 'oversize',
  nan: 'invalid-value',
  infinity: 'invalid-value',
  'huge-ttl': 'invalid-ttl',
  'negative-ttl': 'invalid-ttl',
  'empty-name': 'invalid-name',
  'long-name': 'invalid-name',
  'long-text': 'invalid-value',
  'too-many-metrics': 'too-many-metrics',
  'duplicate-name': 'duplicate-name',
  'empty-peer': 'invalid-peer',
  'huge-seq': 'malformed',
  // No bytes decode as version 0, which the core reads as another format version
  // (dropped, but forwarded like a newer version's report: see SECURITY.md).
  empty: 'version'
} as const

export type GarbageKind = keyof typeof GARBAGE_KINDS

/** Gossipsub's signature prefix: the signature covers "libp2p-pubsub:" + the encoded message without signature and key. */
const SIGN_PREFIX = new TextEncoder().encode('libp2p-pubsub:')

type RogueLibp2p = Libp2p<{ pubsub: GossipSub }>

export class RogueNode {
  readonly node: RogueLibp2p
  readonly topic: string
  readonly id: string
  /** Captured signed messages by signer, oldest first. */
  readonly captured = new Map<string, CapturedMessage[]>()
  private readonly maxCaptured: number
  private readonly epoch = Date.now()
  private seq = 0
  private sent = 0

  private constructor (node: RogueLibp2p, topic: string, maxCaptured: number) {
    this.node = node
    this.topic = topic
    this.id = node.peerId.toString()
    this.maxCaptured = maxCaptured
  }

  static async start (options: RogueOptions = {}): Promise<RogueNode> {
    const node = await createLibp2p({
      privateKey: options.privateKey,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      ...(options.psk != null ? { connectionProtector: preSharedKey({ psk: options.psk }) } : {}),
      services: {
        identify: identify(),
        // StrictSign is gossipsub's default; spelled out because the attack depends on it.
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', allowPublishToZeroTopicPeers: true, emitSelf: false })
      }
    }) as unknown as RogueLibp2p
    const rogue = new RogueNode(node, options.topic ?? DEFAULT_TOPIC, options.maxCapturedPerPeer ?? 200)
    node.services.pubsub.topicValidators.set(rogue.topic, (_source, message) => rogue.capture(message))
    node.services.pubsub.subscribe(rogue.topic)
    return rogue
  }

  /** Messages sent so far by every method. */
  get messagesSent (): number { return this.sent }

  /** Dials an honest node (a multiaddr ending in /p2p/<id>); rejects when the dial fails. */
  async connect (addr: string): Promise<void> {
    await this.node.dial(multiaddr(addr))
  }

  /** Peer ids the rogue has a gossipsub stream to and that subscribe to the topic. */
  topicPeers (): string[] {
    return this.node.services.pubsub.getSubscribers(this.topic).map(String)
  }

  /** The latest captured message signed by `peer`, if any. */
  latest (peer: string): CapturedMessage | undefined {
    const list = this.captured.get(peer)
    return list?.[list.length - 1]
  }

  /** (a) Publishes the data of `peer`'s captured reports again, as the rogue. */
  async republish (peer: string, count = 1): Promise<number> {
    const list = this.captured.get(peer) ?? []
    let sent = 0
    for (const captured of list.slice(-count)) {
      if (captured.rpc.data !== undefined && await this.publish(captured.rpc.data)) sent++
    }
    return sent
  }

  /**
   * Re-sends `peer`'s original signed messages (up to `count`, newest last) as raw
   * gossipsub RPCs to every topic peer, or to `to` only. Returns the RPCs sent.
   */
  replayRaw (peer: string, options: { count?: number, to?: string[] } = {}): number {
    const list = (this.captured.get(peer) ?? []).slice(-(options.count ?? Infinity))
    if (list.length === 0) return 0
    return this.sendRaw(list.map(c => c.rpc), options.to)
  }

  /** (b) Publishes one piece of garbage of the given kind, as the rogue. */
  async publishGarbage (kind: GarbageKind): Promise<boolean> {
    return await this.publish(garbage(kind, this.id, this.epoch, ++this.seq))
  }

  /** (b) Publishes every kind of garbage `rounds` times. Returns the messages sent. */
  async publishAllGarbage (rounds = 1): Promise<number> {
    let sent = 0
    for (let i = 0; i < rounds; i++) {
      for (const kind of Object.keys(GARBAGE_KINDS) as GarbageKind[]) {
        if (await this.publishGarbage(kind)) sent++
      }
    }
    return sent
  }

  /**
   * (c) Publishes `count` valid reports of its own, each claiming `intervalMs`,
   * back to back (an event-loop turn between each). With `newNames`, every
   * report carries `namesPerReport` metric names never sent before.
   */
  async flood (options: { count: number, intervalMs?: number, newNames?: boolean, namesPerReport?: number }): Promise<number> {
    let sent = 0
    const names = options.namesPerReport ?? 32
    for (let i = 0; i < options.count; i++) {
      const seq = ++this.seq
      const metrics = [{ name: 'ping', number: 1, ttlMs: 3000 }]
      if (options.newNames === true) {
        for (let n = 0; n < names; n++) metrics.push({ name: `flood.${seq}.${n}`, number: n, ttlMs: 3000 })
      }
      const data = WireReport.encode({
        version: 1, kind: 0, peer: this.id, epoch: BigInt(this.epoch), seq: BigInt(seq), sentAt: BigInt(Date.now()),
        intervalMs: options.intervalMs ?? 1000, metrics
      })
      if (await this.publish(data)) sent++
      await new Promise(resolve => setImmediate(resolve))
    }
    return sent
  }

  /** (d) Publishes a well-formed report that claims to come from `victim`, signed by the rogue. */
  async publishForged (victim: string): Promise<boolean> {
    const data = WireReport.encode({
      version: 1,
      kind: 0,
      peer: victim,
      // far ahead of anything the victim sent, so only the signer check can stop it
      epoch: BigInt(Date.now() + 86_400_000),
      seq: BigInt(++this.seq),
      sentAt: BigInt(Date.now()),
      intervalMs: 1000,
      metrics: [{ name: 'ping', number: 1, ttlMs: 86_400_000 }]
    })
    return await this.publish(data)
  }

  /**
   * Sends `data` signed by `key` (any identity the rogue holds, not its own) as a
   * raw gossipsub message to every topic peer, or to `to`. Returns the RPCs sent.
   */
  async publishAs (key: PrivateKey, data: Uint8Array, to?: string[]): Promise<number> {
    return this.sendRaw([await signMessage(key, this.topic, data)], to)
  }

  /** A valid metrics report of `key`'s identity, ready for {@link publishAs}. */
  static reportOf (key: PrivateKey, seq: number, epoch = Date.now()): Uint8Array {
    return WireReport.encode({
      version: 1, kind: 0, peer: peerIdFromPrivateKey(key).toString(), epoch: BigInt(epoch), seq: BigInt(seq),
      sentAt: BigInt(Date.now()), intervalMs: 1000, metrics: [{ name: 'ping', number: 1, ttlMs: 3000 }]
    })
  }

  async stop (): Promise<void> {
    await this.node.stop()
  }

  /** Topic validator of the rogue: keeps every signed message of others, forwards nothing. */
  private capture (message: Message): TopicValidatorResult {
    if (message.type !== 'signed') return TopicValidatorResult.Ignore
    const signer = message.from.toString()
    let list = this.captured.get(signer)
    if (list == null) {
      list = []
      this.captured.set(signer, list)
    }
    const decoded = decodeReport(message.data)
    list.push({
      rpc: toRpc(message),
      ...(decoded.ok ? { seq: decoded.report.seq, epoch: decoded.report.epoch } : {})
    })
    if (list.length > this.maxCaptured) list.shift()
    return TopicValidatorResult.Ignore
  }

  private async publish (data: Uint8Array): Promise<boolean> {
    try {
      await this.node.services.pubsub.publish(this.topic, data)
      this.sent++
      return true
    } catch {
      return false
    }
  }

  private sendRaw (messages: RPC.Message[], to?: string[]): number {
    // sendRpc is private in gossipsub's types: a rogue does not care.
    const pubsub = this.node.services.pubsub as unknown as { sendRpc: (id: string, rpc: RPC) => boolean }
    let sent = 0
    for (const peer of to ?? this.topicPeers()) {
      try {
        if (pubsub.sendRpc(peer, { subscriptions: [], messages })) sent++
      } catch {}
    }
    this.sent += sent
    return sent
  }
}

/** The gossipsub wire form of a received signed message. */
function toRpc (message: SignedMessage): RPC.Message {
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, message.sequenceNumber)
  return {
    from: message.from.toMultihash().bytes,
    data: message.data,
    seqno,
    topic: message.topic,
    signature: message.signature,
    key: publicKeyToProtobuf(message.key)
  }
}

/** Signs a message as gossipsub's StrictSign would, with any key. */
async function signMessage (key: PrivateKey, topic: string, data: Uint8Array): Promise<RPC.Message> {
  const message: RPC.Message = {
    from: peerIdFromPrivateKey(key).toMultihash().bytes,
    data,
    seqno: new Uint8Array(randomBytes(8)),
    topic
  }
  const unsigned = RPC.Message.encode(message)
  const toSign = new Uint8Array(SIGN_PREFIX.length + unsigned.length)
  toSign.set(SIGN_PREFIX)
  toSign.set(unsigned, SIGN_PREFIX.length)
  return { ...message, signature: await key.sign(toSign), key: publicKeyToProtobuf(key.publicKey) }
}

/** One piece of garbage of `kind`; report fields default to a valid report of `peer`. */
export function garbage (kind: GarbageKind, peer: string, epoch: number, seq: number): Uint8Array {
  const valid = {
    version: 1,
    kind: 0,
    peer,
    epoch: BigInt(epoch),
    seq: BigInt(seq),
    sentAt: BigInt(Date.now()),
    intervalMs: 1000,
    metrics: [{ name: 'ping', number: 1, ttlMs: 3000 }] as Array<{ name: string, number?: number, text?: string, ttlMs: number }>
  }
  const encode = (patch: Partial<typeof valid>): Uint8Array => WireReport.encode({ ...valid, ...patch })
  const many = (n: number, name: (i: number) => string): typeof valid.metrics => Array.from({ length: n }, (_, i) => ({ name: name(i), number: i, ttlMs: 3000 }))
  switch (kind) {
    case 'random-bytes': return new Uint8Array(randomBytes(64 + Math.floor(Math.random() * 512)))
    case 'truncated': {
      const bytes = encode({ metrics: many(8, i => `m${i}`) })
      return bytes.subarray(0, Math.floor(bytes.length * 0.6))
    }
    case 'wrong-version': return encode({ version: 2 })
    case 'unknown-kind': return encode({ kind: 7 })
    case 'oversize': return encode({ metrics: [{ name: 'blob', text: 'x'.repeat(40 * 1024), ttlMs: 3000 }] })
    case 'nan': return encode({ metrics: [{ name: 'ping', number: NaN, ttlMs: 3000 }] })
    case 'infinity': return encode({ metrics: [{ name: 'ping', number: Infinity, ttlMs: 3000 }] })
    case 'huge-ttl': return encode({ metrics: [{ name: 'ping', number: 1, ttlMs: 2 ** 32 - 1 }] })
    case 'negative-ttl': return encode({ metrics: [{ name: 'ping', number: 1, ttlMs: 0 }] })
    case 'empty-name': return encode({ metrics: [{ name: '', number: 1, ttlMs: 3000 }] })
    case 'long-name': return encode({ metrics: [{ name: 'n'.repeat(10_000), number: 1, ttlMs: 3000 }] })
    case 'long-text': return encode({ metrics: [{ name: 'ping', text: 't'.repeat(5000), ttlMs: 3000 }] })
    case 'too-many-metrics': return encode({ metrics: many(500, i => `m${i}`) })
    case 'duplicate-name': return encode({ metrics: many(2, () => 'ping') })
    case 'empty-peer': return encode({ peer: '' })
    case 'huge-seq': return encode({ seq: 2n ** 63n })
    case 'empty': return new Uint8Array(0)
  }
}

/** A fresh identity for {@link RogueNode.publishAs}. */
export async function sybilKey (): Promise<PrivateKey> {
  return await generateKeyPair('Ed25519')
}
