/**
 * JSON schemas of the largest responses (types.ts has their documented
 * shapes): Fastify serializes through them with fast-json-stringify, about
 * twice as fast as JSON.stringify for `/api/v0/peers` (bench/api.ts). A field
 * missing here is left out of the response, so these must follow types.ts;
 * the integration tests compare whole responses.
 */

const metricView = {
  type: 'object',
  required: ['name', 'value', 'ttlMs', 'ageMs', 'expiresInMs', 'receivedAt', 'sentAt'],
  properties: {
    name: { type: 'string' },
    value: { type: ['number', 'string'] },
    ttlMs: { type: 'number' },
    ageMs: { type: 'number' },
    expiresInMs: { type: 'number' },
    receivedAt: { type: 'number' },
    sentAt: { type: 'number' }
  }
} as const

const peerViewProperties = {
  peer: { type: 'string' },
  state: { type: 'string' },
  flapping: { type: 'boolean' },
  lastSeenAgoMs: { type: 'number' },
  connected: { type: 'boolean' },
  confirmed: { type: 'boolean' },
  addrs: { type: 'array', items: { type: 'string' } },
  alerting: { type: 'array', items: { type: 'string' } },
  intervalMs: { type: 'number' },
  epoch: { type: 'number' },
  seq: { type: 'number' },
  sentAt: { type: 'number' },
  metrics: { type: 'object', additionalProperties: metricView }
} as const

const peerView = { type: 'object', properties: peerViewProperties } as const

/** `GET /api/v0/peers` → PeersResponse. */
export const peersResponse = {
  type: 'object',
  properties: { self: { type: 'string' }, peers: { type: 'array', items: peerView } }
} as const

/** `GET /api/v0/peers/:id` → PeerDetailResponse. */
export const peerDetailResponse = {
  type: 'object',
  properties: { ...peerViewProperties, windows: { type: 'object', additionalProperties: { type: 'array', items: metricView } } }
} as const

/** `GET /api/v0/metrics/:name` → MetricResponse. */
export const metricResponse = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    metrics: { type: 'array', items: { type: 'object', properties: { peer: { type: 'string' }, ...metricView.properties } } }
  }
} as const
