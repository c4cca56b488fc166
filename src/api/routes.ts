/**
 * The JSON routes under `/api/v0` (shapes in types.ts). Handlers read the
 * monitor at request time; bad parameters are 400s with a message naming the
 * parameter and the accepted form.
 */
import type { FastifyInstance } from 'fastify'
import { parseDuration } from '../duration.js'
import { PEERMON_EVENT_TYPES } from '../events/event.js'
import { DEFAULT_MAX_NAME_LENGTH, METRIC_NAME_PATTERN } from '../monitor/report.js'
import type { Counters, MonitoredPeer, PeerDetail, PressureView } from '../monitor/core-api.js'
import type { LocalCondition } from '../monitor/local-health.js'
import type { MetricValue, PeerState, ReceivedMetric } from '../monitor/types.js'
import type { EventStreams } from '../http/sse.js'
import type { EventHistory } from './history.js'
import { httpError } from './errors.js'
import { metricResponse, peerDetailResponse, peersResponse } from './schemas.js'
import { ALERT_HISTORY_SIZE, API_PREFIX } from './types.js'
import type {
  AlertsResponse, ConnectionsView, DeleteMetricResponse, HealthResponse, IdResponse, MetricNamesResponse, MetricResponse,
  PeerDetailResponse, PeersResponse, SetMetricRequest, SetMetricResponse
} from './types.js'
import { peerDetailView, peerMetricView, peerView } from './views.js'
import type { Now } from './views.js'

/**
 * What the API needs of the monitor, in the core's types: the service (`PeerMonitor`,
 * src/libp2p) provides it, and tests can pass a plain object.
 */
export interface ApiMonitor {
  peers: () => MonitoredPeer[]
  peer: (peerId: string) => (PeerDetail & { connected: boolean }) | undefined
  latest: (name: string) => ReceivedMetric[]
  metricNames: () => string[]
  counters: () => Counters
  setMetric: (name: string, value: MetricValue, ttlMs?: number) => void
  deleteMetric: (name: string) => boolean
  readonly published: number
  readonly localCondition: LocalCondition
  pressure?: () => PressureView | undefined
}

export interface RouteDeps {
  monitor: ApiMonitor
  /** A peer id as written (a path parameter) in the form the monitor keys peers by; undefined: not a peer id. */
  canonicalPeerId: (text: string) => string | undefined
  identity: () => IdResponse
  history: EventHistory
  streams: EventStreams
  clock: { mono: () => number, wall: () => number }
  /** Wall-clock ms when the API started. */
  started: number
  /** The daemon's connections; absent: /health leaves them out. */
  connections?: () => ConnectionsView
}

/** Event types a stream may be limited to with `?type=`. */
const STREAM_EVENT_TYPES: ReadonlySet<string> = new Set(PEERMON_EVENT_TYPES)

const setMetricBody = {
  type: 'object',
  required: ['name', 'value'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    value: { type: ['number', 'string'] },
    ttl: { type: ['string', 'number'] }
  }
} as const

