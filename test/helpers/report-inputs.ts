/**
 * fast-check generators of hostile input for the report decoder and the
 * monitor core, shared by the fuzz test (test/unit/fuzz.test.ts) and the long
 * campaign (scripts/fuzz.ts), plus an oracle written from the documented
 * limits, independent of the code under test.
 *
 * Generators stay cheap so that 100,000 inputs fit in a unit test run: random
 * bytes come from a seeded PRNG (fast-check draws the seed and length, and
 * shrinks them) rather than one arbitrary per byte.
 */
import fc from 'fast-check'
import { Report as WireReport } from '../../src/monitor/pb/report.js'
import {
  DEFAULT_REPORT_LIMITS, REPORT_VERSION
} from '../../src/monitor/report.js'
import type { DecodeDropReason, ReportLimits } from '../../src/monitor/report.js'
import type { Report } from '../../src/monitor/types.js'

/** The receiving core's own peer id. */
export const SELF = 'self-peer'
/** Peers the generated reports speak for and come from; the receiver itself now and then. */
export const PEERS = ['b', 'c', 'd', 'b', 'c', 'd', SELF] as const

/** How an input was made. */
export type InputFamily = 'random' | 'truncated' | 'flipped' | 'structured'

/** One message for `MonitorCore.handleMessage(from, bytes)`, delivered `advanceMs` after the previous one. */
export interface FuzzInput {
  family: InputFamily
  from: string
  bytes: Uint8Array
  advanceMs: number
  /** The wire object the bytes encode (structured inputs only). */
  wire?: WireReport
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const UINT32_MAX = 2 ** 32 - 1

/** xorshift32 bytes from a seed: cheap random bytes that fast-check can still shrink (via seed and length). */
export function prngBytes (seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let x = (seed | 0) === 0 ? 0x9e3779b9 : seed | 0
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

const goodName = fc.constantFrom('ping', 'load', 'memory', 'freespace', 'peers', 'tag:zone', 'a/b-c_d.e', 'x'.repeat(64))
const badName = fc.constantFrom('', 'x'.repeat(65), 'has space', 'new\nline', 'é', '\u0000', 'ping\u200b', '💥')
const goodTtl = fc.integer({ min: 100, max: 10_000 })
const badTtl = fc.constantFrom(-1, 0, 99, 86_400_001, UINT32_MAX, 1.5)
const goodNumber = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.constantFrom(0, -0, 0.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE))
const badNumber = fc.constantFrom(NaN, Infinity, -Infinity)
const goodText = fc.constantFrom('', 'eu-west', 'x'.repeat(256), 'ünïcödé')
const badText = fc.constantFrom('x'.repeat(257), 'y'.repeat(1_000))

type WireMetric = WireReport['metrics'][number]

/** A metric that is valid on its own (names may still repeat within a report). */
const goodMetric: fc.Arbitrary<WireMetric> = fc.tuple(goodName, fc.oneof(goodNumber, goodText), goodTtl)
  .map(([name, value, ttlMs]) => typeof value === 'number' ? { name, number: value, ttlMs } : { name, text: value, ttlMs })

/** A metric with each field possibly hostile: names, values (NaN, ±Infinity, none, both), TTLs. */
const anyMetric: fc.Arbitrary<WireMetric> = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: goodName }, { weight: 1, arbitrary: badName }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }),
  value: fc.oneof(
    { weight: 3, arbitrary: goodNumber.map((n) => ({ number: n })) },
    { weight: 2, arbitrary: goodText.map((t) => ({ text: t })) },
    { weight: 1, arbitrary: badNumber.map((n) => ({ number: n })) },
    { weight: 1, arbitrary: badText.map((t) => ({ text: t })) },
    { weight: 1, arbitrary: fc.constantFrom({}, { number: 1, text: 'both' }) }
  ),
  ttlMs: fc.oneof({ weight: 4, arbitrary: goodTtl }, { weight: 1, arbitrary: badTtl })
}).map(({ name, value, ttlMs }) => ({ name, ttlMs, ...value }))

const goodAddr = fc.constantFrom('/ip4/127.0.0.1/tcp/4001', '/ip4/10.1.2.3/tcp/1', '/ip6/::1/tcp/4001', '/dns4/seed/tcp/4011')
/** Not an address the core keeps: no leading slash, a character outside ADDR_PATTERN, too long. */
const badAddr = fc.constantFrom('ip4/1.2.3.4/tcp/1', '/ip4/1.2.3.4/tcp/1 ', '/x\u0000', '/' + 'a'.repeat(256), '')

const smallSeq = fc.integer({ min: 1, max: 40 }).map(BigInt)
const hugeUint64 = fc.constantFrom(MAX_SAFE, MAX_SAFE + 1n, 2n ** 63n, 2n ** 64n - 1n)

