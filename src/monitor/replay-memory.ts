import { createHash, randomBytes } from 'node:crypto'

/** Default number of forgotten peers remembered: 2^20 (32 MiB when full). */
export const DEFAULT_REPLAY_MEMORY_CAPACITY = 2 ** 20
/** Entries allocated at first; the arrays double as forgotten peers come, up to the capacity. */
const INITIAL_ENTRIES = 1_024
/** Bytes per entry: hash (8), epoch (8), seq (8), and two index slots of 4 (the index is kept at most half full). */
export const REPLAY_MEMORY_ENTRY_BYTES = 32

/**
 * The replay high-water mark of forgotten peers: the (epoch, seq) of the last
 * report accepted from each of the last `capacity` peers the monitor forgot,
 * so that a forgotten peer's old signed reports, sent again, stay refused
 * (`replay`) while its newer ones (a later seq, or a later epoch after a
 * restart) are accepted as before.
 *
 * Compact and bounded: a peer is kept as a 64-bit keyed hash of its id (not
 * the id), with its epoch and seq, in typed arrays: 32 bytes an entry with
 * the index, allocated as entries come, at most `capacity` entries
 * ({@link bytes} says how much it holds now). When full, the peer forgotten
 * longest ago is overwritten first.
 *
 * The hash is SHA-256 of a random per-process key and the peer id, cut to 64
 * bits: a peer cannot choose its id to collide with another's (it does not
 * know the key). Two peers share a hash by chance with a probability of about
 * n / 2^64 per lookup (n entries): at 2^20 entries, 2^-44. A collision can
 * only refuse a report whose (epoch, seq) is not above the other peer's
 * (epoch is the sender's start wall clock), until that entry is overwritten
 * or the peer restarts; it never makes a replay pass.
 */
export class ReplayMemory {
  readonly capacity: number
  private readonly key = randomBytes(16)
  /** Entries in the order they were remembered, a ring: hash (two halves), epoch, seq; hash 0 is a free slot. */
  private hashHi: Uint32Array
  private hashLo: Uint32Array
  private epochs: Float64Array
  private seqs: Float64Array
  /** Next ring slot to write (the oldest entry once the ring is full). */
  private next = 0
  /** Open addressing, linear probing: entry index + 1, 0 when empty. At least twice the entries. */
  private index: Uint32Array
  private live = 0

