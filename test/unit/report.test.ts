import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { Report as WireReport } from '../../src/monitor/pb/report.js'
import {
  DEFAULT_REPORT_LIMITS, DROP_REASONS, REPORT_VERSION, decodeReport, encodeReport, validateMetric
} from '../../src/monitor/report.js'
import type { Metric, Report } from '../../src/monitor/types.js'

function report (overrides: Partial<Report> = {}): Report {
  return {
    version: REPORT_VERSION,
    kind: 'metrics',
    peer: '12D3KooWExamplePeer',
    epoch: 1_700_000_000_000,
    seq: 7,
    sentAt: 1_700_000_012_345,
    intervalMs: 1_000,
    metrics: [{ name: 'ping', value: 12.5, ttlMs: 3_000 }, { name: 'tag:zone', value: 'eu-west', ttlMs: 3_000 }],
    ...overrides
  }
}

function reasonOf (r: Report): string | undefined {
  const decoded = decodeReport(encodeReport(r))
  return decoded.ok ? undefined : decoded.reason
}

function metrics (n: number): Metric[] {
  return Array.from({ length: n }, (_, i) => ({ name: `m${i}`, value: i, ttlMs: 1_000 }))
}

/** Wire bytes built with the generated codec, to express what encodeReport refuses to write. */
function wire (overrides: Partial<WireReport>): Uint8Array {
  return WireReport.encode({ version: 1, kind: 0, peer: 'b', epoch: 1n, seq: 1n, sentAt: 1n, intervalMs: 0, metrics: [], addrs: [], ...overrides })
}

