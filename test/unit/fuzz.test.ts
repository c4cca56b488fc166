/**
 * Property-based fuzzing of the report decoder and the monitor core: at least
 * 100,000 generated inputs per run (random bytes, truncated and bit-flipped
 * valid encodings, structurally valid reports with hostile fields) go through
 * decodeReport and MonitorCore.handleMessage. The properties are in
 * test/helpers/fuzz-check.ts. A longer campaign: `npm run fuzz`.
 *
 * A failure prints fast-check's seed and path; rerun it with FUZZ_SEED=<seed>.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { checkBatch } from '../helpers/fuzz-check.js'
import { fuzzBatch } from '../helpers/report-inputs.js'
import type { InputFamily } from '../helpers/report-inputs.js'

const seed = process.env.FUZZ_SEED != null ? Number(process.env.FUZZ_SEED) : undefined
const RUNS = 2_900
const MAX_CHUNKS = 40

describe('fuzz: decoder and monitor core', () => {
  it(`feeds ${RUNS} batches of hostile messages through decodeReport and a fresh core: no throw, every drop has a reason, accepted reports within every limit, counters add up`, (t) => {
    let inputs = 0
    let accepted = 0
    const families: Record<InputFamily, number> = { random: 0, truncated: 0, flipped: 0, structured: 0 }
    const dropped: Record<string, number> = {}
    const started = performance.now()
    fc.assert(fc.property(fuzzBatch(MAX_CHUNKS), (batch) => {
      const counters = checkBatch(batch)
      inputs += batch.length
      for (const input of batch) families[input.family]++
      accepted += counters.accepted
      for (const [reason, n] of Object.entries(counters.dropped)) if (n > 0) dropped[reason] = (dropped[reason] ?? 0) + n
    }), { numRuns: RUNS, seed })
    const seconds = (performance.now() - started) / 1_000
    t.diagnostic(`${inputs} inputs in ${seconds.toFixed(1)} s (${Math.round(inputs / seconds)}/s): ${JSON.stringify(families)}`)
    t.diagnostic(`accepted ${accepted}, dropped ${JSON.stringify(dropped)}`)
    assert.ok(inputs >= 100_000, `only ${inputs} inputs`)
    for (const [family, n] of Object.entries(families)) assert.ok(n > 10_000, `${family}: ${n}`)
    // The generators must reach the accept path and the main drop reasons, or the properties say little.
    assert.ok(accepted > 5_000, `accepted ${accepted}`)
    for (const reason of ['malformed', 'replay', 'rate', 'peer-mismatch', 'self', 'capacity', 'invalid-name', 'invalid-value', 'invalid-ttl', 'version', 'oversize', 'too-many-metrics']) {
      assert.ok((dropped[reason] ?? 0) > 0, `no input dropped as ${reason}`)
    }
  })
})
