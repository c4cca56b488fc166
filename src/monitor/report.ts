/**
 * The wire report: encode, decode and validate. Schema: `pb/report.proto`.
 * Bad input from a peer is normal life: `decodeReport` never throws, it
 * returns the reason the report was dropped.
 */
import { MaxLengthError } from 'protons-runtime'
import { Report as WireReport, ReportHeader } from './pb/report.js'
import type { Metric, Report, ReportKind } from './types.js'

/** The wire format version this module reads and writes. */
export const REPORT_VERSION = 1

/** Reasons `decodeReport` drops a report. */
export const DECODE_DROP_REASONS = [
  'oversize', // larger than maxReportBytes
  'malformed', // not protobuf, or epoch/seq/sent_at beyond a safe integer
  'version', // a wire format version other than 1
  'unknown-kind', // kind is neither METRICS nor LEAVE
  'invalid-peer', // peer empty or longer than maxPeerLength
  'too-many-metrics', // more than maxMetricsPerReport metrics
  'invalid-name', // a metric name not 1..maxNameLength chars of [A-Za-z0-9_.:/-]
  'duplicate-name', // two metrics with the same name
  'invalid-value', // not exactly one of number/text, a number not finite, a text longer than maxTextLength
  'invalid-ttl', // a ttl not an integer in [minTtlMs, maxTtlMs]
  'invalid-addrs' // more than maxAddrs addresses, or one not 1..maxAddrLength chars of ADDR_PATTERN starting with /
] as const

/** Reasons the monitor core drops a message after decoding it. */
export const CORE_DROP_REASONS = [
  'self', // our own report, echoed by pubsub
  'not-allowed', // signed by a peer outside the allow-list (isAllowed), whoever relayed it
  'peer-mismatch', // report.peer is not the pubsub sender
  'replay', // (epoch, seq) not after the last accepted one of that peer
  'rate', // the peer publishes faster than its rate limit allows (rate.ts)
  'capacity', // a new peer while maxPeers peers are known and all alive
  'budget', // a new peer while peer state is at its byte budget and nothing silent is left to evict (budget.ts)
  'admission', // a new peer not admitted now: unconfirmed and its neighbour's allowance spent, or too many newcomers at once (admission.ts)
  'stopped' // the core was stopped
] as const

/**
 * Every reason a message can be dropped for. (A metric refused inside an
 * accepted report, a new name beyond maxNamesPerPeer, is not a dropped
 * message: see `Counters.refusedMetrics`.)
 */
export const DROP_REASONS = [...DECODE_DROP_REASONS, ...CORE_DROP_REASONS] as const

export type DecodeDropReason = typeof DECODE_DROP_REASONS[number]
export type DropReason = typeof DROP_REASONS[number]

/** Default size bound of an encoded report: 32 KiB. */
export const DEFAULT_MAX_REPORT_BYTES = 32 * 1024
/** Default bound on metrics in one report. */
export const DEFAULT_MAX_METRICS_PER_REPORT = 64
/** Default bound on metric name length (characters). */
export const DEFAULT_MAX_NAME_LENGTH = 64
/** Default bound on text metric length (characters). */
export const DEFAULT_MAX_TEXT_LENGTH = 256
/** Default bound on peer id length (characters). */
export const DEFAULT_MAX_PEER_LENGTH = 128
/** Default smallest accepted metric TTL: 100 ms. */
export const DEFAULT_MIN_TTL_MS = 100
/** Default largest accepted metric TTL: 24 h. */
export const DEFAULT_MAX_TTL_MS = 86_400_000

/** Default bound on the listen addresses a report carries. */
export const DEFAULT_MAX_ADDRS = 16
/** Default bound on one address's length (characters). */
export const DEFAULT_MAX_ADDR_LENGTH = 256

/**
 * Characters of a multiaddr string the core accepts in a report; whether the
 * address is one worth dialling is the network edge's call (src/libp2p/dialable.ts).
 */
export const ADDR_PATTERN = /^\/[A-Za-z0-9/._:%-]+$/

/** Characters allowed in a metric name. */
export const METRIC_NAME_PATTERN = /^[A-Za-z0-9_.:/-]+$/

