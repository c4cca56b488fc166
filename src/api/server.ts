/**
 * The HTTP API server: a Fastify instance with peermon's JSON routes
 * (routes.ts), the event stream, Prometheus `/metrics`, token and host
 * checks, JSON errors for everything, and a small body limit. It takes plain
 * values and the monitor's public methods, so it runs in tests with
 * `inject()` and in the benchmark without a network.
 */
import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Registry } from 'prom-client'
import type { EventRecord } from '../events/record.js'
import { bearerToken, isLoopbackHost, tokenMatches } from '../http/auth.js'
import { EventStreams } from '../http/sse.js'
import { EventHistory } from './history.js'
import { PeermonMetrics, createMetricsRegistry } from './prometheus.js'
import { registerApiRoutes } from './routes.js'
import type { ApiMonitor } from './routes.js'
import { ALERT_HISTORY_SIZE, API_BODY_LIMIT, API_PREFIX } from './types.js'
import type { ApiError, ConnectionsView, IdResponse } from './types.js'

export interface ApiServerOptions {
  monitor: ApiMonitor
  /**
   * A peer id as a client writes it in the form the monitor keys peers by, undefined when it
   * is none (400): the daemon passes libp2p's parser (src/libp2p/peer-id.ts).
   */
  canonicalPeerId: (text: string) => string | undefined
  /** This node as `GET /api/v0/id` shows it; called per request (addresses may change). */
  identity: () => IdResponse
  /** Bearer token every route but `/api/v0/health` requires; undefined = none. */
  token?: string
  /**
   * Answer only requests whose Host header is a loopback name (403 otherwise), so a web page
   * cannot reach a token-less API through DNS rebinding. Default: true when there is no token.
   */
  loopbackHostsOnly?: boolean
  /** Alert history (default: a new one of ALERT_HISTORY_SIZE). */
  history?: EventHistory
  /** Event streams (default: a new one with the default bounds). */
  streams?: EventStreams
  /** Registry of `/metrics` (default: a new one with the process metrics). */
  registry?: Registry
  /** Clocks: monotonic (the monitor's) and wall (default performance.now() and Date.now()). */
  clock?: { mono: () => number, wall: () => number }
  /** The daemon's connections and their target, for /health and /metrics; absent: neither shows them. */
  connections?: () => ConnectionsView
  /** More routes, e.g. the dashboard page (`GET /`); each gets the Fastify instance after the API routes. */
  plugins?: Array<(app: FastifyInstance) => void | Promise<void>>
}

export interface ApiServer {
  app: FastifyInstance
  history: EventHistory
  streams: EventStreams
  registry: Registry
  /** Hands one event to the stream, the history and the counters. */
  handleEvent: (record: EventRecord) => void
}

/** Routes that also take the token as `?token=` (a browser's EventSource cannot send headers). */
const QUERY_TOKEN_ROUTES = new Set(['/', `${API_PREFIX}/events`])
/** Routes open without a token. */
const OPEN_ROUTES = new Set([`${API_PREFIX}/health`])

export async function buildApiServer (options: ApiServerOptions): Promise<ApiServer> {
  const history = options.history ?? new EventHistory(ALERT_HISTORY_SIZE)
  const streams = options.streams ?? new EventStreams()
  const registry = options.registry ?? createMetricsRegistry()
  const clock = options.clock ?? { mono: () => performance.now(), wall: () => Date.now() }
  const { token } = options
  const loopbackOnly = options.loopbackHostsOnly ?? token === undefined
  const identity = options.identity()

  const app = Fastify({
    logger: false,
    bodyLimit: API_BODY_LIMIT,
    // Body fields keep their JSON types: no coercion of `true` into 1, no silent removal of unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allowUnionTypes: true } },
    routerOptions: { maxParamLength: 256 },
    // A stopping daemon must not wait for clients: a connection that never sends a request
    // (undici opens spare ones) would otherwise hold close() until the headers timeout.
    forceCloseConnections: true
  })
  app.removeContentTypeParser('text/plain')

  const metrics = new PeermonMetrics({
    registry,
    source: {
      peers: () => options.monitor.peers(),
      counters: () => options.monitor.counters(),
      published: () => options.monitor.published,
      eventStreams: () => streams.size,
      localCondition: () => options.monitor.localCondition,
      pressure: () => options.monitor.pressure?.(),
      connections: options.connections
    },
    info: { peer: identity.peer, version: identity.version, topic: identity.topic },
    now: clock.mono
  })

  app.addHook('onRequest', async (req, reply) => {
    if (loopbackOnly && !isLoopbackHost(req.headers.host)) {
      return await sendError(reply, 403, 'this API answers only requests to localhost, 127.0.0.1 or [::1]; use --api-token to serve other host names')
    }
    if (token === undefined) return
    const route = req.routeOptions.url
    if (route !== undefined && OPEN_ROUTES.has(route)) return
    const given = bearerToken(req.headers.authorization) ??
      (route !== undefined && QUERY_TOKEN_ROUTES.has(route) ? queryToken(req) : undefined)
    if (!tokenMatches(given, token)) {
      reply.header('www-authenticate', 'Bearer realm="peermon"')
      return await sendError(reply, 401, given === undefined
        ? 'this API needs a token: send Authorization: Bearer <token>'
        : 'wrong token')
    }
  })

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    // An unexpected error's message stays in the daemon; errors with a status of their own are meant for the client.
    let message = err.statusCode === undefined ? 'internal error' : err.message
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body larger than ${API_BODY_LIMIT} bytes`
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = `unsupported content type ${JSON.stringify(_req.headers['content-type'] ?? '')}; send application/json`
    else if (err.validation !== undefined) message = `invalid request: ${err.message}`
    void sendError(reply, status, message)
  })
  app.setNotFoundHandler((req, reply) => {
    void sendError(reply, 404, `no route ${req.method} ${req.url.split('?')[0]} (the JSON API is under ${API_PREFIX}/)`)
  })

  app.addHook('preClose', async () => { streams.close() })

  registerApiRoutes(app, { monitor: options.monitor, canonicalPeerId: options.canonicalPeerId, identity: options.identity, history, streams, clock, started: clock.wall(), connections: options.connections })
  app.get('/metrics', async (_req, reply) => {
    const text = await registry.metrics()
    return await reply.type(registry.contentType).send(text)
  })
  for (const plugin of options.plugins ?? []) await plugin(app)

  const handleEvent = (record: EventRecord): void => {
    streams.publish(record.type, record.json)
    history.add(record.line)
    metrics.observe(record.event)
  }
  return { app, history, streams, registry, handleEvent }
}

async function sendError (reply: FastifyReply, statusCode: number, message: string): Promise<FastifyReply> {
  const body: ApiError = { error: message, statusCode }
  return await reply.code(statusCode).type('application/json; charset=utf-8').send(body)
}

function queryToken (req: FastifyRequest): string | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.token
  return typeof value === 'string' ? value : undefined
}
