/**
 * The roster of known peers: their records, least recently heard from first;
 * the bytes they hold in the budget (the `peers` account) and the share held
 * by unconfirmed ones; which are silent, and the order those are evicted in;
 * and the replay record of peers forgotten (and of leave notices of peers
 * never known), so that their old reports stay refused. The core (monitor.ts)
 * decides when a peer comes, is heard from and goes; the roster keeps the books
 * and picks whom to evict.
 */
import type { Admission } from './admission.js'
import type { BudgetAccount, StateBudget } from './budget.js'
import { stringBytes } from './budget.js'
import { popHeap, pushHeap } from './heap.js'
import { isEvictable, peerState } from './peer-record.js'
import type { PeerRecord } from './peer-record.js'
import { DEFAULT_REPLAY_MEMORY_CAPACITY, REPLAY_MEMORY_ENTRY_BYTES, ReplayMemory } from './replay-memory.js'

/** Leave notices of unknown peers remembered (entries of REPLAY_MEMORY_ENTRY_BYTES each). */
const LEFT_UNKNOWN_CAPACITY = 1_024

/** A silent peer that may be evicted, as the eviction heap saw it. */
interface EvictEntry { record: PeerRecord, bytes: number, confirmed: boolean, gen: number }

/** Forgets an evicted peer (the core's `forget`, which calls {@link Roster.remove}). */
export type Evict = (record: PeerRecord) => void

export interface RosterInit {
  budget: StateBudget
  /** Told of the bytes of unconfirmed peers each neighbour brought; its limits bound their share. */
  admission: Admission
  maxPeers: number
  /** The heartbeat metric: a peer whose heartbeat alerts may be evicted. */
  pingMetric: string
}

export class Roster {
  /** The last (epoch, seq) of forgotten peers, so their old reports stay refused (replay-memory.ts); at most an eighth of the budget. */
  readonly replayMemory: ReplayMemory
  /** Known peers, least recently heard from first. */
  private readonly records = new Map<string, PeerRecord>()
  /** Known peers that are not alive (left, or alerting): those eviction looks at. */
  private readonly silent = new Set<PeerRecord>()
  /** Silent peers that may be evicted: unconfirmed first, then the heaviest (lazy: entries are checked when they surface). */
  private readonly evictHeap: EvictEntry[] = []
  /**
   * Leave notices of peers not known. A node just started may get a peer's leave
   * notice through gossip before one of its older reports; without the mark the
   * report would bring the peer back, to alert a TTL later. A replay memory of its
   * own, small and not charged to the budget (at most 32 KiB): a flood of notices
   * of invented peers only overwrites older notices, never the marks of peers this
   * node forgot.
   */
  private readonly leftUnknown = new ReplayMemory(LEFT_UNKNOWN_CAPACITY)
  private readonly budget: StateBudget
  private readonly account: BudgetAccount
  private readonly replayAccount: BudgetAccount
  private readonly admission: Admission
  private readonly maxPeers: number
  private readonly pingMetric: string
  /** Bytes of unconfirmed peers (their share of the budget is bounded), and how many they are. */
  private unconfirmedHeld = 0
  private unconfirmedCount = 0

  constructor (init: RosterInit) {
    this.budget = init.budget
    this.account = init.budget.account('peers')
    this.replayMemory = new ReplayMemory(replayCapacity(init.budget.limitBytes))
    this.replayAccount = init.budget.account('replay')
    this.chargeReplay()
    this.admission = init.admission
    this.maxPeers = init.maxPeers
    this.pingMetric = init.pingMetric
  }

  /** The budget account of peer state, which the metric store charges too. */
  get peersAccount (): BudgetAccount {
    return this.account
  }

  get size (): number {
    return this.records.size
  }

  get unconfirmedBytes (): number {
    return this.unconfirmedHeld
  }

  get unconfirmedPeers (): number {
    return this.unconfirmedCount
  }

  /** The bound on the bytes unconfirmed peers hold together: a share of the budget. */
  unconfirmedLimit (): number {
    return Math.floor(this.budget.limitBytes * this.admission.limits.unconfirmedShare)
  }