describe('report wire format v1', () => {
  it('carries the sender\'s listen addresses, and drops a report whose addresses break the bounds', () => {
    const addrs = ['/ip4/10.0.0.7/tcp/4001', '/ip6/::1/tcp/4001', '/dns4/seed/tcp/4011']
    const decoded = decodeReport(encodeReport(report({ addrs })))
    assert.ok(decoded.ok)
    assert.deepEqual(decoded.report.addrs, addrs)
    // A report of an older peermon has none: the field is absent, not an empty list.
    const older = decodeReport(wire({}))
    assert.ok(older.ok)
    assert.equal(older.report.addrs, undefined)
    const many = Array.from({ length: DEFAULT_REPORT_LIMITS.maxAddrs + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)
    assert.equal(decodeReport(wire({ addrs: many })).ok, false)
    assert.equal(reasonOf(report({ addrs: many.slice(1) })), undefined)
    for (const bad of ['ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.1/tcp/1\n', '/' + 'a'.repeat(DEFAULT_REPORT_LIMITS.maxAddrLength), '']) {
      assert.equal(reasonOf(report({ addrs: [bad] })), 'invalid-addrs', JSON.stringify(bad))
    }
    const tooMany = decodeReport(wire({ addrs: many }))
    assert.equal(tooMany.ok ? undefined : tooMany.reason, 'invalid-addrs')
  })

  it('round-trips a metrics report and a leave report', () => {
    for (const r of [report(), report({ kind: 'leave', metrics: [] }), report({ epoch: 0, seq: 0, sentAt: 0, intervalMs: 0 })]) {
      assert.deepEqual(decodeReport(encodeReport(r)), { ok: true, report: r })
    }
  })

  it('keeps integers up to 2^53 - 1 exact', () => {
    const r = report({ epoch: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER })
    assert.deepEqual(decodeReport(encodeReport(r)), { ok: true, report: r })
    assert.deepEqual(decodeReport(wire({ seq: 2n ** 53n })), { ok: false, reason: 'malformed' })
    assert.throws(() => encodeReport(report({ seq: -1 })), RangeError)
  })

  it('drops other versions, even when their body would not parse as v1', () => {
    assert.equal(reasonOf(report({ version: 2 })), 'version')
    assert.equal(reasonOf(report({ version: 0 })), 'version')
    // v2 could turn field 4 into a string: 08 02 (version 2), 22 03 "abc" (field 4, length-delimited).
    assert.deepEqual(decodeReport(new Uint8Array([0x08, 0x02, 0x22, 0x03, 0x61, 0x62, 0x63])), { ok: false, reason: 'version' })
  })

  it('drops an unknown kind', () => {
    assert.deepEqual(decodeReport(wire({ kind: 2 })), { ok: false, reason: 'unknown-kind' })
  })

  it('drops oversize reports before parsing them', () => {
    const bytes = encodeReport(report())
    assert.deepEqual(decodeReport(bytes, { maxReportBytes: bytes.byteLength - 1 }), { ok: false, reason: 'oversize' })
    assert.deepEqual(decodeReport(new Uint8Array(DEFAULT_REPORT_LIMITS.maxReportBytes + 1)), { ok: false, reason: 'oversize' })
  })

  it('bounds the number of metrics', () => {
    assert.equal(reasonOf(report({ metrics: metrics(64) })), undefined)
    assert.equal(reasonOf(report({ metrics: metrics(65) })), 'too-many-metrics')
    // Enforced while parsing: the list is refused before its entries are looked at.
    assert.deepEqual(decodeReport(wire({ metrics: Array.from({ length: 1_000 }, () => ({ name: '', ttlMs: 0 })) })), { ok: false, reason: 'too-many-metrics' })
  })

  it('checks metric names', () => {
    for (const name of ['ping', 'tag:zone', 'a/b-c_d.e', 'x'.repeat(64)]) {
      assert.equal(reasonOf(report({ metrics: [{ name, value: 1, ttlMs: 1_000 }] })), undefined, name)
    }
    for (const name of ['', 'x'.repeat(65), 'has space', 'new\nline', 'é']) {
      assert.equal(reasonOf(report({ metrics: [{ name, value: 1, ttlMs: 1_000 }] })), 'invalid-name', JSON.stringify(name))
    }
    assert.equal(reasonOf(report({ metrics: [{ name: 'a', value: 1, ttlMs: 1_000 }, { name: 'a', value: 2, ttlMs: 1_000 }] })), 'duplicate-name')
  })

  it('checks metric values', () => {
    for (const value of [NaN, Infinity, -Infinity, 'x'.repeat(257)]) {
      assert.equal(reasonOf(report({ metrics: [{ name: 'a', value, ttlMs: 1_000 }] })), 'invalid-value', String(value).slice(0, 10))
    }
    assert.equal(reasonOf(report({ metrics: [{ name: 'a', value: 'x'.repeat(256), ttlMs: 1_000 }] })), undefined)
    assert.equal(reasonOf(report({ metrics: [{ name: 'a', value: '', ttlMs: 1_000 }] })), undefined)
    assert.deepEqual(decodeReport(wire({ metrics: [{ name: 'a', ttlMs: 1_000 }] })), { ok: false, reason: 'invalid-value' })
    assert.deepEqual(decodeReport(wire({ metrics: [{ name: 'a', number: 1, text: 'x', ttlMs: 1_000 }] })), { ok: false, reason: 'invalid-value' })
  })

  it('checks metric TTLs', () => {
    for (const ttlMs of [100, 86_400_000]) {
      assert.equal(reasonOf(report({ metrics: [{ name: 'a', value: 1, ttlMs }] })), undefined)
    }
    for (const ttlMs of [0, 99, 86_400_001]) {
      assert.equal(reasonOf(report({ metrics: [{ name: 'a', value: 1, ttlMs }] })), 'invalid-ttl', String(ttlMs))
    }
    // On the wire a TTL is a uint32: a negative one arrives as a huge one.
    for (const ttlMs of [-1, -3_000, 2 ** 32 - 1]) {
      assert.deepEqual(decodeReport(wire({ metrics: [{ name: 'a', number: 1, ttlMs }] })), { ok: false, reason: 'invalid-ttl' }, String(ttlMs))
    }
    assert.equal(validateMetric({ name: 'a', value: 1, ttlMs: -1 }), 'invalid-ttl')
    assert.equal(validateMetric({ name: 'a', value: 1, ttlMs: Infinity }), 'invalid-ttl')
    assert.equal(validateMetric({ name: 'a', value: 1, ttlMs: NaN }), 'invalid-ttl')
  })

  it('drops a truncated report as malformed, whatever the cut inside a field', () => {
    const bytes = encodeReport(report({ metrics: [{ name: 'ping', value: 12.5, ttlMs: 3_000 }, { name: 'tag:zone', value: 'eu-west', ttlMs: 3_000 }] }))
    let malformed = 0
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoded = decodeReport(bytes.subarray(0, cut))
      if (decoded.ok) {
        // A cut between two fields leaves a shorter report that is valid on its own.
        assert.ok(decoded.report.metrics.length < 2, `cut at ${cut} kept every metric`)
      } else {
        assert.ok((DROP_REASONS as readonly string[]).includes(decoded.reason), decoded.reason)
        if (decoded.reason === 'malformed') malformed++
      }
    }
    assert.ok(malformed > bytes.length / 2, `${malformed} of ${bytes.length - 1} cuts malformed`)
    // Cut inside the last metric's text: its length prefix promises more bytes than follow.
    assert.deepEqual(decodeReport(bytes.subarray(0, bytes.length - 3)), { ok: false, reason: 'malformed' })
  })

  it('checks the peer id', () => {
    assert.equal(reasonOf(report({ peer: '' })), 'invalid-peer')
    assert.equal(reasonOf(report({ peer: 'p'.repeat(129) })), 'invalid-peer')
    assert.equal(reasonOf(report({ peer: 'p'.repeat(128) })), undefined)
  })

  it('never throws, whatever the bytes', () => {
    const valid = encodeReport(report())
    for (let i = 0; i < 5_000; i++) {
      const bytes = i % 2 === 0 ? randomBytes(i % 300) : Uint8Array.from(valid, (b) => Math.random() < 0.05 ? (b ^ (1 << (i % 8))) : b)
      const decoded = decodeReport(bytes)
      if (!decoded.ok) assert.ok((DROP_REASONS as readonly string[]).includes(decoded.reason))
    }
  })

  it('shares its metric rules with local metrics', () => {
    assert.equal(validateMetric({ name: 'ok', value: 1, ttlMs: 1_000 }), undefined)
    assert.equal(validateMetric({ name: 'ok', value: 1, ttlMs: 1_000.5 }), 'invalid-ttl')
    assert.equal(validateMetric({ name: 'ok', value: 'x'.repeat(10), ttlMs: 1_000 }, { ...DEFAULT_REPORT_LIMITS, maxTextLength: 5 }), 'invalid-value')
  })
})
