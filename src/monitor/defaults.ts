/**
 * The monitor's defaults, in one place: the numbers the core judges by and
 * those the service builds on them (the TTL from the interval, the flap window
 * from the TTL). Everything else takes them from here: src/constants.ts
 * re-exports them beside the publishing side's own, and the daemon's option
 * table (src/daemon/options.ts) refers to them. This file imports nothing.
 */

/** How often a node publishes its report (ms). */
export const DEFAULT_INTERVAL_MS = 1_000

/**
 * When no TTL is given (a flag, the environment, a config file, `peerMonitor()`'s
 * init, the swarm launcher, a scenario file), the TTL of each published metric
 * is this many intervals.
 *
 * Why 3: a receiver alerts when no report came for one TTL. Publish times are
 * spread by the jitter (±5 % of the interval by default) and delivery through
 * the mesh takes time, more on a busy machine; so a TTL of 1.5 intervals (the
 * least allowed, DAEMON_LIMITS.minTtlIntervals) alerts when one report is a
 * little late, while 3 intervals alerts only when two reports in a row are
 * missing or very late. A fixed default (it was 3 s) did not scale: at a 2 s
 * interval it was 1.5 intervals and a CPU-bound swarm alerted all day, and any
 * interval above 2 s had to come with a TTL of its own. At the default 1 s
 * interval, 3 intervals is still 3 s.
 */
export const DEFAULT_TTL_INTERVALS = 3

/** The TTL (ms) when none is given: {@link DEFAULT_TTL_INTERVALS} × the interval. */
export function defaultTtlMs (intervalMs: number): number {
  return DEFAULT_TTL_INTERVALS * intervalMs
}

/**
 * Time to live (ms) of each published metric at the default interval; counted by each
 * receiver from the moment it receives the report. See {@link DEFAULT_TTL_INTERVALS}.
 */
export const DEFAULT_TTL_MS = defaultTtlMs(DEFAULT_INTERVAL_MS)

/** Default time a silent peer is kept before it is forgotten: 10 minutes. */
export const DEFAULT_RETENTION_MS = 10 * 60_000

/**
 * How long (ms) a silent peer is kept when no retention is given: 10 minutes, or the
 * TTL if that is longer (a huge interval gives a TTL of hours), so that a peer is
 * never forgotten before its metrics have expired and it was alerted on.
 */
export function defaultRetentionMs (ttlMs: number): number {
  return Math.max(DEFAULT_RETENTION_MS, ttlMs)
}

/** How often the service probes its own event loop for local health (ms): how late the probe runs, how busy the loop was. */
export const LOOP_PROBE_MS = 250

/**
 * A peer's first report keeps its metrics this many TTLs in a monitor built by
 * `peerMonitor()` (the daemon's, the swarm's): a node that has just joined, or
 * just started to hear a peer, does not alert while the mesh that carries that
 * peer's reports to it is still forming. A bare MonitorCore keeps TTLs exact
 * unless told (MonitorCoreInit.firstReportTtls, default {@link EXACT_TTLS}).
 */
export const FIRST_REPORT_TTLS = 2
/** MonitorCoreInit.firstReportTtls when not given: a first report's TTLs are exact, no warm-up. */
export const EXACT_TTLS = 1

/**
 * Flap detection (MonitorCoreInit.flapping): a peer with FLAP_ENTER_TRANSITIONS
 * changes into or out of alert within FLAP_WINDOW_TTLS × the TTL is flapping;
 * it is stable again after a whole window with at most FLAP_EXIT_TRANSITIONS.
 * The service sets the window from its own TTL; a bare MonitorCore's default
 * (DEFAULT_FLAP_LIMITS) is the window at the default TTL, 30 s.
 *
 * Why these: an outage lasts at least one TTL (its metric has to expire) plus
 * the wait for the next report, so a window of 10 TTLs holds at most about
 * 15–20 changes. 4 of them (two outages and their recoveries) is 20–27 % of
 * that, the level of Nagios's default flap thresholds (20 % low, 30 % high,
 * over 21 checks); two ordinary outages in half a minute (at the default 1 s
 * interval and its 3 s TTL) are already more than an operator wants a page
 * for each. Leaving takes at most 1 change in a whole window, well under the
 * entry threshold (hysteresis): a peer that still blips every window stays
 * flapping, and `stable` means its alerts can be trusted again. With a peer's
 * notifications held from `flapping` to `stable`, and `stable` at least a
 * window later, a flapping peer runs its hooks at most once per window.
 */
export const FLAP_WINDOW_TTLS = 10
export const FLAP_ENTER_TRANSITIONS = 4
export const FLAP_EXIT_TRANSITIONS = 1
/** Peers whose changes the flap detector tracks (only peers that alerted have state). */
export const FLAP_MAX_PEERS = 1_000
