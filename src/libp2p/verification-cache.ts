/**
 * Signature checks shared by the nodes of one process. Gossipsub verifies
 * the signature of every message it has not seen, once per node: a process
 * running 50 nodes verifies each report 49 times, and @libp2p/crypto
 * re-imports the signer's Ed25519 key from JWK (crypto.createPublicKey) for
 * every one. With this cache a node's gossipsub
 * - imports each signer's key once (a bounded map of raw key → KeyObject), and
 * - remembers the signatures that verified, keyed by the WHOLE signed message:
 *   a hit needs the same signature, the same signer's key and the same signed
 *   bytes (gossipsub's "libp2p-pubsub:" + the message's from, data, seqno and
 *   topic), compared byte for byte. A copy that differs in any byte (forged
 *   data or signature under a real from/seqno) misses and is verified from
 *   scratch. Only good signatures are remembered; the memo is bounded (oldest
 *   out first).
 * SECURITY.md argues both.
 *
 * The hook: gossipsub verifies with `publicKey.verify(bytes, signature)` on
 * an Ed25519PublicKey it builds from the message (buildRawMessage.js), in the
 * synchronous part of its `validateReceivedMessage`. `cacheVerification`
 * wraps that method of one gossipsub instance so the cache is active while it
 * runs; the Ed25519PublicKey prototype's `verify` consults the cache only
 * then and is otherwise unchanged, so other nodes of the process (and Noise,
 * identify, ...) verify as they always did. Should a gossipsub release verify
 * after an await, the cache is simply not active and every check runs in
 * full: slower, never wrong.
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { warnInternalMoved } from './gossip-internals.js'

/** Good signatures remembered per process (about 0.5 KB each for a report: about 2 MB at most). */
export const DEFAULT_MEMO_ENTRIES = 4096
/** Imported signer keys kept per process. */
export const DEFAULT_KEY_ENTRIES = 1024

const ED25519_KEY_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64

export interface VerificationCacheStats {
  /** Verifications asked of the cache. */
  checks: number
  /** Answered from the memo of good signatures. */
  memoHits: number
  /** Keys imported (cache misses of the key cache). */
  keyImports: number
}

/**
 * A bounded map whose oldest entry goes when it is full (insertion order;
 * no reordering on reads, so a read costs one lookup).
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>()
  constructor (readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
  }

  get size (): number { return this.entries.size }
  get (key: K): V | undefined { return this.entries.get(key) }

  set (key: K, value: V): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as K)
    }
    this.entries.set(key, value)
  }

  clear (): void { this.entries.clear() }
}

function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** A good signature, remembered with the key and the bytes it signed. */
interface Verified {
  publicKey: Uint8Array
  data: Uint8Array
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

export interface VerificationCacheInit {
  /** Remember good signatures (default true); false: only the key cache. */
  memo?: boolean
  memoEntries?: number
  keyEntries?: number
}

/** Ed25519 verification with imported keys kept per signer and, optionally, good signatures remembered. */
export class VerificationCache {
  private readonly keys: BoundedMap<string, KeyObject>
  /** Good signatures by the signature's bytes; a hit must match the key and the signed bytes too, byte for byte. */
  private readonly memo?: BoundedMap<string, Verified>
  private readonly counts: VerificationCacheStats = { checks: 0, memoHits: 0, keyImports: 0 }
  /**
   * Gossipsub instances verifying through this cache (cacheVerification). With
   * exactly one (a daemon alone in its process) nobody else will ever ask for
   * the same signature again, so the memo is neither read nor filled: no copy
   * of every message on the hot path, no 2 MB held for nothing.
   */
  users = 0

  constructor (init: VerificationCacheInit = {}) {
    this.keys = new BoundedMap(init.keyEntries ?? DEFAULT_KEY_ENTRIES)
    if (init.memo !== false) this.memo = new BoundedMap(init.memoEntries ?? DEFAULT_MEMO_ENTRIES)
  }

