/**
 * End to end, on the harness of bench/sybil.ts (bench/lib/sybil-flood.ts): a
 * rogue connected to one of four real daemons floods them with full reports
 * from freshly invented signers. During the flood one daemon is SIGKILLed;
 * every survivor must still alert for it, and no daemon may crash. With a
 * short retention the killed daemon is soon forgotten; its captured signed
 * reports, replayed to the rogue's daemon after that, must be refused
 * (`replay`) and must not bring it back. Bounds are generous: the figures
 * belong to the benchmark (docs/benchmarks.md, "Sybil flood").
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runFlood } from '../../bench/lib/sybil-flood.js'

const TTL_MS = 3000
/**
 * The alert's bound after the kill: the TTL, plus local health's postponement while the invented
 * peers make the node doubt its own link (at most 2 TTLs: SECURITY.md, "Known gaps"), plus the rogue
 * test's slack for a shared, busy machine. Issue 13's target (TTL + 1 s) is the benchmark's to judge.
 */
const ALERT_BOUND_MS = 3 * TTL_MS + 5000

describe('a Sybil flood against real daemons', { timeout: 150_000 }, () => {
  it('a crash during the flood is still alerted by every survivor, no daemon crashes, and a forgotten peer\'s replayed report is refused', async (t) => {
    const result = await runFlood({
      nodes: 4,
      joiners: 0,
      durationMs: 9_000,
      rate: 100,
      ttlMs: TTL_MS,
      retentionMs: 5_000,
      afterMs: 2_000,
      // Gossipsub's duplicate check would hide the replay for 30 s (SEEN_TTL_MS): 3 s here, so the monitor sees it.
      daemonEnv: { PEERMON_GOSSIPSUB: JSON.stringify({ seenTTL: 3_000 }) },
      seenTtlMs: 3_000,
      log: (line) => { t.diagnostic(line) }
    })
    t.diagnostic(`sent ${result.sent} reports; crash alerts ${result.crashAlertMs.join(', ')} ms; max heap ${result.daemons.map((d) => Math.round(d.maxHeapMiB)).join(', ')} MiB; ` +
      `replay ${JSON.stringify(result.replay)}; invented-peer alerts ${result.daemons.map((d) => `${d.inventedAlerts.during}/${d.inventedAlerts.after}`).join(', ')}`)
    for (const d of result.daemons) t.diagnostic(`daemon ${d.index} (${d.role}) events: ${JSON.stringify(d.eventCounts)}`)
    assert.ok(result.sent > 100, `the rogue sent ${result.sent} reports`)
    for (const d of result.daemons) assert.equal(d.crashed, undefined, `daemon ${d.index} crashed: ${d.crashed ?? ''}`)
    for (const [k, ms] of result.crashAlertMs.entries()) {
      assert.ok(ms !== undefined, `survivor ${k} alerted for the killed daemon`)
      assert.ok(ms < ALERT_BOUND_MS, `survivor ${k} alerted ${ms} ms after the kill; bound ${ALERT_BOUND_MS} ms`)
    }
    // Alerts about live honest peers are counted, not asserted: on this shared 2-core machine the flood
    // can starve a daemon past a TTL (the benchmark reports them).
    t.diagnostic(`alerts about live honest peers: ${result.falseAlerts}`)
    assert.ok(result.replay.tried, `the killed daemon was forgotten (${result.replay.note ?? ''})`)
    assert.ok(result.replay.sent > 0, `its captured reports were replayed (${result.replay.note ?? ''})`)
    assert.ok(result.replay.refusedAsReplay > 0, 'the replayed reports were dropped as replay')
    assert.equal(result.replay.rejoined, false, 'the forgotten daemon did not join again')
  })
})
