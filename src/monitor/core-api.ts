/**
 * MonitorCore's contract with its callers: the options it takes, the views of
 * peers it returns and the counters it keeps. The engine is in monitor.ts.
 */
import type { DropReason, ReportLimits } from './report.js'
import { DROP_REASONS } from './report.js'
import type { LocalHealthInit } from './local-health.js'
import type { RateLimit } from './rate.js'
import type { FlapLimits } from './flapping.js'
import type { AdmissionLimits } from './admission.js'
import type { StateBudget } from './budget.js'
import type { Clock, MonitorEvent, PeerState, ReceivedMetric, Report } from './types.js'

/** Default name of the heartbeat metric. */
export const DEFAULT_PING_METRIC = 'ping'

export interface MonitorCoreInit {
  /** Our own peer id string: our own reports are dropped ('self'). */
  self: string
  /** Receives every event, synchronously, in order. */
  onEvent: (event: MonitorEvent) => void
  /**
   * Told when onEvent throws; the core's state is unaffected. Default: the
   * error is rethrown from a microtask (an uncaught exception, as with EventTarget).
   */
  onEventError?: (err: unknown, event: MonitorEvent) => void
  /** Monotonic clock and timers (default: performance.now() and setTimeout). */
  clock?: Clock
  /** Metrics kept per (peer, metric) window (default 25). */
  windowSize?: number
  /** A peer with no accepted report for this long (ms) is forgotten (default 10 min). */
  retentionMs?: number
  /** Bounds on received reports (default DEFAULT_REPORT_LIMITS). */
  limits?: Partial<ReportLimits>
  /** Peers kept (default 10 000), a second bound beside the byte budget: it bounds what the API and /metrics list. */
  maxPeers?: number
  /**
   * Bytes of peer state kept (estimated, budget.ts; default 256 MiB): records,
   * tracked metrics, windows with their names and texts. Ignored when `budget` is given.
   */
  stateBudgetBytes?: number
  /** A budget shared with other parts (each charges its own account); default a new one of stateBudgetBytes. */
  budget?: StateBudget
  /** Admission of new peers (admission.ts); default DEFAULT_ADMISSION_LIMITS. */
  admission?: Partial<AdmissionLimits>
  /**
   * Whether `isAllowed` is an allow-list (default: true when isAllowed is given):
   * then every peer it lets in counts as confirmed.
   */
  allowList?: boolean
  /** Distinct metric names kept per peer (default 64). */
  maxNamesPerPeer?: number
  /** Per-sender rate limit of reports (default DEFAULT_RATE_LIMIT: 2 per interval, interval ≥ 100 ms, bursts of 5). */
  rate?: Partial<RateLimit>
  /** The heartbeat metric, whose expiry stands for the whole peer (default 'ping'). */
  pingMetric?: string
  /**
   * Access check on the signer of each message; a message it refuses is dropped
   * ('not-allowed') before it is decoded. Default: every peer is allowed.
   */
  isAllowed?: (peer: string) => boolean
  /**
   * Told of every accepted report, synchronously, before its events are
   * emitted. For instrumentation (benchmark traces); it must be cheap and not throw.
   */
  onAccepted?: (report: Report) => void
  /**
   * Local health (local-health.ts): before accusing a peer, the node checks for
   * signs that it is itself the problem (late timers, an overloaded event loop,
   * many peers overdue at once, all of them silent) and postpones judging,
   * for a bounded time; it says `degraded`/`healthy`, `isolated`/`reconnected`.
   * Undefined or false (the default): off, every expiry is judged at once.
   */
  localHealth?: LocalHealthInit | false
  /**
   * A peer's first report (a new peer, or one back after leaving) keeps its
   * metrics this many TTLs instead of one (default EXACT_TTLS, 1: no warm-up;
   * `peerMonitor()` sets FIRST_REPORT_TTLS, 2; defaults.ts). The next report of a
   * peer that a node has only just started to hear may still be on its way
   * through a mesh that is forming; from the second report on, TTLs are exact.
   */
  firstReportTtls?: number
  /**
   * Flap detection (flapping.ts): a peer with `enterTransitions` changes into
   * or out of alert within `windowMs` is flapping (event `flapping`; its alert
   * and recovered events carry `flapping: true`) until a whole window with at
   * most `exitTransitions` changes (event `stable`). Default
   * DEFAULT_FLAP_LIMITS (4 changes in 30 s, FLAP_WINDOW_TTLS × the default TTL;
   * 1); `false` turns it off.
   */
  flapping?: Partial<FlapLimits> | false
}


