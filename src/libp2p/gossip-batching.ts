/**
 * Forwarding several messages to a peer in one RPC. Gossipsub sends each
 * message it publishes or forwards as an RPC of its own, and on this stack
 * every RPC costs far more than its bytes: an encoded frame through
 * length-prefixing, yamux, noise and a socket write on the way out, and the
 * same layers on the way in. A peer that receives a burst of reports (one TCP
 * read often holds several) forwards them in the same event-loop turn, so
 * holding message-only RPCs until the end of that turn (setImmediate) and
 * sending them together costs no measurable latency; a `windowMs` > 0 waits
 * that long for more. RPCs with control messages or subscriptions are never
 * held: they first flush what is queued for that peer, so order is kept.
 */
import { warnInternalMoved } from './gossip-internals.js'

/** What this module needs of gossipsub's RPC shape. */
interface Rpc {
  subscriptions?: unknown[]
  messages?: unknown[]
  control?: unknown
}

/** The internals of a GossipSub instance this module touches. */
interface GossipSubInternals {
  sendRpc: (id: string, rpc: Rpc) => boolean
  streamsOutbound: Map<string, unknown>
}

/** The instances batchForwarding patched. */
const batched = new WeakSet<object>()

/**
 * True when forwarding on this gossipsub instance is batched: batchForwarding
 * found the internals it needs and wrapped them.
 */
export function isBatchingForwarding (pubsub: unknown): boolean {
  return typeof pubsub === 'object' && pubsub !== null && batched.has(pubsub)
}

/**
 * Wraps the instance's `sendRpc` (an internal method) so message-only RPCs
 * to one peer are merged until the end of the turn, or `windowMs`. Returns the
 * instance. Sends are not counted twice: gossipsub's own accounting (scores,
 * IWANT promises) sees every logical send as it did.
 *
 * When the instance lacks those internals (a gossipsub release renamed them),
 * gossipsub runs as it comes, each message in an RPC of its own, and a process
 * warning (code PEERMON_GOSSIP_BATCHING) says so once: the node works, at the
 * per-RPC cost docs/benchmarks.md measures without batching.
 */
export function batchForwarding<T> (pubsub: T, windowMs = 0): T {
  const gs = pubsub as unknown as GossipSubInternals
  const send = gs.sendRpc
  if (typeof send !== 'function' || !(gs.streamsOutbound instanceof Map)) {
    warnUnbatched(typeof send !== 'function' ? 'sendRpc()' : 'streamsOutbound')
    return pubsub
  }
  const queued = new Map<string, unknown[]>()
  let scheduled = false

  const flushPeer = (id: string): void => {
    const messages = queued.get(id)
    if (messages === undefined) return
    queued.delete(id)
    send.call(gs, id, { subscriptions: [], messages, control: undefined })
  }
  const flushAll = (): void => {
    scheduled = false
    for (const id of queued.keys()) flushPeer(id) // deleting the current key while iterating a Map is safe
  }

  gs.sendRpc = (id: string, rpc: Rpc): boolean => {
    const onlyMessages = rpc.control == null && (rpc.subscriptions?.length ?? 0) === 0 && (rpc.messages?.length ?? 0) > 0
    if (!onlyMessages) {
      flushPeer(id)
      return send.call(gs, id, rpc)
    }
    if (!gs.streamsOutbound.has(id)) return false
    const messages = queued.get(id)
    if (messages === undefined) queued.set(id, [...rpc.messages as unknown[]])
    else messages.push(...rpc.messages as unknown[])
    if (!scheduled) {
      scheduled = true
      if (windowMs > 0) setTimeout(flushAll, windowMs)
      else setImmediate(flushAll)
    }
    return true
  }
  batched.add(gs)
  return pubsub
}

function warnUnbatched (missing: string): void {
  warnInternalMoved('PEERMON_GOSSIP_BATCHING', `gossipsub has no ${missing}`,
    'forwarded messages are sent one RPC each, without peermon\'s batching (src/libp2p/gossip-batching.ts)')
}
