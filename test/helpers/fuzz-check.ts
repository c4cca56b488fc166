/**
 * The properties the fuzz test and the fuzz campaign (scripts/fuzz.ts) check
 * on every generated input: one decode-level check and one check of a whole
 * batch of messages through a fresh MonitorCore. Each throws an
 * AssertionError on the first broken property.
 */
import assert from 'node:assert/strict'
import { MonitorCore } from '../../src/monitor/monitor.js'
import { emptyCounters } from '../../src/monitor/core-api.js'
import type { Counters, MonitorCoreInit } from '../../src/monitor/core-api.js'
import { DEFAULT_RATE_LIMIT } from '../../src/monitor/rate.js'
import { DECODE_DROP_REASONS, DEFAULT_REPORT_LIMITS, DROP_REASONS, decodeReport } from '../../src/monitor/report.js'
import type { DropReason } from '../../src/monitor/report.js'
import { FakeClock } from './fake-clock.js'
import { SELF, limitViolations, wireViolations } from './report-inputs.js'
import type { FuzzInput } from './report-inputs.js'

const DECODE_REASONS = new Set<string>(DECODE_DROP_REASONS)
const ALL_REASONS = new Set<string>(DROP_REASONS)

/** Small bounds, so that a batch of a few messages reaches them. */
export const FUZZ_CORE: Partial<MonitorCoreInit> = { maxPeers: 2, maxNamesPerPeer: 4, windowSize: 3, retentionMs: 5_000 }

/**
 * decodeReport never throws; a drop names a decode reason; an accepted report
 * satisfies every documented limit; for a structured input, the decoder
 * accepts exactly what the limits allow and names one of the broken limits.
 */
export function checkDecode (input: FuzzInput): void {
  const decoded = decodeReport(input.bytes)
  if (decoded.ok) {
    assert.deepEqual(limitViolations(decoded.report, input.bytes.byteLength), [], 'an accepted report breaks a limit')
  } else {
    assert.ok(DECODE_REASONS.has(decoded.reason), `unknown decode reason ${decoded.reason}`)
  }
  if (input.wire != null) {
    const expected = wireViolations(input.wire, input.bytes.byteLength)
    if (decoded.ok) assert.deepEqual(expected, [], 'accepted a report that breaks a limit')
    else assert.ok(expected.includes(decoded.reason), `dropped as ${decoded.reason}, but the oracle says ${JSON.stringify(expected)}`)
  }
}

/**
 * Feeds a batch of messages to a fresh core on a fake clock, checking each
 * with checkDecode on the way. handleMessage
 * never throws; every drop has a reason; an accepted message is a valid
 * report from its own signer, later than that peer's last accepted one (even
 * after the core forgot or evicted it), within the rate limit; the counters add
 * up and match the results; the state stays within its bounds. Returns the
 * core's counters.
 */
export function checkBatch (batch: FuzzInput[]): Counters {
  const clock = new FakeClock()
  const { burst, headroom, minIntervalMs } = DEFAULT_RATE_LIMIT
  /** Per known peer: when its record (and rate bucket) was made, and its metrics reports accepted since. */
  const rate = new Map<string, { since: number, n: number }>()
  const core = new MonitorCore({
    self: SELF,
    clock,
    // A forgotten peer starts afresh (a new record, a full bucket), but its replay high-water
    // mark stays (replay-memory.ts): `last` is kept, so a replay after forgetting breaks the property.
    onEvent: (e) => { if (e.type === 'forgotten') { rate.delete(e.peer); known.delete(e.peer) } },
    ...FUZZ_CORE
  })
  const tally = emptyCounters()
  const last = new Map<string, { epoch: number, seq: number }>()
  /** Peers the core has a record of: made by an accepted metrics report, ended by forgotten. */
  const known = new Set<string>()
  for (const input of batch) {
    checkDecode(input)
    clock.advance(input.advanceMs)
    const result = core.handleMessage(input.from, input.bytes)
    tally.received++
    if (!result.accepted) {
      assert.ok(ALL_REASONS.has(result.reason), `unknown drop reason ${String(result.reason)}`)
      tally.dropped[result.reason]++
      continue
    }
    tally.accepted++
    const decoded = decodeReport(input.bytes)
    assert.ok(decoded.ok, 'accepted a message that does not decode')
    const { report } = decoded
    assert.deepEqual(limitViolations(report, input.bytes.byteLength), [], 'accepted a report that breaks a limit')
    assert.notEqual(input.from, SELF, 'accepted its own report')
    assert.equal(report.peer, input.from, 'accepted a report about another peer than its signer')
    const before = last.get(input.from)
    if (before != null) {
      assert.ok(report.epoch > before.epoch || (report.epoch === before.epoch && report.seq > before.seq), 'accepted a replay')
    }
    if (report.kind === 'metrics') known.add(input.from)
    if (!known.has(input.from)) continue // a leave from an unknown peer: accepted, nothing kept
    last.set(input.from, { epoch: report.epoch, seq: report.seq })
    const peerRate = rate.get(input.from) ?? { since: clock.now(), n: 0 }
    rate.set(input.from, peerRate)
    if (report.kind === 'metrics') peerRate.n++
    const bound = burst + (clock.now() - peerRate.since) * headroom / minIntervalMs
    assert.ok(peerRate.n <= bound + 1e-9, `${input.from}: ${peerRate.n} metrics reports accepted, the rate limit allows ${bound}`)
  }
  const counters = core.counters()
  assert.equal(counters.received, counters.accepted + sum(counters.dropped), 'received != accepted + dropped')
  const { received, accepted, dropped } = counters
  assert.deepEqual({ received, accepted, dropped }, { received: tally.received, accepted: tally.accepted, dropped: tally.dropped }, 'counters do not match the results')
  const peers = core.peers()
  assert.ok(peers.length <= FUZZ_CORE.maxPeers!, 'more peers than maxPeers')
  for (const summary of peers) {
    const detail = core.peer(summary.peer)!
    const names = Object.keys(detail.windows)
    assert.ok(names.length <= FUZZ_CORE.maxNamesPerPeer!, 'more names than maxNamesPerPeer')
    for (const name of names) {
      assert.ok(detail.windows[name].length <= FUZZ_CORE.windowSize!, 'a window longer than windowSize')
      assert.ok(name.length <= DEFAULT_REPORT_LIMITS.maxNameLength)
    }
  }
  core.stop()
  return counters
}

function sum (counts: Record<DropReason, number>): number {
  let total = 0
  for (const n of Object.values(counts)) total += n
  return total
}
