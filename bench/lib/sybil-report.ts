/**
 * The tables of the Sybil flood benchmark (bench/sybil.ts, bench/index.ts):
 * each daemon's memory over time, and issue 13's targets, met or not.
 */
import type { FloodResult } from './sybil-flood.js'
import { fmt, type Table } from './table.js'

export type Mode = 'paced' | 'unpaced'
/** Reports a second of the paced flood: about what a daemon takes in (issue 13). */
export const PACED_RATE = 300
/** The heap target when a daemon exposes no budget: the issue's example default. */
const DEFAULT_BUDGET_MIB = 256
/** The fixed margin over the budget: what an idle daemon's heap already holds (libp2p, gossipsub, V8), with room. */
const HEAP_MARGIN_MIB = 128
/**
 * Invented peers' hook runs per daemon over the whole run that still count as "no storm": a small
 * allowance (the budget's work lets about 10 through, then sums the rest up in `crowded` events).
 */
const STORM_HOOKS = 20

/** The budget a daemon exposes (`peermon_state_budget_bytes`), MiB. */
function budgetLimitMiB (budget: Record<string, number>): number | undefined {
  const bytes = budget.peermon_state_budget_bytes
  return bytes === undefined ? undefined : bytes / 2 ** 20
}

export interface SybilRow { mode: Mode, load1: number, result: FloodResult }

/** Each daemon's RSS and heap over time, one line per daemon. */
export function memoryTable (row: SybilRow): Table {
  const r = row.result
  const times = r.daemons[0].samples.filter((s) => s.heapMiB !== undefined).map((s) => s.t)
  return {
    title: `${row.mode}: memory of each daemon over time (MiB, RSS / heap; t = seconds since the flood started, it stopped at ${r.durationMs / 1000} s)`,
    columns: ['daemon', 'role', ...times.map((t) => `t=${fmt(t, 0)}`), 'max RSS', 'max heap', 'crashed'],
    rows: r.daemons.map((d) => [d.index, d.role,
      ...times.map((t) => {
        const s = d.samples.find((x) => x.t === t && x.heapMiB !== undefined) ?? d.samples.find((x) => Math.abs(x.t - t) < 1.5 && x.heapMiB !== undefined)
        return s === undefined ? '' : `${fmt(s.rssMiB, 0)}/${fmt(s.heapMiB, 0)}`
      }),
      fmt(d.maxRssMiB, 0), fmt(d.maxHeapMiB, 0), d.crashed === undefined ? 'no' : d.crashed.split('\n')[0]]),
    notes: [
      `peers seen by daemon 0 (alive/alerting) at the samples: ${r.daemons[0].samples.filter((s) => s.alive !== undefined).map((s) => `${s.alive}/${s.alerting}`).join(', ')}`,
      `reports accepted by each daemon: ${r.daemons.map((d) => d.accepted).join(', ')} (the rogue queued ${r.sent}); events of daemon 0: ${JSON.stringify(r.daemons[0].eventCounts)}`,
      `drops at daemon 0: ${JSON.stringify(Object.fromEntries(Object.entries(r.daemons[0].dropped).filter(([, n]) => n > 0)))}`,
      ...Object.keys(r.daemons[0].budget).length > 0 ? [`budget/admission series at daemon 0 at the end: ${JSON.stringify(r.daemons[0].budget)}`] : ['no budget or admission series (peermon_state_*, peermon_admission_*) on /metrics']
    ]
  }
}