export function registerApiRoutes (app: FastifyInstance, deps: RouteDeps): void {
  const { monitor, history, streams, clock } = deps
  const now = (): Now => ({ mono: clock.mono(), wall: clock.wall() })
  /** Names of the metrics set through the API, to tell a new one (201) from a replacement (200). */
  const setByApi = new Set<string>()

  app.get(`${API_PREFIX}/id`, async (): Promise<IdResponse> => deps.identity())

  app.get(`${API_PREFIX}/peers`, { schema: { response: { 200: peersResponse } } }, async (): Promise<PeersResponse> => {
    const at = now()
    return { self: deps.identity().peer, peers: monitor.peers().map(peer => peerView(peer, at)) }
  })

  app.get<{ Params: { id: string } }>(`${API_PREFIX}/peers/:id`, { schema: { response: { 200: peerDetailResponse } } }, async (req): Promise<PeerDetailResponse> => {
    const id = checkPeerId(req.params.id, deps.canonicalPeerId)
    const peer = monitor.peer(id)
    if (peer === undefined) throw httpError(404, `peer ${id} is not monitored by this node`)
    return peerDetailView(peer, now())
  })

  app.get(`${API_PREFIX}/metrics`, async (): Promise<MetricNamesResponse> => ({ names: monitor.metricNames() }))

  app.get<{ Params: { name: string } }>(`${API_PREFIX}/metrics/:name`, { schema: { response: { 200: metricResponse } } }, async (req): Promise<MetricResponse> => {
    const name = checkMetricName(req.params.name)
    const at = now()
    const metrics = monitor.latest(name)
      .filter(metric => metric.expiresAt > at.mono)
      .sort((a, b) => a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0)
      .map(metric => peerMetricView(metric, at))
    return { name, metrics }
  })

  app.post<{ Body: SetMetricRequest }>(`${API_PREFIX}/metrics`, { schema: { body: setMetricBody } }, async (req, reply): Promise<SetMetricResponse> => {
    const { name, value } = req.body
    const ttlMs = req.body.ttl === undefined ? undefined : ttlOf(req.body.ttl)
    try {
      monitor.setMetric(name, value, ttlMs)
    } catch (err) {
      if (err instanceof RangeError) throw httpError(400, err.message)
      throw err
    }
    const replaced = setByApi.has(name)
    setByApi.add(name)
    void reply.code(replaced ? 200 : 201)
    return { name, value, ttlMs: ttlMs ?? deps.identity().ttlMs, replaced }
  })

  app.delete<{ Params: { name: string } }>(`${API_PREFIX}/metrics/:name`, async (req): Promise<DeleteMetricResponse> => {
    const name = checkMetricName(req.params.name)
    if (!monitor.deleteMetric(name)) throw httpError(404, `metric ${JSON.stringify(name)} is not a custom metric of this node`)
    setByApi.delete(name)
    return { name, deleted: true }
  })

  app.get<{ Querystring: { limit?: string } }>(`${API_PREFIX}/alerts`, {
    schema: { querystring: { type: 'object', properties: { limit: { type: 'string' } } } }
  }, async (req): Promise<AlertsResponse> => {
    const { limit } = req.query
    if (limit === undefined) return { events: history.recent() }
    const n = /^\d{1,7}$/.test(limit) ? Number(limit) : NaN
    if (!(n >= 1 && n <= ALERT_HISTORY_SIZE)) throw httpError(400, `limit: expected a whole number from 1 to ${ALERT_HISTORY_SIZE}, got ${JSON.stringify(limit)}`)
    return { events: history.recent(n) }
  })

  app.get(`${API_PREFIX}/health`, async (): Promise<HealthResponse> => {
    const peers: Record<PeerState, number> = { alive: 0, alerting: 0, left: 0 }
    for (const peer of monitor.peers()) peers[peer.state]++
    const counters = monitor.counters()
    const { peer, version } = deps.identity()
    return {
      ok: true,
      peer,
      version,
      started: new Date(deps.started).toISOString(),
      uptimeMs: clock.wall() - deps.started,
      peers,
      reports: { received: counters.received, accepted: counters.accepted, dropped: Object.values(counters.dropped).reduce((a, b) => a + b, 0) },
      published: monitor.published,
      eventClients: streams.size,
      alertLogCorrupt: history.corrupt,
      local: monitor.localCondition,
      ...(deps.connections !== undefined ? { connections: deps.connections() } : {})
    }
  })

  app.get<{ Querystring: { type?: string } }>(`${API_PREFIX}/events`, {
    schema: { querystring: { type: 'object', properties: { type: { type: 'string' }, token: { type: 'string' } } } }
  }, async (req, reply) => {
    const types = req.query.type === undefined ? undefined : eventTypesOf(req.query.type)
    if (!streams.hasRoom) throw httpError(503, 'too many open event streams; try again later')
    reply.hijack()
    streams.open(req.raw, reply.raw, types)
  })
}

function checkPeerId (id: string, canonical: (text: string) => string | undefined): string {
  const peer = canonical(id)
  if (peer === undefined) throw httpError(400, `${JSON.stringify(id.slice(0, 80))} is not a valid peer id (expected one like 12D3KooW...)`)
  return peer
}

function checkMetricName (name: string): string {
  if (name.length > DEFAULT_MAX_NAME_LENGTH || !METRIC_NAME_PATTERN.test(name)) {
    throw httpError(400, `${JSON.stringify(name.slice(0, 80))} is not a metric name (1..${DEFAULT_MAX_NAME_LENGTH} characters of A-Z a-z 0-9 _ . : / -)`)
  }
  return name
}

/** A TTL as a duration string (`30s`) or a number of ms. */
function ttlOf (ttl: string | number): number {
  if (typeof ttl === 'number') {
    if (!Number.isSafeInteger(ttl)) throw httpError(400, `ttl: expected a whole number of ms or a duration like 30s, got ${ttl}`)
    return ttl
  }
  try {
    return parseDuration(ttl)
  } catch {
    throw httpError(400, `ttl: expected a duration like 250ms, 30s or 5m (or a number of ms), got ${JSON.stringify(ttl.slice(0, 80))}`)
  }
}

function eventTypesOf (text: string): ReadonlySet<string> {
  const types = new Set(text.split(',').map(type => type.trim()).filter(type => type !== ''))
  const unknown = [...types].filter(type => !STREAM_EVENT_TYPES.has(type))
  if (types.size === 0 || unknown.length > 0) {
    throw httpError(400, `type: expected a comma-separated list of ${[...STREAM_EVENT_TYPES].join(', ')}, got ${JSON.stringify(text.slice(0, 80))}`)
  }
  return types
}