  /** Whether `signature` is `publicKey`'s Ed25519 signature of `data`. Throws TypeError on bad lengths, as @libp2p/crypto does. */
  verify (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.byteLength !== ED25519_KEY_BYTES) throw new TypeError('"key" must be 32 bytes in length.')
    if (signature.byteLength !== ED25519_SIGNATURE_BYTES) throw new TypeError('"sig" must be 64 bytes in length.')
    this.counts.checks++
    const signatureKey = this.memo === undefined || this.users === 1 ? undefined : latin1(signature)
    const known = signatureKey === undefined ? undefined : this.memo?.get(signatureKey)
    if (known !== undefined && equalBytes(known.publicKey, publicKey) && equalBytes(known.data, data)) {
      this.counts.memoHits++
      return true
    }
    const good = verifySignature(null, data, this.keyObject(publicKey), signature)
    // Copies (`new Uint8Array(x)` copies; a Buffer's slice() would not): the caller's memory may be reused.
    if (good && signatureKey !== undefined) this.memo?.set(signatureKey, { publicKey: new Uint8Array(publicKey), data: new Uint8Array(data) })
    return good
  }

  stats (): VerificationCacheStats { return { ...this.counts } }

  get memoSize (): number { return this.memo?.size ?? 0 }

  private keyObject (raw: Uint8Array): KeyObject {
    const id = latin1(raw)
    let key = this.keys.get(id)
    if (key === undefined) {
      key = createPublicKey({ format: 'jwk', key: { crv: 'Ed25519', x: Buffer.from(raw).toString('base64url'), kty: 'OKP' } })
      this.keys.set(id, key)
      this.counts.keyImports++
    }
    return key
  }
}

/** The process's caches: one with the memo, one with keys only; they are what the nodes of a process share. */
const processCaches: { memo?: VerificationCache, keys?: VerificationCache } = {}

/** The process-wide cache nodes share (created on first use). */
export function processVerificationCache (memo = true): VerificationCache {
  const which = memo ? 'memo' : 'keys'
  processCaches[which] ??= new VerificationCache({ memo })
  return processCaches[which]
}

/** The cache of the gossipsub validation running right now, if any. */
let active: VerificationCache | undefined
let hooked: boolean | undefined

interface Ed25519Verify {
  raw: Uint8Array
  verify: (data: Uint8Array, signature: Uint8Array, options?: unknown) => boolean | Promise<boolean>
}

/** Routes Ed25519PublicKey.verify through `active` while it is set. Returns false when the class is not what is expected. */
function installHook (): boolean {
  if (hooked !== undefined) return hooked
  const prototype = Object.getPrototypeOf(publicKeyFromRaw(new Uint8Array(ED25519_KEY_BYTES))) as Ed25519Verify
  const original = prototype.verify
  if (typeof original !== 'function') {
    hooked = false
    return false
  }
  prototype.verify = function (this: Ed25519Verify, data, signature, options) {
    const cache = active
    if (cache === undefined || options !== undefined || !(this.raw instanceof Uint8Array) || !(data instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
      return original.call(this, data, signature, options)
    }
    return cache.verify(this.raw, data, signature)
  }
  hooked = true
  return true
}

/** The internals of a GossipSub instance this module touches. */
interface GossipSubInternals {
  validateReceivedMessage: (propagationSource: unknown, rpcMsg: unknown) => Promise<unknown>
}

/**
 * Makes this gossipsub instance verify message signatures through `cache`
 * (default: the process's, shared by every node that opts in). Returns the
 * instance. When gossipsub lacks the method (a release renamed it), it runs
 * as it comes and a process warning (code PEERMON_VERIFICATION_CACHE) says so once.
 */
export function cacheVerification<T> (pubsub: T, cache: VerificationCache = processVerificationCache()): T {
  const gs = pubsub as unknown as GossipSubInternals
  const validate = gs.validateReceivedMessage
  if (typeof validate !== 'function' || !installHook()) {
    warnUncached()
    return pubsub
  }
  gs.validateReceivedMessage = function (propagationSource, rpcMsg) {
    const previous = active
    active = cache
    try {
      return validate.call(gs, propagationSource, rpcMsg)
    } finally {
      active = previous
    }
  }
  cache.users++
  return pubsub
}

function warnUncached (): void {
  warnInternalMoved('PEERMON_VERIFICATION_CACHE', 'gossipsub has no validateReceivedMessage() or @libp2p/crypto no Ed25519PublicKey.verify',
    'every node verifies every signature itself, without peermon\'s shared cache (src/libp2p/verification-cache.ts)')
}