/** The issue's targets, met or not. */
export function targetsTable (rows: SybilRow[]): Table {
  const lines: Array<[string, string, string, string]> = []
  for (const { mode, result: r } of rows) {
    const budgets = r.daemons.map((d) => budgetLimitMiB(d.budget))
    const limit = budgets.find((b) => b !== undefined)
    const bound = (limit ?? DEFAULT_BUDGET_MIB) + HEAP_MARGIN_MIB
    const maxHeap = Math.max(...r.daemons.map((d) => d.maxHeapMiB))
    const crashed = r.daemons.filter((d) => d.crashed !== undefined)
    lines.push([mode, `heap ≤ budget + ${HEAP_MARGIN_MIB} MiB (${fmt(bound, 0)} MiB${limit === undefined ? `: no budget on /metrics, the issue's ${DEFAULT_BUDGET_MIB} MiB` : ''})`,
      `max ${fmt(maxHeap, 0)} MiB (${r.daemons.map((d) => fmt(d.maxHeapMiB, 0)).join(', ')}); max RSS ${fmt(Math.max(...r.daemons.map((d) => d.maxRssMiB)), 0)} MiB`, maxHeap <= bound ? 'met' : 'not met'])
    lines.push([mode, 'no daemon crashes', crashed.length === 0 ? 'none' : crashed.map((d) => `${d.index}: ${d.crashed?.split('\n')[0] ?? ''}`).join('; '), crashed.length === 0 ? 'met' : 'not met'])
    const joins = r.joinMs
    lines.push([mode, 'joiners monitored by everyone ≤ 10 s', joins.map((ms) => ms === undefined ? 'never' : `${fmt(ms / 1000, 1)} s`).join(', '),
      joins.length > 0 && joins.every((ms) => ms !== undefined && ms <= 10_000) ? 'met' : 'not met'])
    lines.push([mode, 'no honest live peer evicted', `${r.honestEvicted.length} evicted; ${r.falseAlerts} false alerts about honest peers`, r.honestEvicted.length === 0 ? 'met' : 'not met'])
    const bad = r.crashAlertMs.filter((ms) => ms === undefined || ms > r.ttlMs + 1000)
    lines.push([mode, `crash alerted ≤ TTL + 1 s (${(r.ttlMs + 1000) / 1000} s) by every survivor`, r.crashAlertMs.map((ms) => ms === undefined ? 'none' : `${fmt(ms / 1000, 2)} s`).join(', '), bad.length === 0 ? 'met' : 'not met'])
    const rp = r.replay
    lines.push([mode, 'replay after forgetting refused',
      rp.tried ? `${rp.sent} sent, ${rp.refusedAsReplay} dropped as replay, ${rp.rejoined ? 'victim joined again' : 'victim stayed forgotten'}` : `not tried: ${rp.note ?? ''}`,
      !rp.tried || rp.sent === 0 ? 'not measured' : !rp.rejoined && rp.refusedAsReplay > 0 ? 'met' : 'not met'])
    const alerts = r.daemons.map((d) => d.inventedAlerts)
    const hooks = r.daemons.map((d) => d.inventedHooks)
    const worstHooks = Math.max(...hooks.map((h) => h.during + h.after))
    lines.push([mode, `no alert storm from invented peers (≤ ${STORM_HOOKS} hook runs a daemon)`,
      `alerts during/after the flood per daemon: ${alerts.map((a) => `${a.during}/${a.after}`).join(', ')}; hook runs: ${hooks.map((h) => `${h.during}/${h.after}`).join(', ')}; hook warnings: ${r.daemons.map((d) => d.hookWarnings).join(', ')}`,
      worstHooks <= STORM_HOOKS ? 'met' : 'not met'])
  }
  return {
    title: 'Issue 13 targets under a Sybil flood',
    columns: ['flood', 'target', 'measured', 'met'],
    rows: lines,
    notes: rows.map(({ mode, load1, result: r }) => `${mode}: ${r.sent} reports from as many invented signers in ${r.durationMs / 1000} s (${fmt(r.sentPerSecond, 0)}/s; the rogue's stream was closed and dialled again ${r.redials} times), ${r.nodes} daemons + ${r.joinMs.length} joiners, interval ${r.intervalMs / 1000} s, TTL ${r.ttlMs / 1000} s, retention ${r.retentionMs / 1000} s, load ${fmt(load1, 1)} at the start`)
  }
}