/** One monitored peer, as shown to users. */
export interface PeerSummary {
  peer: string
  state: PeerState
  /** Whether it keeps going into and out of alert (flapping.ts): its hooks are held. */
  flapping: boolean
  /** Time since its last accepted report, on the local monotonic clock (ms). */
  lastSeenAgoMs: number
  /** Epoch and seq of its last accepted report. */
  epoch: number
  seq: number
  /** Sender's wall clock (ms since the epoch) at its last report. Display only. */
  sentAt: number
  /** Sender's publish interval (ms; 0 when unknown). */
  intervalMs: number
  /** Names of its metrics currently in alert. */
  alerting: string[]
  /**
   * Whether there is evidence of a real node behind it (admission.ts): it is or was
   * connected to this node, it is on the allow-list, or its reports came through
   * two neighbours. An unconfirmed peer that falls silent alerts only within a small
   * allowance; beyond it, it is counted in a `crowded` event instead.
   */
  confirmed: boolean
  /** Where it says it listens (its latest report's multiaddrs, without /p2p/<id>); empty when it said nothing. */
  addrs: string[]
  /** Latest received metric of each name. */
  metrics: Record<string, ReceivedMetric>
}

/**
 * A monitored peer as the service and the API report it: the core's summary plus whether
 * this node holds a connection to it (the service knows; the core is told nothing of connections).
 */
export interface MonitoredPeer extends PeerSummary {
  connected: boolean
}

/** A peer's stated listen addresses and what tells whether it is worth dialling. */
export interface PeerAddresses {
  peer: string
  /** Multiaddr strings without /p2p/<id>, as the peer stated them in its signed report. */
  addrs: string[]
  confirmed: boolean
  state: PeerState
  lastSeenAgoMs: number
}

/** A peer with the window of each of its metrics, oldest first. */
export interface PeerDetail extends PeerSummary {
  windows: Record<string, ReceivedMetric[]>
}

export interface Counters {
  /** Messages handed to handleMessage: always accepted + the sum of dropped. */
  received: number
  /** Messages accepted. */
  accepted: number
  /** Messages dropped, by reason. */
  dropped: Record<DropReason, number>
  /** Metrics refused inside accepted reports: new names beyond maxNamesPerPeer, or beyond the byte budget. */
  refusedMetrics: number
  /** Of refusedMetrics, those refused for the byte budget. */
  refusedMetricsBudget: number
  /** New peers admitted, by whether they were confirmed then. */
  admitted: { confirmed: number, unconfirmed: number }
  /** Alerts on unconfirmed peers counted in a `crowded` event instead of raised. */
  mutedAlerts: number
  /** Silent peers evicted to make room (byte budget or maxPeers). */
  evicted: number
}

/** The byte budget and admission, as /metrics and the API show them. */
export interface PressureView {
  /** Estimated bytes held, by every account of the budget, and the budget. */
  usedBytes: number
  budgetBytes: number
  /** Bytes by account (`peers`: the core's; others, e.g. `replay`). */
  accounts: Record<string, number>
  /** Bytes held by unconfirmed peers, and their bound (a share of the budget). */
  unconfirmedBytes: number
  unconfirmedBudgetBytes: number
  /** Peers known, confirmed or not. */
  confirmedPeers: number
  unconfirmedPeers: number
  /** New peers heard from and not admitted (yet). */
  waiting: number
}

/** Counters of a core that has handled nothing: every reason present, at 0. */
export function emptyCounters (): Counters {
  return {
    received: 0,
    accepted: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    refusedMetrics: 0,
    refusedMetricsBudget: 0,
    admitted: { confirmed: 0, unconfirmed: 0 },
    mutedAlerts: 0,
    evicted: 0
  }
}

/**
 * What handleMessage did. An accepted report with `relay: false` is of an
 * unconfirmed peer while new peers are being refused: the topic validator
 * ignores it (not forwarded), so a flood stays with the neighbour that sent it.
 */
export type HandleResult = { accepted: true, relay?: false } | { accepted: false, reason: DropReason }
