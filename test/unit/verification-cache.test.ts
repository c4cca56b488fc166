/**
 * The per-process signature cache (src/libp2p/verification-cache.ts) with real
 * Ed25519 keys: a good signature is verified once and then remembered; a copy
 * that differs in its data, its signature or its key is never answered from
 * the memo; the memo and the key cache are bounded.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, it } from 'node:test'
import { BoundedMap, VerificationCache } from '../../src/libp2p/verification-cache.js'

function signer (): { publicKey: Uint8Array, sign: (data: Uint8Array) => Uint8Array } {
  const pair = generateKeyPairSync('ed25519')
  const jwk = pair.publicKey.export({ format: 'jwk' })
  return {
    publicKey: new Uint8Array(Buffer.from(jwk.x as string, 'base64url')),
    sign: (data) => new Uint8Array(sign(null, data, pair.privateKey))
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('VerificationCache', () => {
  it('verifies a good signature, then answers the same signed message from its memo', () => {
    const cache = new VerificationCache()
    const alice = signer()
    const data = bytes('libp2p-pubsub:report 1')
    const signature = alice.sign(data)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.equal(cache.verify(alice.publicKey, data.slice(), signature.slice()), true)
    assert.deepEqual(cache.stats(), { checks: 2, memoHits: 1, keyImports: 1 })
  })

  it('keeps no memo for a node alone in its process: the same message is verified again, nothing is held', () => {
    const cache = new VerificationCache()
    cache.users = 1
    const alice = signer()
    const data = bytes('libp2p-pubsub:report 1')
    const signature = alice.sign(data)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.deepEqual(cache.stats(), { checks: 2, memoHits: 0, keyImports: 1 }, 'the key is still imported once')
    assert.equal(cache.memoSize, 0)
    cache.users = 2
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.equal(cache.stats().memoHits, 1, 'a second node of the process: remembered again')
  })

  it('rejects a forged copy of a remembered message: other data, another signature, or another key under the same signature', () => {
    const cache = new VerificationCache()
    const alice = signer()
    const mallory = signer()
    const data = bytes('libp2p-pubsub:from alice seqno 7 data ok')
    const signature = alice.sign(data)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)

    const otherData = bytes('libp2p-pubsub:from alice seqno 7 data XX')
    assert.equal(cache.verify(alice.publicKey, otherData, signature), false, 'same signature, other data')
    const flipped = signature.slice()
    flipped[10] ^= 1
    assert.equal(cache.verify(alice.publicKey, data, flipped), false, 'same data, a flipped bit in the signature')
    assert.equal(cache.verify(mallory.publicKey, data, signature), false, 'same data and signature, another key')
    const longer = new Uint8Array([...data, 0])
    assert.equal(cache.verify(alice.publicKey, longer, signature), false, 'the data with a byte more')
    assert.equal(cache.stats().memoHits, 0, 'none of them was answered from the memo')
    // Mallory's own good signature of the same bytes does not displace a later hit check either.
    const mallorySig = mallory.sign(data)
    assert.equal(cache.verify(mallory.publicKey, data, mallorySig), true)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.equal(cache.stats().memoHits, 1)
  })

  it('keeps its own copy of what it remembers: the caller reusing its Buffer cannot turn a forged copy into a hit', () => {
    const cache = new VerificationCache()
    const alice = signer()
    const data = Buffer.from('libp2p-pubsub:real report')
    const signature = Buffer.from(alice.sign(data))
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    const forged = Buffer.from('libp2p-pubsub:fake report')
    forged.copy(data) // the caller's memory now holds the forged bytes (Buffer#slice() would have kept a view of it)
    assert.equal(cache.verify(alice.publicKey, forged, signature), false)
    assert.equal(cache.stats().memoHits, 0)
  })

  it('does not remember bad signatures', () => {
    const cache = new VerificationCache()
    const alice = signer()
    const data = bytes('x')
    const bad = alice.sign(bytes('y'))
    assert.equal(cache.verify(alice.publicKey, data, bad), false)
    assert.equal(cache.verify(alice.publicKey, data, bad), false)
    assert.equal(cache.stats().memoHits, 0)
    assert.equal(cache.memoSize, 0)
  })

  it('keeps at most memoEntries signatures and keyEntries keys, oldest out first', () => {
    const cache = new VerificationCache({ memoEntries: 3, keyEntries: 2 })
    const signers = [signer(), signer(), signer()]
    const messages = Array.from({ length: 5 }, (_, i) => ({ who: signers[i % 3], data: bytes(`message ${i}`) }))
    const signed = messages.map((m) => ({ ...m, signature: m.who.sign(m.data) }))
    for (const m of signed) assert.equal(cache.verify(m.who.publicKey, m.data, m.signature), true)
    assert.equal(cache.memoSize, 3)
    const hits = cache.stats().memoHits
    assert.equal(cache.verify(signed[4].who.publicKey, signed[4].data, signed[4].signature), true)
    assert.equal(cache.stats().memoHits, hits + 1, 'a recent one is remembered')
    assert.equal(cache.verify(signed[0].who.publicKey, signed[0].data, signed[0].signature), true)
    assert.equal(cache.stats().memoHits, hits + 1, 'the oldest was forgotten and is verified again')
    // 3 signers through a key cache of 2: the keys were re-imported as they cycled.
    assert.ok(cache.stats().keyImports > 3)
  })

  it('without the memo, only keys are cached', () => {
    const cache = new VerificationCache({ memo: false })
    const alice = signer()
    const data = bytes('z')
    const signature = alice.sign(data)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.equal(cache.verify(alice.publicKey, data, signature), true)
    assert.deepEqual(cache.stats(), { checks: 2, memoHits: 0, keyImports: 1 })
  })

  it('throws on a key or signature of the wrong length, as @libp2p/crypto does', () => {
    const cache = new VerificationCache()
    assert.throws(() => cache.verify(new Uint8Array(31), bytes('a'), new Uint8Array(64)), TypeError)
    assert.throws(() => cache.verify(new Uint8Array(32), bytes('a'), new Uint8Array(63)), TypeError)
  })
})

describe('BoundedMap', () => {
  it('drops the oldest entry when full; replacing an entry does not grow it', () => {
    const map = new BoundedMap<string, number>(2)
    map.set('a', 1)
    map.set('b', 2)
    map.set('a', 3)
    assert.equal(map.size, 2)
    map.set('c', 4)
    assert.equal(map.get('a'), undefined)
    assert.equal(map.get('b'), 2)
    assert.equal(map.get('c'), 4)
    assert.throws(() => new BoundedMap(0), RangeError)
  })
})