  get (peer: string): PeerRecord | undefined {
    return this.records.get(peer)
  }

  /** Known peers, least recently heard from first. */
  values (): IterableIterator<PeerRecord> {
    return this.records.values()
  }

  /**
   * Peers whose reports are expected: not left and not in alert. Local health
   * counts unconfirmed ones (admission.ts) towards isolation only: invented peers
   * that fall silent together must not make this node doubt itself (`receive`)
   * and hold back its alerts on real ones.
   */
  * live (): Generator<PeerRecord> {
    for (const record of this.records.values()) {
      if (!this.silent.has(record)) yield record
    }
  }

  /** Whether a report of a peer not known is an old one: of a peer forgotten, or after its leave notice. */
  refuses (peer: string, epoch: number, seq: number): boolean {
    return this.replayMemory.refuses(peer, epoch, seq) || this.leftUnknown.refuses(peer, epoch, seq)
  }

  /** The leave notice of a peer not known: its older reports stay refused. */
  leftUnknownPeer (peer: string, epoch: number, seq: number): void {
    this.leftUnknown.remember(peer, epoch, seq)
  }

  /** Takes in an admitted peer (its own bytes charged) and drops its replay marks: its live record decides now. */
  add (record: PeerRecord): void {
    this.account.charge(record.ownBytes)
    if (!record.confirmed) {
      this.unconfirmedCount++
      this.unconfirmedHeld += record.ownBytes
      this.admission.chargeSource(record.source, record.ownBytes)
    }
    this.replayMemory.delete(record.peer)
    this.leftUnknown.delete(record.peer)
    this.chargeReplay()
    this.records.set(record.peer, record)
  }

  /** Moves a peer to the most recently heard end. */
  heard (record: PeerRecord): void {
    this.records.delete(record.peer)
    this.records.set(record.peer, record)
  }

  /** Keeps the peer's stated addresses, charged to its own bytes (bounded by ReportLimits.maxAddrs and maxAddrLength). */
  setAddrs (record: PeerRecord, addrs: string[]): void {
    const bytes = (list: string[]): number => list.reduce((sum, addr) => sum + stringBytes(addr), 0)
    const delta = bytes(addrs) - bytes(record.addrs)
    record.addrs = addrs
    record.ownBytes += delta
    this.account.charge(delta)
  }

  /** Marks a peer confirmed: its bytes leave the unconfirmed share. */
  confirm (record: PeerRecord): void {
    if (record.confirmed) return
    record.confirmed = true
    if (this.records.get(record.peer) === record) {
      this.unconfirmedCount--
      this.unconfirmedHeld -= record.bytes
      this.admission.chargeSource(record.source, -record.bytes)
      if (this.silent.has(record)) this.pushEvictable(record)
    }
  }

  /** Brings a peer's charged bytes up to date after its report changed its windows (`windowBytes`: the store's bytes of it). */
  updateBytes (record: PeerRecord, windowBytes: number): void {
    const bytes = record.ownBytes + windowBytes
    if (!record.confirmed) {
      this.unconfirmedHeld += bytes - record.bytes
      this.admission.chargeSource(record.source, bytes - record.bytes)
    }
    record.bytes = bytes
  }

  /** Keeps the silent set (and the eviction order) in step with a known peer's state, after anything that may have changed it. */
  updateSilent (record: PeerRecord): void {
    if (peerState(record) === 'alive') {
      this.silent.delete(record)
    } else {
      this.silent.add(record)
      if (isEvictable(record, this.pingMetric)) this.pushEvictable(record)
    }
  }

  /** Drops a forgotten peer and releases its bytes; its last (epoch, seq) goes to the replay record. */
  remove (record: PeerRecord): void {
    this.records.delete(record.peer)
    this.silent.delete(record)
    this.account.charge(-record.ownBytes)
    if (!record.confirmed) {
      this.unconfirmedCount--
      this.unconfirmedHeld -= record.bytes
      this.admission.chargeSource(record.source, -record.bytes)
    }
    record.evictGen++
    this.replayMemory.remember(record.peer, record.epoch, record.seq)
    this.chargeReplay()
  }