/** Bounds applied to every received report (and to locally set metrics). */
export interface ReportLimits {
  /** Encoded size bound in bytes (default 32 KiB) → 'oversize'. */
  maxReportBytes: number
  /** Metrics per report (default 64) → 'too-many-metrics'. */
  maxMetricsPerReport: number
  /** Metric name length in characters (default 64) → 'invalid-name'. */
  maxNameLength: number
  /** Text metric length in characters (default 256) → 'invalid-value'. */
  maxTextLength: number
  /** Peer id length in characters (default 128) → 'invalid-peer'. */
  maxPeerLength: number
  /** Smallest metric TTL in ms (default 100) → 'invalid-ttl'. */
  minTtlMs: number
  /** Largest metric TTL in ms (default 24 h) → 'invalid-ttl'. */
  maxTtlMs: number
  /** Listen addresses in one report (default 16) → 'invalid-addrs'. */
  maxAddrs: number
  /** Length of one address in characters (default 256) → 'invalid-addrs'. */
  maxAddrLength: number
}

export const DEFAULT_REPORT_LIMITS: Readonly<ReportLimits> = Object.freeze({
  maxReportBytes: DEFAULT_MAX_REPORT_BYTES,
  maxMetricsPerReport: DEFAULT_MAX_METRICS_PER_REPORT,
  maxNameLength: DEFAULT_MAX_NAME_LENGTH,
  maxTextLength: DEFAULT_MAX_TEXT_LENGTH,
  maxPeerLength: DEFAULT_MAX_PEER_LENGTH,
  minTtlMs: DEFAULT_MIN_TTL_MS,
  maxTtlMs: DEFAULT_MAX_TTL_MS,
  maxAddrs: DEFAULT_MAX_ADDRS,
  maxAddrLength: DEFAULT_MAX_ADDR_LENGTH
})

export type DecodeResult =
  | { ok: true, report: Report }
  | { ok: false, reason: DecodeDropReason }

/** Wire values of `Report.kind`. */
const WIRE_KIND: Record<ReportKind, number> = { metrics: 0, leave: 1 }

/**
 * Encodes a report as wire format bytes. `report.version` is written as given
 * (use REPORT_VERSION). Throws RangeError when epoch, seq or sentAt is not a
 * non-negative safe integer; it does not otherwise validate (see validateReport).
 */
export function encodeReport (report: Report): Uint8Array {
  return WireReport.encode({
    version: report.version,
    kind: WIRE_KIND[report.kind],
    peer: report.peer,
    epoch: toUint64('epoch', report.epoch),
    seq: toUint64('seq', report.seq),
    sentAt: toUint64('sentAt', report.sentAt),
    intervalMs: report.intervalMs,
    metrics: report.metrics.map((m) => typeof m.value === 'number'
      ? { name: m.name, number: m.value, ttlMs: m.ttlMs }
      : { name: m.name, text: m.value, ttlMs: m.ttlMs }),
    addrs: report.addrs ?? []
  })
}

/**
 * Decodes and validates a wire report. Never throws: any problem yields
 * `{ ok: false, reason }`. `limits` default to DEFAULT_REPORT_LIMITS.
 */
export function decodeReport (bytes: Uint8Array, limits: Partial<ReportLimits> = {}): DecodeResult {
  const bounds = { ...DEFAULT_REPORT_LIMITS, ...limits }
  if (bytes.byteLength > bounds.maxReportBytes) return { ok: false, reason: 'oversize' }
  let wire: WireReport
  try {
    // The header alone first: a future version may change the body's fields.
    if (ReportHeader.decode(bytes).version !== REPORT_VERSION) return { ok: false, reason: 'version' }
    // The metrics bound is enforced while parsing, so a long list stops early.
    wire = WireReport.decode(bytes, { limits: { metrics: bounds.maxMetricsPerReport, addrs: bounds.maxAddrs } })
  } catch (err) {
    if (err instanceof MaxLengthError) return { ok: false, reason: /addrs/.test(err.message) ? 'invalid-addrs' : 'too-many-metrics' }
    return { ok: false, reason: 'malformed' }
  }
  const report = fromWire(wire)
  if (typeof report === 'string') return { ok: false, reason: report }
  const reason = validateReport(report, bounds)
  return reason == null ? { ok: true, report } : { ok: false, reason }
}

