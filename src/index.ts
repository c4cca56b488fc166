/**
 * @packageDocumentation
 *
 * peermon: a peer monitor for libp2p swarms. Every node publishes a signed report
 * of its metrics (a `ping` heartbeat, load, memory, free space, open connections,
 * tags and custom metrics) on a gossipsub topic; every node logs what it receives
 * into per-peer windows and raises an alert, once, when a peer's metrics expire on
 * its own monotonic clock: that peer has crashed, hung or been cut off.
 *
 * @example
 *
 * ```TypeScript
 * import { createLibp2p } from 'libp2p'
 * import { tcp } from '@libp2p/tcp'
 * import { noise } from '@chainsafe/libp2p-noise'
 * import { yamux } from '@chainsafe/libp2p-yamux'
 * import { identify } from '@libp2p/identify'
 * import { gossipsub } from '@chainsafe/libp2p-gossipsub'
 * import { peerMonitor } from 'peermon'
 *
 * const node = await createLibp2p({
 *   addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
 *   transports: [tcp()],
 *   connectionEncrypters: [noise()],
 *   streamMuxers: [yamux()],
 *   services: {
 *     identify: identify(),
 *     pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }),
 *     monitor: peerMonitor({ interval: 1000 })  // ttl: 3 × interval unless given
 *   }
 * })
 *
 * node.services.monitor.addEventListener('alert', (evt) => {
 *   console.log(`${evt.detail.peer} stopped reporting ${evt.detail.metric}`)
 * })
 * node.services.monitor.setMetric('queue_depth', 12)
 * ```
 *
 * The factory and the service's types are defined in src/libp2p/index.ts, the
 * class in src/libp2p/service.ts. This entry loads the service only. A node with peermon's own stack (TCP,
 * Noise, yamux, identify, gossipsub and the monitor), as the daemon runs, is
 * `createNode()` from `peermon/node`.
 */
export { peerMonitor } from './libp2p/index.js'
export type {
  PeerMonitor, PeerMonitorComponents, PeerMonitorEvents, PeerMonitorInit, MonitoredPeer,
  MonitorPubSub, MonitorLogger, PeerIdLike, ReportMessage, ReportValidator, ReportTrace
} from './libp2p/index.js'
export type { PeerAddresses, PeerDetail, PeerSummary, Counters } from './monitor/core-api.js'
export type { DropReason, ReportLimits } from './monitor/report.js'
export type {
  Metric, MetricValue, ReceivedMetric, MonitorEvent, MonitorEventType, PeerState,
  AlertEvent, RecoveredEvent, JoinedEvent, LeftEvent, ForgottenEvent, FlappingEvent, StableEvent
} from './monitor/types.js'
export type { FlapLimits } from './monitor/flapping.js'
export * from './constants.js'