/** A valid report; sequences are small, so a batch has both accepted and replayed reports. */
export const validWire: fc.Arbitrary<WireReport> = fc.record({
  version: fc.constant(REPORT_VERSION),
  kind: fc.constantFrom(0, 0, 0, 0, 1),
  peer: fc.constantFrom(...PEERS),
  epoch: fc.constantFrom(1n, 2n),
  seq: smallSeq,
  sentAt: fc.constant(1_700_000_000_000n),
  intervalMs: fc.constantFrom(0, 1, 100, 1_000, 60_000),
  metrics: fc.uniqueArray(goodMetric, { maxLength: 6, selector: (m) => m.name }),
  addrs: fc.array(goodAddr, { maxLength: 3 })
})

/** A report with every field possibly hostile: versions, kinds, peers, integers beyond 2^53, too many or bad metrics, oversize. */
export const hostileWire: fc.Arbitrary<WireReport> = fc.record({
  version: fc.oneof({ weight: 8, arbitrary: fc.constant(REPORT_VERSION) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, UINT32_MAX) }),
  kind: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.constantFrom(2, 7, UINT32_MAX) }),
  peer: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...PEERS) },
    { weight: 1, arbitrary: fc.constantFrom('', 'p'.repeat(128), 'p'.repeat(129), 'q'.repeat(40_000)) }
  ),
  epoch: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0n, 1n, 2n) }, { weight: 1, arbitrary: hugeUint64 }),
  seq: fc.oneof({ weight: 6, arbitrary: smallSeq }, { weight: 1, arbitrary: hugeUint64 }),
  sentAt: fc.oneof({ weight: 6, arbitrary: fc.constant(1_700_000_000_000n) }, { weight: 1, arbitrary: hugeUint64 }),
  intervalMs: fc.oneof(fc.constantFrom(0, 1, 1_000), fc.constant(UINT32_MAX)),
  metrics: fc.oneof(
    { weight: 8, arbitrary: fc.array(anyMetric, { maxLength: 6 }) },
    { weight: 1, arbitrary: fc.integer({ min: 63, max: 200 }).map((n) => Array.from({ length: n }, (_, i) => ({ name: `m${i}`, number: i, ttlMs: 1_000 }))) }
  ),
  addrs: fc.oneof(
    { weight: 6, arbitrary: fc.array(goodAddr, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.oneof(goodAddr, badAddr), { minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.integer({ min: 15, max: 40 }).map((n) => Array.from({ length: n }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)) }
  )
})

/** Any one input, of any family, with a sender that is usually the report's own peer. */
export function fuzzInput (): fc.Arbitrary<FuzzInput> {
  const advanceMs = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 600 }) }, { weight: 1, arbitrary: fc.integer({ min: 600, max: 20_000 }) })
  const random = fc.tuple(fc.integer(), fc.integer({ min: 0, max: 300 }), fc.constantFrom(...PEERS), advanceMs)
    .map(([seed, length, from, advance]): FuzzInput => ({ family: 'random', from, bytes: prngBytes(seed, length), advanceMs: advance }))
  const truncated = fc.tuple(validWire, fc.nat(), advanceMs)
    .map(([wire, cut, advance]): FuzzInput => {
      const bytes = WireReport.encode(wire)
      return { family: 'truncated', from: wire.peer, bytes: bytes.subarray(0, cut % Math.max(1, bytes.length)), advanceMs: advance }
    })
  const flipped = fc.tuple(validWire, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), advanceMs)
    .map(([wire, flips, advance]): FuzzInput => {
      const bytes = WireReport.encode(wire)
      for (const bit of flips) bytes[(bit >> 3) % bytes.length] ^= 1 << (bit & 7)
      return { family: 'flipped', from: wire.peer, bytes, advanceMs: advance }
    })
  const structured = fc.tuple(fc.oneof(validWire, hostileWire), fc.integer({ min: 0, max: 7 + PEERS.length - 1 }), advanceMs)
    .map(([wire, who, advance]): FuzzInput => {
      // Mostly from the peer the report names; now and then from another one.
      const from = who < 7 ? wire.peer : PEERS[who - 7]
      return { family: 'structured', from, bytes: WireReport.encode(wire), advanceMs: advance, wire }
    })
  return fc.oneof(random, truncated, flipped, structured)
}

/**
 * A batch of messages: single inputs of any family, and floods, where one
 * peer sends a run of valid reports with growing seq a few ms apart.
 */
