import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { buildApiServer } from '../../src/api/server.js'
import type { ApiServer, ApiServerOptions } from '../../src/api/server.js'
import { EventStreams } from '../../src/http/sse.js'
import { createMetricsRegistry } from '../../src/api/prometheus.js'
import { API_BODY_LIMIT } from '../../src/api/types.js'
import type {
  AlertsResponse, ApiError, HealthResponse, IdResponse, MetricNamesResponse, MetricResponse, PeerDetailResponse,
  PeersResponse, SetMetricResponse
} from '../../src/api/types.js'
import { EventRecord } from '../../src/events/record.js'
import { createNode } from '../../src/libp2p/node.js'
import { FAST, connect, crash, startNode, waitFor, waitForFullView } from '../helpers/nodes.js'
import type { TestNode } from '../helpers/nodes.js'
import { SseReader } from '../helpers/api-sse.js'
import { canonicalPeerId } from '../../src/libp2p/peer-id.js'

const TOKEN = 'correct horse battery staple'

describe('HTTP API on a real node pair (127.0.0.1)', () => {
  let a: TestNode
  let b: TestNode
  let api: ApiServer
  let base: string
  const servers: ApiServer[] = []
  const registry = createMetricsRegistry()

  const build = async (options: Partial<ApiServerOptions> = {}): Promise<ApiServer> => {
    const server = await buildApiServer({
      monitor: a.node.services.monitor,
      canonicalPeerId,
      identity: (): IdResponse => ({
        peer: a.id,
        addrs: a.node.getMultiaddrs().map(String),
        version: '0.0.0-test',
        topic: 'peermon/v1',
        intervalMs: FAST.interval ?? 0,
        ttlMs: FAST.ttl ?? 0,
        windowSize: 25
      }),
      ...options
    })
    servers.push(server)
    a.node.services.monitor.addEventListener('event', (evt) => { server.handleEvent(new EventRecord(evt.detail)) })
    return server
  }
  const get = async (path: string, headers: Record<string, string> = {}, server = api) =>
    await server.app.inject({ method: 'GET', url: path, headers })
  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    await api.app.inject({ method: 'POST', url: '/api/v0/metrics', payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })

  before(async () => {
    // The API's node has libp2p metrics in the API's registry, as in the daemon; its peer has none.
    const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], monitor: FAST, metricsRegistry: registry })
    a = { node, id: node.peerId.toString(), events: [] }
    node.services.monitor.addEventListener('event', (evt) => { a.events.push({ ...evt.detail, at: performance.now() }) })
    b = await startNode()
    api = await build({ registry })
    await connect(a, b)
    await waitForFullView([a, b])
    await waitFor('a window of a few reports', () => a.node.services.monitor.window(b.id, 'ping').length >= 3, 10_000)
    await api.app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`
  })
  after(async () => {
    for (const server of servers) await server.app.close()
    await Promise.all([a, b].filter(t => t != null).map(async t => { await t.node.stop() }))
  })

  it('GET /api/v0/id tells who the node is', async () => {
    const res = await get('/api/v0/id')
    assert.equal(res.statusCode, 200)
    assert.match(res.headers['content-type'] as string, /^application\/json/)
    const body = res.json<IdResponse>()
    assert.equal(body.peer, a.id)
    assert.ok(body.addrs.length > 0 && body.addrs.every(addr => addr.startsWith('/ip4/127.0.0.1/tcp/')))
    assert.deepEqual({ ...body, addrs: [] }, { peer: a.id, addrs: [], version: '0.0.0-test', topic: 'peermon/v1', intervalMs: 200, ttlMs: 1000, windowSize: 25 })
  })

  it('GET /api/v0/peers lists the peer alive and connected, with its latest metrics', async () => {
    const body = (await get('/api/v0/peers')).json<PeersResponse>()
    assert.equal(body.self, a.id)
    assert.equal(body.peers.length, 1)
    const [peer] = body.peers
    assert.equal(peer.peer, b.id)
    assert.equal(peer.state, 'alive')
    assert.equal(peer.connected, true)
    assert.deepEqual(peer.alerting, [])
    assert.equal(peer.intervalMs, 200)
    assert.ok(peer.lastSeenAgoMs >= 0 && peer.lastSeenAgoMs < 5_000, `last seen ${peer.lastSeenAgoMs} ms ago`)
    for (const name of ['ping', 'load', 'memory', 'peers', 'health']) assert.ok(name in peer.metrics, `metric ${name}`)
    assert.ok([0, 1, 2].includes(peer.metrics.health.value as number), 'the peer reports its own condition: 0 healthy, 1 degraded, 2 isolated')
    // Serialized through a response schema: every documented field must be there.
    assert.deepEqual(Object.keys(peer).sort(), ['addrs', 'alerting', 'confirmed', 'connected', 'epoch', 'flapping', 'intervalMs', 'lastSeenAgoMs', 'metrics', 'peer', 'sentAt', 'seq', 'state'])
    assert.equal(peer.flapping, false)
    assert.equal(peer.confirmed, true, 'connected to this node: confirmed')
    assert.deepEqual(peer.addrs, b.node.getMultiaddrs().map(addr => addr.decapsulateCode(421).toString()), 'where the peer listens, as its signed reports say')
    const ping = peer.metrics.ping
    assert.deepEqual(Object.keys(ping).sort(), ['ageMs', 'expiresInMs', 'name', 'receivedAt', 'sentAt', 'ttlMs', 'value'])
    assert.equal(ping.name, 'ping')
    assert.equal(typeof ping.value, 'number')
    assert.equal(ping.ttlMs, 1000)
    assert.ok(ping.ageMs >= 0 && ping.expiresInMs > 0 && Math.abs(ping.ageMs + ping.expiresInMs - ping.ttlMs) <= 0.2)
    assert.ok(Math.abs(ping.receivedAt - Date.now()) < 60_000, 'receivedAt is a wall-clock time')
  })

  it('GET /api/v0/peers/:id gives each metric\'s whole window, oldest first; 400 for a malformed id, 404 for an unknown one', async () => {
    const res = await get(`/api/v0/peers/${b.id}`)
    assert.equal(res.statusCode, 200)
    const body = res.json<PeerDetailResponse>()
    assert.equal(body.peer, b.id)
    assert.deepEqual(Object.keys(body).sort(), ['addrs', 'alerting', 'confirmed', 'connected', 'epoch', 'flapping', 'intervalMs', 'lastSeenAgoMs', 'metrics', 'peer', 'sentAt', 'seq', 'state', 'windows'])
    assert.equal(typeof body.metrics['tag:zone'], 'undefined', 'no tags on this peer')
    const window = body.windows.ping
    assert.ok(window.length >= 3, `window of ${window.length}`)
    for (let i = 1; i < window.length; i++) assert.ok(window[i].receivedAt >= window[i - 1].receivedAt, 'oldest first')
    assert.deepEqual(window[window.length - 1].value, body.metrics.ping.value, 'the window ends with the latest')

    const bad = await get('/api/v0/peers/not-a-peer-id')
    assert.equal(bad.statusCode, 400)
    assert.deepEqual(Object.keys(bad.json()).sort(), ['error', 'statusCode'])
    assert.match(bad.json<ApiError>().error, /not a valid peer id/)
    const unknown = await get(`/api/v0/peers/${(await startNodeId())}`)
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json<ApiError>().statusCode, 404)
    assert.match(unknown.json<ApiError>().error, /not monitored/)
  })

  it('GET /api/v0/metrics lists the names; /metrics/:name gives the latest unexpired value per peer; 400 for a bad name', async () => {
    const names = (await get('/api/v0/metrics')).json<MetricNamesResponse>().names
    for (const name of ['ping', 'load', 'memory']) assert.ok(names.includes(name))
    const ping = (await get('/api/v0/metrics/ping')).json<MetricResponse>()
    assert.equal(ping.name, 'ping')
    assert.equal(ping.metrics.length, 1)
    assert.equal(ping.metrics[0].peer, b.id)
    assert.deepEqual(Object.keys(ping.metrics[0]).sort(), ['ageMs', 'expiresInMs', 'name', 'peer', 'receivedAt', 'sentAt', 'ttlMs', 'value'])
    assert.ok(ping.metrics[0].expiresInMs > 0)
    assert.deepEqual((await get('/api/v0/metrics/nobody_sends_this')).json(), { name: 'nobody_sends_this', metrics: [] })
    const bad = await get('/api/v0/metrics/bad%20name')
    assert.equal(bad.statusCode, 400)
    assert.match(bad.json<ApiError>().error, /not a metric name/)
    assert.equal((await get(`/api/v0/metrics/${'x'.repeat(65)}`)).statusCode, 400)
  })

  it('POST /api/v0/metrics sets a custom metric that peers receive; 201 new, 200 replaced; DELETE stops it', async () => {
    const created = await post({ name: 'queue_depth', value: 12, ttl: '30s' })
    assert.equal(created.statusCode, 201)
    assert.deepEqual(created.json<SetMetricResponse>(), { name: 'queue_depth', value: 12, ttlMs: 30_000, replaced: false })
    await waitFor('the peer to receive queue_depth=12', () => b.node.services.monitor.latest('queue_depth').some(m => m.peer === a.id && m.value === 12), 5_000)

    const replaced = await post({ name: 'queue_depth', value: 'busy', ttl: 5000 })
    assert.equal(replaced.statusCode, 200)
    assert.deepEqual(replaced.json<SetMetricResponse>(), { name: 'queue_depth', value: 'busy', ttlMs: 5000, replaced: true })
    const defaulted = (await post({ name: 'sidecar', value: 1 })).json<SetMetricResponse>()
    assert.equal(defaulted.ttlMs, 1000, 'the node\'s TTL by default')
    await waitFor('the peer to receive the new value', () => b.node.services.monitor.latest('queue_depth').some(m => m.value === 'busy' && m.ttlMs === 5000), 5_000)

    const deleted = await api.app.inject({ method: 'DELETE', url: '/api/v0/metrics/queue_depth' })
    assert.equal(deleted.statusCode, 200)
    assert.deepEqual(deleted.json(), { name: 'queue_depth', deleted: true })
    assert.equal((await api.app.inject({ method: 'DELETE', url: '/api/v0/metrics/queue_depth' })).statusCode, 404)
    assert.equal((await api.app.inject({ method: 'DELETE', url: '/api/v0/metrics/sidecar' })).statusCode, 200)
  })

  it('POST /api/v0/metrics refuses what peers would drop, with a message; 413 over the body limit; 415 for non-JSON', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'ping', value: 1 }, /reserved/],
      [{ name: 'tag:zone', value: 'x' }, /reserved/],
      [{ name: 'bad name', value: 1 }, /name must be/],
      [{ name: 'x'.repeat(65), value: 1 }, /name must be/],
      [{ name: 'ok', value: 'v'.repeat(257) }, /value must be/],
      [{ name: 'ok', value: true }, /body\/value must be number,string/],
      [{ name: 'ok', value: null }, /body\/value/],
      [{ name: 'ok' }, /must have required property 'value'/],
      [{ name: 'ok', value: 1, ttl: '10 seconds' }, /ttl: expected a duration/],
      [{ name: 'ok', value: 1, ttl: 50 }, /ttl must be an integer number of ms in \[100, /],
      [{ name: 'ok', value: 1, ttl: 1.5 }, /ttl: expected a whole number/],
      [{ name: 'ok', value: 1, ttl: '2d' }, /ttl: expected a duration/],
      [{ name: 'ok', value: 1, extra: 1 }, /must NOT have additional properties/],
      [[1, 2], /body must be object/],
      ['{"name":', /JSON/i]
    ]
    for (const [body, message] of cases) {
      const res = await post(body)
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`)
      assert.match(res.json<ApiError>().error, message, JSON.stringify(body))
      assert.equal(res.json<ApiError>().statusCode, 400)
    }
    const empty = await api.app.inject({ method: 'POST', url: '/api/v0/metrics', headers: { 'content-type': 'application/json' } })
    assert.equal(empty.statusCode, 400)

    const big = await post({ name: 'big', value: 'x'.repeat(API_BODY_LIMIT) })
    assert.equal(big.statusCode, 413)
    assert.match(big.json<ApiError>().error, /larger than 16384 bytes/)

    const text = await api.app.inject({ method: 'POST', url: '/api/v0/metrics', payload: 'name=x', headers: { 'content-type': 'text/plain' } })
    assert.equal(text.statusCode, 415)
    assert.match(text.json<ApiError>().error, /application\/json/)
    assert.equal(b.node.services.monitor.latest('big').length + b.node.services.monitor.latest('ok').length, 0)
  })

  it('GET /api/v0/health reports liveness and counters', async () => {
    const body = (await get('/api/v0/health')).json<HealthResponse>()
    assert.equal(body.ok, true)
    assert.equal(body.peer, a.id)
    assert.deepEqual(body.peers, { alive: 1, alerting: 0, left: 0 })
    assert.ok(body.reports.received > 0 && body.reports.accepted > 0)
    assert.ok(body.published > 0)
    assert.ok(body.uptimeMs >= 0 && !Number.isNaN(Date.parse(body.started)))
    assert.equal(body.alertLogCorrupt, 0)
    assert.ok(['healthy', 'degraded', 'isolated'].includes(body.local), `local ${body.local}`)
  })

  it('unknown routes and methods are JSON 404s', async () => {
    for (const [method, url] of [['GET', '/nope'], ['GET', '/api/v0'], ['GET', '/api/v1/peers'], ['PUT', '/api/v0/peers'], ['POST', '/api/v0/peers']] as const) {
      const res = await api.app.inject({ method, url })
      assert.equal(res.statusCode, 404, `${method} ${url}`)
      assert.match(res.headers['content-type'] as string, /^application\/json/)
      assert.equal(res.json<ApiError>().statusCode, 404)
      assert.match(res.json<ApiError>().error, /no route/)
    }
  })

  it('GET /metrics serves peermon, libp2p and process metrics in the Prometheus text format', async () => {
    const res = await get('/metrics')
    assert.equal(res.statusCode, 200)
    assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/)
    const text = res.body
    const line = (re: RegExp): string | undefined => text.split('\n').find(l => re.test(l))
    assert.equal(line(/^peermon_peers\{state="alive"\} /), 'peermon_peers{state="alive"} 1')
    assert.equal(line(/^peermon_peers\{state="alerting"\} /), 'peermon_peers{state="alerting"} 0')
    assert.ok(line(new RegExp(`^peermon_peer_metric\\{peer="${b.id}",name="ping"\\} \\d`)), 'a gauge of the peer\'s ping')
    assert.ok(line(new RegExp(`^peermon_peer_metric\\{peer="${b.id}",name="load"\\} `)))
    const age = Number(line(new RegExp(`^peermon_peer_last_report_age_seconds\\{peer="${b.id}"\\} `))?.split(' ')[1])
    assert.ok(age >= 0 && age < 5, `age ${age} s`)
    assert.equal(line(new RegExp(`^peermon_peer_state\\{peer="${b.id}",state="alive"\\} `)), `peermon_peer_state{peer="${b.id}",state="alive"} 1`, 'the peer\'s state, one series per state')
    assert.equal(line(new RegExp(`^peermon_peer_state\\{peer="${b.id}",state="alerting"\\} `)), `peermon_peer_state{peer="${b.id}",state="alerting"} 0`)
    assert.equal(line(new RegExp(`^peermon_peer_flapping\\{peer="${b.id}"\\} `)), `peermon_peer_flapping{peer="${b.id}"} 0`)
    assert.ok(line(/^peermon_crowded_total\{reason="budget"\} 0$/), 'reason series exist from the start')
    assert.ok(line(/^peermon_local_degraded_total\{reason="stall"\} 0$/))
    assert.ok(Number(line(/^peermon_reports_received_total /)?.split(' ')[1]) > 0)
    assert.ok(line(/^peermon_reports_dropped_total\{reason="malformed"\} 0$/))
    assert.ok(line(/^peermon_alerts_total\{metric="ping"\} 0$/))
    assert.ok(line(/^# TYPE peermon_alerts_total counter$/))
    const conditions = ['healthy', 'degraded', 'isolated'].map(c => Number(line(new RegExp(`^peermon_local_health\\{condition="${c}"\\} `))?.split(' ')[1]))
    assert.deepEqual(conditions.slice().sort(), [0, 0, 1], `this node is in exactly one condition: ${conditions.join(', ')}`)
    // The byte budget and admission.
    assert.equal(line(/^peermon_state_budget_bytes /), `peermon_state_budget_bytes ${256 * 2 ** 20}`)
    const used = Number(line(/^peermon_state_bytes\{account="peers"\} /)?.split(' ')[1])
    assert.ok(used > 1_000 && used < 100_000, `peer state ${used} bytes for one peer`)
    assert.equal(line(/^peermon_peers_confirmed\{confirmed="yes"\} /), 'peermon_peers_confirmed{confirmed="yes"} 1', 'b is connected to a: confirmed')
    assert.ok(line(/^peermon_peers_admitted_total\{confirmed="yes"\} 1$/))
    assert.ok(line(/^peermon_admission_waiting 0$/))
    assert.ok(line(/^peermon_alerts_muted_total 0$/))
    assert.ok(line(/^peermon_reports_dropped_total\{reason="admission"\} 0$/))
    assert.ok(line(/^libp2p_noise_xxhandshake_successes_total [1-9]/), 'libp2p\'s own metrics')
    assert.ok(line(/^process_cpu_seconds_total /), 'process metrics')
    assert.ok(line(/^nodejs_eventloop_lag_seconds /))
    // Every sample line parses: name{labels} value
    for (const l of text.split('\n')) {
      if (l === '' || l.startsWith('#')) continue
      assert.match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/, l)
    }
  })

  it('a token guards every route but health; ?token= works only for the event stream and the page', async () => {
    const guarded = await build({ token: TOKEN })
    const cases: Array<[string, Record<string, string>, number]> = [
      ['/api/v0/peers', {}, 401],
      ['/api/v0/peers', { authorization: 'Bearer wrong' }, 401],
      ['/api/v0/peers', { authorization: `Bearer ${TOKEN}x` }, 401],
      ['/api/v0/peers', { authorization: TOKEN }, 401],
      ['/api/v0/peers', { authorization: `Bearer ${TOKEN}` }, 200],
      ['/api/v0/peers', { authorization: `bearer ${TOKEN}` }, 200],
      [`/api/v0/peers?token=${encodeURIComponent(TOKEN)}`, {}, 401],
      ['/metrics', {}, 401],
      ['/metrics', { authorization: `Bearer ${TOKEN}` }, 200],
      ['/api/v0/health', {}, 200],
      ['/nope', {}, 401],
      ['/api/v0/events?token=wrong', {}, 401]
    ]
    for (const [url, headers, status] of cases) {
      const res = await get(url, headers, guarded)
      assert.equal(res.statusCode, status, `${url} ${JSON.stringify(headers)}`)
      if (status === 401) {
        assert.equal(res.json<ApiError>().statusCode, 401)
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="peermon"')
      }
    }
    const post401 = await guarded.app.inject({ method: 'POST', url: '/api/v0/metrics', payload: { name: 'x', value: 1 } })
    assert.equal(post401.statusCode, 401)
    // With a token, any Host header is fine (the token is the guard).
    assert.equal((await get('/api/v0/id', { host: 'monitor.example:5011', authorization: `Bearer ${TOKEN}` }, guarded)).statusCode, 200)
    await guarded.app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(guarded.app.server.address() as AddressInfo).port}`
    const stream = await SseReader.open(`${url}/api/v0/events?token=${encodeURIComponent(TOKEN)}`)
    assert.equal(stream.status, 200)
    await stream.close()
  })

  it('without a token, requests for other host names are refused (DNS rebinding)', async () => {
    for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.evil.example', '10.0.0.1:5011']) {
      const res = await get('/api/v0/peers', { host })
      assert.equal(res.statusCode, 403, host)
      assert.match(res.json<ApiError>().error, /localhost/)
    }
    for (const host of ['localhost', 'localhost:5011', '127.0.0.1:5011', '[::1]:5011', '127.1.2.3']) {
      assert.equal((await get('/api/v0/peers', { host })).statusCode, 200, host)
    }
  })

  it('GET /api/v0/events: bounded streams, type filter, heartbeats, cleanup on disconnect', async () => {
    const small = await build({ streams: new EventStreams({ maxClients: 1, heartbeatMs: 50 }) })
    await small.app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(small.app.server.address() as AddressInfo).port}/api/v0/events`
    const first = await SseReader.open(url)
    assert.equal(first.status, 200)
    assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/)
    assert.equal(first.headers.get('cache-control'), 'no-cache, no-transform')
    // Chunked: a client can tell the stream's clean end (the last chunk) from a daemon that died (cut off).
    assert.equal(first.headers.get('transfer-encoding'), 'chunked')
    await first.waitFor('a heartbeat', f => f.comments.includes('keepalive'), 5_000)
    const second = await fetch(url)
    assert.equal(second.status, 503)
    assert.match(((await second.json()) as ApiError).error, /too many open event streams/)
    await first.close()
    await waitFor('the stream to be released', () => small.streams.size === 0, 5_000)
    const third = await SseReader.open(url)
    assert.equal(third.status, 200, 'room again after the disconnect')
    await third.close()
    const badType = await fetch(`${url}?type=alert,nonsense`)
    assert.equal(badType.status, 400)
    assert.match(((await badType.json()) as ApiError).error, /type: expected/)
    await small.app.close()
    assert.equal(small.streams.size, 0)
  })

  it('a crashed peer: the stream carries the alert line, /alerts keeps it, /peers shows it alerting, /metrics counts it', async () => {
    const all = await SseReader.open(`${base}/api/v0/events`)
    const alertsOnly = await SseReader.open(`${base}/api/v0/events?type=alert,recovered`)
    try {
      // This node's own local-health events (a late timer on a busy machine) may be in the history too; the test is about its peers.
      const aboutPeers = (events: AlertsResponse['events']): AlertsResponse['events'] => events.filter(e => e.peer !== undefined)
      assert.deepEqual(aboutPeers((await get('/api/v0/alerts')).json<AlertsResponse>().events), [])
      await crash(b)
      const frame = await all.waitFor('an alert frame', f => f.event === 'alert', 10_000)
      const line = JSON.parse(frame.data) as Record<string, unknown>
      assert.equal(line.event, 'alert')
      assert.equal(line.peer, b.id)
      assert.equal(typeof line.ts, 'string')
      assert.ok(line.metric === 'ping' || typeof line.metric === 'string')
      await alertsOnly.waitFor('the alert on the filtered stream', f => f.event === 'alert', 5_000)
      assert.ok(alertsOnly.frames.every(f => f.event === 'alert' || f.event === 'recovered' || f.event === 'message'), 'only the asked-for types')

      const history = aboutPeers((await get('/api/v0/alerts')).json<AlertsResponse>().events)
      assert.ok(history.length >= 1)
      assert.ok(history.every(e => e.event === 'alert'), 'joined and disconnected are not alert history')
      assert.deepEqual(history[0], line, 'the same line as the stream')
      assert.equal((await get('/api/v0/alerts?limit=1')).json<AlertsResponse>().events.length, 1)
      for (const limit of ['0', 'abc', '-1', '1001', '1.5']) {
        const res = await get(`/api/v0/alerts?limit=${limit}`)
        assert.equal(res.statusCode, 400, `limit=${limit}`)
        assert.match(res.json<ApiError>().error, /limit: expected a whole number from 1 to 1000/)
      }

      const peer = (await get('/api/v0/peers')).json<PeersResponse>().peers[0]
      assert.equal(peer.state, 'alerting')
      assert.equal(peer.connected, false)
      assert.ok(peer.alerting.includes('ping'))
      const text = (await get('/metrics')).body
      assert.match(text, /^peermon_alerts_total\{metric="ping"\} 1$/m)
      assert.match(text, /^peermon_peers\{state="alerting"\} 1$/m)
      assert.doesNotMatch(text, new RegExp(`^peermon_peer_metric\\{peer="${b.id}",name="ping"\\}`, 'm'), 'expired values are not exported')
      assert.equal((await get('/api/v0/metrics/ping')).json<MetricResponse>().metrics.length, 0, 'no unexpired ping left')
    } finally {
      await all.close()
      await alertsOnly.close()
    }
  })
})

/** The id of a node that exists but is not monitored by anyone here. */
async function startNodeId (): Promise<string> {
  const { generateKeyPair } = await import('@libp2p/crypto/keys')
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}
