/**
 * The JSON shapes of peermon's HTTP API, for the server (src/api/) and its
 * clients (the CLI client, the dashboard). Plain types only: no libp2p, no Fastify.
 *
 * Routes (all JSON unless noted; base URL from the `listening` line's `api` field):
 *
 *   GET    /api/v0/id              → IdResponse
 *   GET    /api/v0/peers           → PeersResponse
 *   GET    /api/v0/peers/:id       → PeerDetailResponse     (400 malformed id, 404 unknown peer)
 *   GET    /api/v0/metrics         → MetricNamesResponse    (names of the metrics received so far)
 *   GET    /api/v0/metrics/:name   → MetricResponse         (400 malformed name; unknown name → empty list)
 *   POST   /api/v0/metrics         ← SetMetricRequest → SetMetricResponse (201 new, 200 replaced; 400 invalid)
 *   DELETE /api/v0/metrics/:name   → DeleteMetricResponse   (404 when not set)
 *   GET    /api/v0/alerts?limit=n  → AlertsResponse         (newest last; limit 1..ALERT_HISTORY_SIZE, default all)
 *   GET    /api/v0/health          → HealthResponse         (no token needed)
 *   GET    /api/v0/events?type=a,b → text/event-stream: `event: <type>\ndata: <EventLine JSON>\n\n`,
 *                                    comment heartbeats `: keepalive\n\n` every SSE_HEARTBEAT_MS;
 *                                    503 when SSE_MAX_CLIENTS streams are open
 *   GET    /metrics                → Prometheus text exposition (text/plain; version=0.0.4)
 *   GET    /                       → the dashboard page (HTML; src/api/dashboard*, added to API_PLUGINS in src/daemon/api-part.ts)
 *
 * Every error is an {@link ApiError} with the matching status: 400 bad parameter or body,
 * 401 missing/wrong token, 404 unknown route or resource, 413 body over API_BODY_LIMIT,
 * 415 body not JSON, 503 too many event streams.
 *
 * Authentication: with `--api-token`, every route except `GET /api/v0/health` needs
 * `Authorization: Bearer <token>`. `GET /` and `GET /api/v0/events` also accept `?token=<token>`
 * (a browser's EventSource cannot set headers).
 *
 * Times: `*Ms` fields are durations in milliseconds measured on the daemon's monotonic
 * clock at the moment of the response; `*At` fields ending a wall-clock moment are epoch ms;
 * `ts` and `started` are ISO 8601 strings.
 */
import type { EventLine } from '../events/event.js'
import type { LocalCondition } from '../monitor/local-health.js'
import type { MetricValue, MonitorEventType, PeerState } from '../monitor/types.js'

// The API's contract names these; they are defined where they are made.
export type { EventLine, LocalCondition, MetricValue, MonitorEventType, PeerState }

/** Path prefix of the JSON API. */
export const API_PREFIX = '/api/v0'
/** Where the daemon serves the API unless told otherwise (`--api`), and where the client looks for it. */
export const DEFAULT_API_ADDRESS = Object.freeze({ host: '127.0.0.1', port: 5011 })

/** Largest request body accepted (bytes); larger bodies get 413. */
export const API_BODY_LIMIT = 16 * 1024
// Most open `/api/v0/events` streams (one more gets 503) and the heartbeat's interval (ms): the SSE module's.
export { SSE_HEARTBEAT_MS, SSE_MAX_CLIENTS } from '../http/sse-limits.js'
/** Events kept for `GET /api/v0/alerts` (and read back from the alert log at start). */
export const ALERT_HISTORY_SIZE = 1000

/** The body of every error response. */
export interface ApiError {
  /** One line saying what was wrong, e.g. `peer id "xyz" is not a valid peer id`. */
  error: string
  /** The HTTP status code, repeated. */
  statusCode: number
}

/** `GET /api/v0/id`: who this daemon is and how it reports. */
export interface IdResponse {
  /** This node's peer id. */
  peer: string
  /** Multiaddrs it listens on, each ending in `/p2p/<peer>`. */
  addrs: string[]
  /** peermon version (package.json). */
  version: string
  /** Pubsub topic of the reports. */
  topic: string
  /** Publish interval (ms). */
  intervalMs: number
  /** TTL of this node's metrics (ms). */
  ttlMs: number
  /** Metrics kept per (peer, metric name). */
  windowSize: number
}

/** One metric of a peer as received, with times made relative to now. */
export interface MetricView {
  name: string
  value: MetricValue
  /** TTL the sender gave it (ms). */
  ttlMs: number
  /** Time since it was received (ms). */
  ageMs: number
  /** Time until it expires (ms); ≤ 0 once expired. */
  expiresInMs: number
  /** When it was received, epoch ms on the daemon's wall clock (derived: now − ageMs). */
  receivedAt: number
  /** Sender's wall clock when it published, epoch ms. Display only: clocks differ. */
  sentAt: number
}