export function fuzzBatch (maxChunks: number): fc.Arbitrary<FuzzInput[]> {
  const flood = fc.tuple(validWire, fc.integer({ min: 6, max: 12 }), fc.integer({ min: 0, max: 30 }))
    .map(([wire, count, gapMs]) => Array.from({ length: count }, (_, i): FuzzInput => {
      const report = { ...wire, kind: 0, seq: wire.seq + BigInt(i) }
      return { family: 'structured', from: wire.peer, bytes: WireReport.encode(report), advanceMs: gapMs, wire: report }
    }))
  const chunk = fc.oneof({ weight: 8, arbitrary: fuzzInput().map((input) => [input]) }, { weight: 1, arbitrary: flood })
  return fc.array(chunk, { minLength: 1, maxLength: maxChunks, size: 'max' }).map((chunks) => chunks.flat())
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()
const ASCII = /^[\x00-\x7f]*$/

/** What a string becomes on the wire and back (lone surrogates turn into U+FFFD). */
function wireString (s: string): string {
  return ASCII.test(s) ? s : utf8Decoder.decode(utf8Encoder.encode(s))
}

const NAME = /^[A-Za-z0-9_.:/-]+$/

/**
 * The reasons a decoded report breaks the documented limits (README and
 * report.ts doc comments), checked from scratch: an empty list means every
 * limit holds.
 */
export function limitViolations (report: Report, encodedBytes: number, limits: ReportLimits = DEFAULT_REPORT_LIMITS): DecodeDropReason[] {
  const found = new Set<DecodeDropReason>()
  if (encodedBytes > limits.maxReportBytes) found.add('oversize')
  if (report.version !== 1) found.add('version')
  if (report.kind !== 'metrics' && report.kind !== 'leave') found.add('unknown-kind')
  if (report.peer.length < 1 || report.peer.length > limits.maxPeerLength) found.add('invalid-peer')
  for (const n of [report.epoch, report.seq, report.sentAt, report.intervalMs]) {
    if (!(Number.isSafeInteger(n) && n >= 0)) found.add('malformed')
  }
  if (report.metrics.length > limits.maxMetricsPerReport) found.add('too-many-metrics')
  const seen = new Set<string>()
  for (const m of report.metrics) {
    if (m.name.length < 1 || m.name.length > limits.maxNameLength || !NAME.test(m.name)) found.add('invalid-name')
    if (seen.has(m.name)) found.add('duplicate-name')
    seen.add(m.name)
    if (typeof m.value === 'number' ? !Number.isFinite(m.value) : m.value.length > limits.maxTextLength) found.add('invalid-value')
    if (!Number.isInteger(m.ttlMs) || m.ttlMs < limits.minTtlMs || m.ttlMs > limits.maxTtlMs) found.add('invalid-ttl')
  }
  return [...found]
}

/**
 * The reasons a wire object (as the generated codec encodes it) must be
 * dropped for; empty when it must be accepted.
 */
export function wireViolations (wire: WireReport, encodedBytes: number, limits: ReportLimits = DEFAULT_REPORT_LIMITS): DecodeDropReason[] {
  const found = new Set<DecodeDropReason>()
  if (encodedBytes > limits.maxReportBytes) found.add('oversize')
  if (wire.version !== 1) found.add('version')
  if (wire.kind !== 0 && wire.kind !== 1) found.add('unknown-kind')
  const peer = wireString(wire.peer)
  if (peer.length < 1 || peer.length > limits.maxPeerLength) found.add('invalid-peer')
  for (const n of [wire.epoch, wire.seq, wire.sentAt]) {
    if (n < 0n || n > MAX_SAFE) found.add('malformed')
  }
  if (wire.metrics.length > limits.maxMetricsPerReport) found.add('too-many-metrics')
  const seen = new Set<string>()
  for (const m of wire.metrics) {
    const name = wireString(m.name)
    if (name.length < 1 || name.length > limits.maxNameLength || !NAME.test(name)) found.add('invalid-name')
    if (seen.has(name)) found.add('duplicate-name')
    seen.add(name)
    if ((m.number == null) === (m.text == null)) found.add('invalid-value')
    else if (m.number != null ? !Number.isFinite(m.number) : wireString(m.text ?? '').length > limits.maxTextLength) found.add('invalid-value')
    const ttl = m.ttlMs >>> 0 // a uint32 on the wire
    if (!Number.isInteger(m.ttlMs) || ttl < limits.minTtlMs || ttl > limits.maxTtlMs) found.add('invalid-ttl')
  }
  const addrs = wire.addrs ?? []
  if (addrs.length > limits.maxAddrs) found.add('invalid-addrs')
  for (const addr of addrs.map(wireString)) {
    if (!addr.startsWith('/') || addr.length < 2 || addr.length > limits.maxAddrLength || /[^A-Za-z0-9/._:%-]/.test(addr)) found.add('invalid-addrs')
  }
  return [...found]
}
