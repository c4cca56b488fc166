/**
 * Defaults of the peer-monitor service. Every option of `PeerMonitorInit` documents which one it uses.
 * Those the monitor core judges by, and those built on them (the TTL, the retention, the
 * flap window), are defined in src/monitor/defaults.ts and re-exported here; this file adds
 * the publishing side's own.
 */
export {
  DEFAULT_INTERVAL_MS, DEFAULT_TTL_INTERVALS, defaultTtlMs, DEFAULT_TTL_MS, DEFAULT_RETENTION_MS, defaultRetentionMs,
  LOOP_PROBE_MS, FIRST_REPORT_TTLS, FLAP_WINDOW_TTLS, FLAP_ENTER_TRANSITIONS, FLAP_EXIT_TRANSITIONS, FLAP_MAX_PEERS
} from './monitor/defaults.js'
/** Metrics kept per (peer, metric name) is IPFS Cluster's window size, 25. */
export { DEFAULT_WINDOW_SIZE } from './monitor/window.js'

/** The pubsub topic reports are published on. */
export const DEFAULT_TOPIC = 'peermon/v1'

/** Publish times are spread by up to this fraction of the interval, so a swarm does not publish in bursts. */
export const DEFAULT_JITTER = 0.1

/** How long stop() waits (ms) after publishing the leave notice, so it reaches the wire before connections close. */
export const LEAVE_FLUSH_MS = 150