/**
 * Checks a report against the limits; returns the first reason to drop it, or
 * undefined when it is valid. Metric checks are those of `validateMetric`.
 */
export function validateReport (report: Report, limits: ReportLimits = DEFAULT_REPORT_LIMITS): DecodeDropReason | undefined {
  if (report.version !== REPORT_VERSION) return 'version'
  if (report.kind !== 'metrics' && report.kind !== 'leave') return 'unknown-kind'
  if (report.peer.length === 0 || report.peer.length > limits.maxPeerLength) return 'invalid-peer'
  for (const n of [report.epoch, report.seq, report.sentAt, report.intervalMs]) {
    if (!Number.isSafeInteger(n) || n < 0) return 'malformed'
  }
  if (report.metrics.length > limits.maxMetricsPerReport) return 'too-many-metrics'
  const names = new Set<string>()
  for (const metric of report.metrics) {
    const reason = validateMetric(metric, limits)
    if (reason != null) return reason
    if (names.has(metric.name)) return 'duplicate-name'
    names.add(metric.name)
  }
  if (!validAddrs(report.addrs ?? [], limits)) return 'invalid-addrs'
  return undefined
}

/**
 * Whether a list of stated listen addresses is one a report may carry: at most
 * maxAddrs, each 1..maxAddrLength characters of ADDR_PATTERN. The sender, the
 * decoder and the known-peers file all hold addresses to this one form.
 */
export function validAddrs (addrs: readonly unknown[], limits: Pick<ReportLimits, 'maxAddrs' | 'maxAddrLength'> = DEFAULT_REPORT_LIMITS): addrs is string[] {
  return addrs.length <= limits.maxAddrs && addrs.every((addr) => typeof addr === 'string' && addr.length <= limits.maxAddrLength && ADDR_PATTERN.test(addr))
}

/**
 * Checks one metric: name (1..maxNameLength chars of METRIC_NAME_PATTERN),
 * value (finite number, or text of at most maxTextLength chars), TTL (an
 * integer in [minTtlMs, maxTtlMs]). Returns the reason it is invalid, or undefined.
 */
export function validateMetric (metric: Metric, limits: ReportLimits = DEFAULT_REPORT_LIMITS): 'invalid-name' | 'invalid-value' | 'invalid-ttl' | undefined {
  const { name, value, ttlMs } = metric
  if (typeof name !== 'string' || name.length > limits.maxNameLength || !METRIC_NAME_PATTERN.test(name)) return 'invalid-name'
  if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string' || value.length > limits.maxTextLength) return 'invalid-value'
  if (!Number.isInteger(ttlMs) || ttlMs < limits.minTtlMs || ttlMs > limits.maxTtlMs) return 'invalid-ttl'
  return undefined
}

/** Maps the protobuf shape to a Report, or to the reason it cannot be one. */
function fromWire (wire: WireReport): Report | 'malformed' | 'unknown-kind' | 'invalid-value' {
  const kind = wire.kind === WIRE_KIND.metrics ? 'metrics' : wire.kind === WIRE_KIND.leave ? 'leave' : undefined
  if (kind == null) return 'unknown-kind'
  const epoch = fromUint64(wire.epoch)
  const seq = fromUint64(wire.seq)
  const sentAt = fromUint64(wire.sentAt)
  if (epoch == null || seq == null || sentAt == null) return 'malformed'
  const metrics: Metric[] = []
  for (const m of wire.metrics) {
    if ((m.number == null) === (m.text == null)) return 'invalid-value' // neither or both set
    metrics.push({ name: m.name, value: m.number ?? m.text ?? '', ttlMs: m.ttlMs })
  }
  const report: Report = { version: wire.version, kind, peer: wire.peer, epoch, seq, sentAt, intervalMs: wire.intervalMs, metrics }
  if (wire.addrs.length > 0) report.addrs = wire.addrs
  return report
}

function fromUint64 (value: bigint): number | undefined {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined
}

function toUint64 (field: string, value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`report ${field} must be a non-negative safe integer, got ${value}`)
  }
  return BigInt(value)
}
