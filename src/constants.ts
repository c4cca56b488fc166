/** Defaults of the peer-monitor service. Every option of `PeerMonitorInit` documents which one it uses. */

/** The pubsub topic reports are published on. */
export const DEFAULT_TOPIC = 'peermon/v1'

/** How often a node publishes its report (ms). */
export const DEFAULT_INTERVAL_MS = 1_000

/** Time to live of each published metric (ms), counted by each receiver from the moment it receives the report. */
export const DEFAULT_TTL_MS = 3_000

/** Metrics kept per (peer, metric name) is IPFS Cluster's window size, 25; a silent peer is forgotten after 10 minutes. */
export { DEFAULT_WINDOW_SIZE } from './monitor/window.js'
export { DEFAULT_RETENTION_MS } from './monitor/core-api.js'

/** Publish times are spread by up to this fraction of the interval, so a swarm does not publish in bursts. */
export const DEFAULT_JITTER = 0.1

/** How long stop() waits (ms) after publishing the leave notice, so it reaches the wire before connections close. */
export const LEAVE_FLUSH_MS = 150

/** How often the service probes its own event loop for local health (ms): how late the probe runs, how busy the loop was. */
export const LOOP_PROBE_MS = 250

/**
 * A peer's first report keeps its metrics this many TTLs (MonitorCoreInit.firstReportTtls):
 * a node that has just joined, or just started to hear a peer, does not alert
 * while the mesh that carries that peer's reports to it is still forming.
 */
export const FIRST_REPORT_TTLS = 2