  /**
   * Whether `bytes` more fit in the budget, after evicting silent peers (never
   * `keep`, the peer growing) if needed.
   */
  freeBudget (bytes: number, keep: PeerRecord | undefined, evict: Evict): boolean {
    if (this.account.fits(bytes)) return true
    return this.evictUntil(() => this.account.fits(bytes), keep, evict, false)
  }

  /**
   * Whether a new peer fits under maxPeers, after evicting the silent peer that
   * comes first if needed. O(1) when every peer is alive, so a flood of new peer
   * ids at capacity costs no scan.
   */
  freePeerSlot (evict: Evict): boolean {
    if (this.records.size < this.maxPeers) return true
    if (this.silent.size === 0) return false
    return this.evictUntil(() => this.records.size < this.maxPeers, undefined, evict, false)
  }

  /** Whether `bytes` more of unconfirmed peers fit in their share, after evicting silent unconfirmed peers if needed. */
  freeUnconfirmedShare (bytes: number, evict: Evict): boolean {
    const limit = this.unconfirmedLimit()
    if (this.unconfirmedHeld + bytes <= limit) return true
    return this.evictUntil(() => this.unconfirmedHeld + bytes <= limit, undefined, evict, true)
  }

  /**
   * Evicts silent peers (left, or their heartbeat in alert), unconfirmed ones
   * first and the heaviest first, until `enough` holds. `unconfirmedOnly`: only
   * unconfirmed ones. Never a live peer.
   */
  private evictUntil (enough: () => boolean, keep: PeerRecord | undefined, evict: Evict, unconfirmedOnly: boolean): boolean {
    const skipped: EvictEntry[] = []
    let done = enough()
    while (!done && this.evictHeap.length > 0) {
      const entry = this.evictHeap[0]
      const { record } = entry
      if (unconfirmedOnly && entry.confirmed) break
      popHeap(this.evictHeap, evictFirst)
      if (entry.gen !== record.evictGen || this.records.get(record.peer) !== record || !isEvictable(record, this.pingMetric)) continue
      if (record === keep) {
        skipped.push(entry)
        continue
      }
      if (entry.bytes !== record.bytes || entry.confirmed !== record.confirmed) {
        this.pushEvictable(record)
        continue
      }
      evict(record)
      done = enough()
    }
    for (const entry of skipped) pushHeap(this.evictHeap, entry, evictFirst)
    return done
  }

  private pushEvictable (record: PeerRecord): void {
    record.evictGen++
    pushHeap(this.evictHeap, { record, bytes: record.bytes, confirmed: record.confirmed, gen: record.evictGen }, evictFirst)
    // Stale entries (peers back alive, forgotten, re-pushed) are dropped when they outnumber the live ones.
    if (this.evictHeap.length > 64 && this.evictHeap.length > 2 * this.silent.size) {
      const live = this.evictHeap.filter((e) => e.gen === e.record.evictGen && this.records.get(e.record.peer) === e.record)
      this.evictHeap.length = 0
      for (const e of live) pushHeap(this.evictHeap, e, evictFirst)
    }
  }

  /** Keeps the budget's `replay` account equal to what the replay record holds. */
  private chargeReplay (): void {
    this.replayAccount.charge(this.replayMemory.bytes - this.replayAccount.bytes)
  }
}

/** Eviction order: unconfirmed peers before confirmed ones, then the heaviest first, then the least recently heard from. */
function evictFirst (a: EvictEntry, b: EvictEntry): boolean {
  if (a.confirmed !== b.confirmed) return !a.confirmed
  if (a.bytes !== b.bytes) return a.bytes > b.bytes
  return a.record.lastHeardAt < b.record.lastHeardAt
}

/** Forgotten peers the replay record keeps: a power of two whose full size is at most an eighth of `budgetBytes`, from 16 to its default (2^20: 32 MiB for the default 256 MiB). */
export function replayCapacity (budgetBytes: number): number {
  const entries = budgetBytes / 8 / REPLAY_MEMORY_ENTRY_BYTES
  return Math.min(DEFAULT_REPLAY_MEMORY_CAPACITY, Math.max(16, 2 ** Math.floor(Math.log2(Math.max(1, entries)))))
}