/** One monitored peer, as `GET /api/v0/peers` lists it. */
export interface PeerView {
  peer: string
  state: PeerState
  /**
   * Whether it keeps going into and out of alert: from its `flapping` event to
   * its `stable` event. Its alerts still count; its hooks are held.
   */
  flapping: boolean
  /** Time since its last accepted report (ms). */
  lastSeenAgoMs: number
  /** Whether this daemon holds a libp2p connection to it (reports may also arrive relayed). */
  connected: boolean
  /**
   * Whether there is evidence of a real node behind it: it is or was connected to this
   * daemon, it is on the allow-list, or its reports came through two neighbours. An
   * unconfirmed peer may be invented (SECURITY.md): when many go silent they are counted
   * in a `crowded` event instead of an alert each. (Absent from daemons before it.)
   */
  confirmed?: boolean
  /**
   * Where it says it listens: the multiaddrs (without /p2p/<id>) in its latest signed report,
   * which this daemon may dial to keep its connections (docs/operations.md). (Absent from daemons before it.)
   */
  addrs?: string[]
  /** Names of its metrics currently in alert. */
  alerting: string[]
  /** Its publish interval (ms; 0 when unknown). */
  intervalMs: number
  /** Epoch and sequence number of its last accepted report. */
  epoch: number
  seq: number
  /** Sender's wall clock at its last report, epoch ms. Display only. */
  sentAt: number
  /** The latest received metric of each name (expired ones included: see expiresInMs). */
  metrics: Record<string, MetricView>
}

/** `GET /api/v0/peers`: every monitored peer, sorted by peer id. This node itself is not in the list. */
export interface PeersResponse {
  /** This node's peer id. */
  self: string
  peers: PeerView[]
}

/** `GET /api/v0/peers/:id`: one peer with the whole window of each metric, oldest first. */
export interface PeerDetailResponse extends PeerView {
  windows: Record<string, MetricView[]>
}

/** `GET /api/v0/metrics`: names of the metrics received from any monitored peer, sorted. */
export interface MetricNamesResponse {
  names: string[]
}

/** One peer's latest value of a metric, as `GET /api/v0/metrics/:name` lists it. */
export interface PeerMetricView extends MetricView {
  peer: string
}

/** `GET /api/v0/metrics/:name`: the latest unexpired value of that metric from each peer, sorted by peer id. */
export interface MetricResponse {
  name: string
  metrics: PeerMetricView[]
}

/** `POST /api/v0/metrics` body: a custom metric this node publishes from now on. */
export interface SetMetricRequest {
  /** 1..64 characters of A-Z a-z 0-9 _ . : / -; not a built-in (`ping`, `load`, `memory`, `freespace`, `peers`) or `tag:*`. */
  name: string
  /** A finite number or a string of at most 256 characters. */
  value: MetricValue
  /** Time to live: a duration string (`30s`) or ms; 100ms..24h. Default: the daemon's --ttl. */
  ttl?: string | number
}

/** `POST /api/v0/metrics` response (201 when the name was new, 200 when it replaced a value). */
export interface SetMetricResponse {
  name: string
  value: MetricValue
  ttlMs: number
  /** True when this replaced an earlier value of the same name. */
  replaced: boolean
}

/** `DELETE /api/v0/metrics/:name` response. Peers see the metric expire (and alert on it). */
export interface DeleteMetricResponse {
  name: string
  deleted: true
}

/** Types of the events kept in the alert history. */
export type HistoryEventType = Exclude<MonitorEventType, 'joined'>

/** `GET /api/v0/alerts`: recent alert, recovered, left, forgotten, flapping and stable events, oldest first, newest last. */
export interface AlertsResponse {
  events: EventLine[]
}

/** `GET /api/v0/health`: liveness of the daemon itself. */
export interface HealthResponse {
  ok: true
  peer: string
  version: string
  /** When the API started, ISO 8601. */
  started: string
  /** Time since the API started (ms). */
  uptimeMs: number
  /** Monitored peers by state. */
  peers: Record<PeerState, number>
  /** Reports received, accepted and dropped (sum over reasons) so far. */
  reports: { received: number, accepted: number, dropped: number }
  /** Reports this node has published. */
  published: number
  /** Open event streams. */
  eventClients: number
  /** Lines of the alert log skipped as corrupt when it was read at start (0 without --alert-log). */
  alertLogCorrupt: number
  /** This node's own condition (local health): `degraded` while judging its peers waits, `isolated` while it hears none. */
  local: LocalCondition
  /** Its connections and the degree it keeps (absent when the API runs without a daemon around it). */
  connections?: ConnectionsView
}

/** A daemon's connections to distinct peers and the degree it keeps (`--min-connections`). */
export interface ConnectionsView {
  /** Peers a connection is open to now. */
  connected: number
  /** Connections it keeps, at least: below it, it dials peers it knows of (0: only its bootstrap peers). */
  target: number
  /** Dials under way. */
  dialling: number
  /** Peers it knows an address of that it would dial (stated in their reports, or remembered). */
  known: number
  /** Dials to known peers that connected and that failed, since start (bootstrap dials not included). */
  dials: { ok: number, failed: number }
  /** Below target with nobody it could dial (a `warning` event said so). */
  short: boolean
}