  /** Throws RangeError unless capacity is a whole number ≥ 1 (up to 2^28). */
  constructor (capacity = DEFAULT_REPLAY_MEMORY_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 28) throw new RangeError(`replay memory capacity must be a whole number from 1 to 2^28, got ${capacity}`)
    this.capacity = capacity
    const entries = Math.min(capacity, INITIAL_ENTRIES)
    this.hashHi = new Uint32Array(entries)
    this.hashLo = new Uint32Array(entries)
    this.epochs = new Float64Array(entries)
    this.seqs = new Float64Array(entries)
    this.index = new Uint32Array(indexSize(entries))
  }

  /** Forgotten peers remembered now. */
  get size (): number {
    return this.live
  }

  /** Bytes held by its arrays now (they grow with the entries, up to capacity × 32). */
  get bytes (): number {
    return this.hashHi.byteLength + this.hashLo.byteLength + this.epochs.byteLength + this.seqs.byteLength + this.index.byteLength
  }

  /** Remembers a forgotten peer's last accepted (epoch, seq), replacing what it held for that peer. */
  remember (peer: string, epoch: number, seq: number): void {
    const [hi, lo] = this.hash(peer)
    const found = this.find(hi, lo)
    if (found >= 0) this.unlink(found)
    if (this.next === this.hashHi.length) this.rollOver()
    const slot = this.next++
    if (this.hashLo[slot] !== 0 || this.hashHi[slot] !== 0) this.unlink(slot)
    this.hashHi[slot] = hi
    this.hashLo[slot] = lo
    this.epochs[slot] = epoch
    this.seqs[slot] = seq
    let i = lo & (this.index.length - 1)
    while (this.index[i] !== 0) i = (i + 1) & (this.index.length - 1)
    this.index[i] = slot + 1
    this.live++
  }

  /** Whether a report of `peer` with this (epoch, seq) is not later than the last one accepted before it was forgotten. */
  refuses (peer: string, epoch: number, seq: number): boolean {
    if (this.live === 0) return false
    const [hi, lo] = this.hash(peer)
    const slot = this.find(hi, lo)
    if (slot < 0) return false
    return !(epoch > this.epochs[slot] || (epoch === this.epochs[slot] && seq > this.seqs[slot]))
  }

  /** Drops what it holds for `peer` (known again: its live record decides from now on). */
  delete (peer: string): void {
    if (this.live === 0) return
    const [hi, lo] = this.hash(peer)
    const slot = this.find(hi, lo)
    if (slot >= 0) this.unlink(slot)
  }

  /** The peer's 64-bit keyed hash as [high, low] halves; never [0, 0], which marks a free slot. */
  private hash (peer: string): [number, number] {
    const digest = createHash('sha256').update(this.key).update(peer).digest()
    const hi = digest.readUInt32LE(0)
    const lo = digest.readUInt32LE(4)
    return hi === 0 && lo === 0 ? [0, 1] : [hi, lo]
  }

  /** The ring slot holding this hash, or -1. */
  private find (hi: number, lo: number): number {
    const mask = this.index.length - 1
    for (let i = lo & mask; this.index[i] !== 0; i = (i + 1) & mask) {
      const slot = this.index[i] - 1
      if (this.hashLo[slot] === lo && this.hashHi[slot] === hi) return slot
    }
    return -1
  }

  /** Frees a ring slot and removes it from the index (backward-shift deletion: no tombstones). */
  private unlink (slot: number): void {
    const mask = this.index.length - 1
    let i = this.hashLo[slot] & mask
    while (this.index[i] !== slot + 1) i = (i + 1) & mask
    for (let j = (i + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashLo[this.index[j] - 1] & mask
      // The entry at j may move back to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? (i < home && home <= j) : (i < home || home <= j)
      if (stays) continue
      this.index[i] = this.index[j]
      i = j
    }
    this.index[i] = 0
    this.hashHi[slot] = 0
    this.hashLo[slot] = 0
    this.live--
  }

  /**
   * The ring's end is reached; there, array order is age order. Mostly freed
   * (peers that came back): packs the entries to the front. Else doubles the
   * arrays, up to capacity. At capacity: starts again at the front, over the
   * oldest entries. Each packing or doubling follows at least length / 2
   * writes, so the cost per write stays constant.
   */
  private rollOver (): void {
    const length = this.hashHi.length
    if (this.live > length / 2 && length >= this.capacity) {
      this.next = 0
      return
    }
    const entries = this.live > length / 2 ? Math.min(this.capacity, length * 2) : length
    const old = { hi: this.hashHi, lo: this.hashLo, epochs: this.epochs, seqs: this.seqs }
    this.hashHi = new Uint32Array(entries)
    this.hashLo = new Uint32Array(entries)
    this.epochs = new Float64Array(entries)
    this.seqs = new Float64Array(entries)
    this.index = new Uint32Array(indexSize(entries))
    const mask = this.index.length - 1
    let slot = 0
    for (let k = 0; k < length; k++) {
      if (old.hi[k] === 0 && old.lo[k] === 0) continue
      this.hashHi[slot] = old.hi[k]
      this.hashLo[slot] = old.lo[k]
      this.epochs[slot] = old.epochs[k]
      this.seqs[slot] = old.seqs[k]
      let i = old.lo[k] & mask
      while (this.index[i] !== 0) i = (i + 1) & mask
      this.index[i] = ++slot
    }
    this.next = slot
  }
}

/** Index slots for `entries`: the power of two at least twice it. */
function indexSize (entries: number): number {
  return 2 ** Math.ceil(Math.log2(entries * 2))
}
