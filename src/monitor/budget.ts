/**
 * One byte budget for everything a node keeps about its peers (SECURITY.md,
 * "One budget for peer state"). Each part that keeps state has an account and
 * charges it incrementally, with the estimates below; the budget is their sum.
 * The monitor core's peer state (records, tracked metrics, windows and their
 * strings) is the `peers` account; other parts (the replay record of forgotten
 * peers) open their own with {@link StateBudget.account} and must not grow
 * when {@link BudgetAccount.fits} says no.
 *
 * The estimates are a fixed cost per object plus the length of its strings.
 * The constants were measured with process.memoryUsage().heapUsed after two
 * full garbage collections (node 22, x64), on synthetic loads through
 * MonitorCore (100 to 5,000 peers with 1 or 64 names, windows of 1 or 25
 * entries, numbers or distinct 256-character texts): the growth per peer of
 * each load, solved for the three constants and rounded so that worst-case
 * loads are slightly overestimated. `test/unit/monitor-memory.test.ts` checks
 * estimate against heap (0.8 to 1.5; measured 1.00 to 1.07) on honest and
 * worst-case loads.
 */

/** Default budget of peer state: 256 MiB. */
export const DEFAULT_STATE_BUDGET_BYTES = 256 * 2 ** 20

/**
 * One known peer without metrics: its record, rate bucket and tracker deadline,
 * the Map entries that index it (records, store) and its per-peer Maps.
 */
export const PEER_BYTES = 800
/**
 * One (peer, metric name): the tracked metric and its expiry deadline, the
 * window and its ring's backing store (grown to the window size), the Map
 * entries of the per-peer and per-name indexes.
 */
export const NAME_BYTES = 600
/** One window entry (a ReceivedMetric with its boxed numbers and ring slot), without its text. */
export const ENTRY_BYTES = 120

/** Heap bytes of a string: V8's 16-byte header plus 1 byte per Latin-1 character (2 otherwise), 8-aligned. */
export function stringBytes (text: string): number {
  // eslint-disable-next-line no-control-regex
  const width = /[^\u0000-\u00ff]/.test(text) ? 2 : 1
  return (16 + text.length * width + 7) & ~7
}

/** One part's share of the budget. */
export class BudgetAccount {
  private used = 0

  constructor (readonly name: string, private readonly budget: StateBudget) {}

  /** Bytes this account holds now. */
  get bytes (): number {
    return this.used
  }

  /** Whether `bytes` more would stay within the budget (all accounts together). */
  fits (bytes: number): boolean {
    return this.budget.usedBytes + bytes <= this.budget.limitBytes
  }

  /** Adds `bytes` (negative: releases them). The caller checks {@link fits} first when it may refuse. */
  charge (bytes: number): void {
    this.used += bytes
    this.budget.moved(bytes)
  }
}

/** The budget: a limit and the accounts charged against it. */
export class StateBudget {
  readonly limitBytes: number
  private readonly accounts = new Map<string, BudgetAccount>()
  private used = 0

  /** Throws RangeError unless `limitBytes` is a positive integer. */
  constructor (limitBytes: number = DEFAULT_STATE_BUDGET_BYTES) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 1) throw new RangeError(`stateBudgetBytes must be an integer >= 1, got ${limitBytes}`)
    this.limitBytes = limitBytes
  }

  /** Bytes charged by every account. */
  get usedBytes (): number {
    return this.used
  }

  /** The account of that name, opened on first use. */
  account (name: string): BudgetAccount {
    let account = this.accounts.get(name)
    if (account === undefined) {
      account = new BudgetAccount(name, this)
      this.accounts.set(name, account)
    }
    return account
  }

  /** Bytes held by each account. */
  byAccount (): Record<string, number> {
    return Object.fromEntries([...this.accounts].map(([name, account]) => [name, account.bytes]))
  }

  /** @internal an account's charge */
  moved (bytes: number): void {
    this.used += bytes
  }
}
