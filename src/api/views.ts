/**
 * The monitor's records as the API shows them: monotonic receive and expiry
 * times become ages relative to the moment of the response, and a wall-clock
 * receive time derived from that age.
 */
import type { PeerDetail, PeerSummary } from '../monitor/core-api.js'
import type { ReceivedMetric } from '../monitor/types.js'
import type { MetricView, PeerDetailResponse, PeerMetricView, PeerView } from './types.js'

/** The moment of a response on both clocks. */
export interface Now {
  /** Monotonic ms, the clock the monitor records receipts on (performance.now()). */
  mono: number
  /** Wall-clock epoch ms (Date.now()). */
  wall: number
}

/** Durations are rounded to 0.1 ms, as in the `--json` lines. */
export function roundMs (ms: number): number {
  return Math.round(ms * 10) / 10
}

export function metricView (metric: ReceivedMetric, now: Now): MetricView {
  const ageMs = now.mono - metric.receivedAt
  return {
    name: metric.name,
    value: metric.value,
    ttlMs: metric.ttlMs,
    ageMs: roundMs(ageMs),
    expiresInMs: roundMs(metric.expiresAt - now.mono),
    receivedAt: Math.round(now.wall - ageMs),
    sentAt: metric.sentAt
  }
}

export function peerMetricView (metric: ReceivedMetric, now: Now): PeerMetricView {
  return { peer: metric.peer, ...metricView(metric, now) }
}

export function peerView (peer: PeerSummary & { connected: boolean }, now: Now): PeerView {
  const metrics: Record<string, MetricView> = {}
  for (const [name, metric] of Object.entries(peer.metrics)) metrics[name] = metricView(metric, now)
  return {
    peer: peer.peer,
    state: peer.state,
    flapping: peer.flapping,
    lastSeenAgoMs: roundMs(peer.lastSeenAgoMs),
    connected: peer.connected,
    confirmed: peer.confirmed,
    addrs: peer.addrs,
    alerting: peer.alerting,
    intervalMs: peer.intervalMs,
    epoch: peer.epoch,
    seq: peer.seq,
    sentAt: peer.sentAt,
    metrics
  }
}

export function peerDetailView (peer: PeerDetail & { connected: boolean }, now: Now): PeerDetailResponse {
  const windows: Record<string, MetricView[]> = {}
  for (const [name, window] of Object.entries(peer.windows)) windows[name] = window.map(metric => metricView(metric, now))
  return { ...peerView(peer, now), windows }
}
