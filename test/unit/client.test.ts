/**
 * The client's pure parts: table layout, the peers/alerts/metrics views, event
 * lines as the daemon prints them, and flag parsing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AlertsResponse, MetricResponse, MetricView, PeersResponse, PeerView } from '../../src/api/types.js'
import { ConfigError } from '../../src/config-error.js'
import { toHumanLine } from '../../src/events/format.js'
import { apiBaseUrl, clientHelp, parseClientFlags } from '../../src/client/flags.js'
import { formatBytes, formatValue, renderTable } from '../../src/client/table.js'
import { formatEventLine, localTime, renderAlerts, renderMetric, renderPeers } from '../../src/client/views.js'

const A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAApeerAAAA'
const B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBpeerBBBB'

function metric (name: string, value: number | string, ageMs = 400): MetricView {
  return { name, value, ttlMs: 3000, ageMs, expiresInMs: 3000 - ageMs, receivedAt: 1_700_000_000_000, sentAt: 1_700_000_000_000 }
}

function peer (id: string, fields: Partial<PeerView> = {}): PeerView {
  return {
    peer: id,
    state: 'alive',
    flapping: false,
    lastSeenAgoMs: 400,
    connected: true,
    alerting: [],
    intervalMs: 1000,
    epoch: 1,
    seq: 5,
    sentAt: 1_700_000_000_000,
    metrics: {
      ping: metric('ping', 12.5),
      load: metric('load', 0.523456),
      memory: metric('memory', 8.25 * 2 ** 30),
      freespace: metric('freespace', 120.5 * 2 ** 30),
      peers: metric('peers', 4)
    },
    ...fields
  }
}

describe('renderTable', () => {
  it('sizes each column to its widest cell, right-aligns numbers, trims line ends', () => {
    const text = renderTable([{ heading: 'NAME' }, { heading: 'N', align: 'right' }, { heading: 'NOTE' }], [
      ['…abc', '7', ''],
      ['longer-name', '1234', 'x']
    ])
    assert.equal(text, [
      'NAME            N  NOTE',
      '…abc            7',
      'longer-name  1234  x',
      ''
    ].join('\n'))
  })
})

describe('formatBytes and formatValue', () => {
  it('shows bytes with binary units and values with at most 3 decimals', () => {
    assert.equal(formatBytes(512), '512 B')
    assert.equal(formatBytes(1536), '1.5 KiB')
    assert.equal(formatBytes(8.25 * 2 ** 30), '8.3 GiB')
    assert.equal(formatValue(0.523456), '0.523')
    assert.equal(formatValue(4), '4')
    assert.equal(formatValue('eu\u001b[31m'), 'eu\\u001b[31m')
    assert.equal(formatValue('x'.repeat(50)), `${'x'.repeat(39)}…`)
  })
})

describe('renderPeers', () => {
  it('prints one aligned row per peer: short id, state with alerting metrics, age, connection, metrics, tags', () => {
    const response: PeersResponse = {
      self: A,
      peers: [
        peer(A, { metrics: { ...peer(A).metrics, 'tag:zone': metric('tag:zone', 'eu'), 'tag:role': metric('tag:role', 'db') } }),
        peer(B, { state: 'alerting', alerting: ['ping'], lastSeenAgoMs: 4_123, connected: false, metrics: { ping: metric('ping', 3, 4_123) } })
      ]
    }
    assert.equal(renderPeers(response), [
      'PEER       STATE            LAST SEEN  CONN   LOAD  FREE MEM  FREE DISK  PEERS  TAGS',
      '…peerAAAA  alive                400ms  yes   0.523   8.3 GiB  120.5 GiB      4  role=db zone=eu',
      '…peerBBBB  alerting (ping)       4.1s  no        -         -          -      -  -',
      ''
    ].join('\n'))
  })

  it('adds an OTHER column only when a peer has custom metrics, and says so when there are no peers', () => {
    const text = renderPeers({ self: A, peers: [peer(B, { metrics: { queue_depth: metric('queue_depth', 17) } })] })
    assert.match(text.split('\n')[0], /PEERS  OTHER$/)
    assert.match(text.split('\n')[1], /queue_depth=17$/)
    assert.equal(renderPeers({ self: A, peers: [] }), 'no peers seen yet by …peerAAAA\n')
  })
})

describe('local health in the client', () => {
  it('shows a peer that says it is struggling, and this node\'s own degraded and isolated spells in the history', () => {
    const rows = renderPeers({
      self: A,
      peers: [peer(A, { metrics: { ping: metric('ping', 1), health: metric('health', 1) } }), peer(B, { metrics: { ping: metric('ping', 1), health: metric('health', 0) } })]
    }).split('\n')
    assert.match(rows[1], /^…peerAAAA {2}alive, itself degraded/)
    assert.match(rows[2], /^…peerBBBB {2}alive {2}/)
    assert.ok(!rows.join('\n').includes('health='), 'health is a built-in, not a custom metric')
    const history = renderAlerts({
      events: [
        { ts: '2025-01-02T03:04:05.678Z', event: 'degraded', reason: 'receive', overdue: 6, peers: 19 },
        { ts: '2025-01-02T03:04:09.678Z', event: 'alert', peer: B, metric: 'ping', lagMs: 6000, ttlMs: 3000, silentMs: 9000, lastValue: 3, degraded: 'receive' },
        { ts: '2025-01-02T03:04:15.678Z', event: 'healthy', degradedMs: 10_000 },
        { ts: '2025-01-02T03:05:05.678Z', event: 'isolated', peers: 19, silentMs: 2500 },
        { ts: '2025-01-02T03:06:05.678Z', event: 'reconnected', isolatedMs: 60_000 }
      ]
    }).split('\n')
    assert.match(history[1], /degraded +this node: receive, 6 of 19 peers overdue$/)
    assert.match(history[2], /alert +…peerBBBB +ping +silent 9s .*, this node receive$/)
    assert.match(history[3], /healthy +this node, after 10s$/)
    assert.match(history[4], /isolated +this node hears none of its 19 peers$/)
    assert.match(history[5], /reconnected +this node, after 1m$/)
  })
})

describe('a flapping peer', () => {
  it('is flapping in its STATE cell, and the history says how it flapped and settled', () => {
    const rows = renderPeers({
      self: A,
      peers: [peer(A, { flapping: true }), peer(B, { state: 'alerting', alerting: ['ping'], flapping: true })]
    }).split('\n')
    assert.match(rows[1], /^…peerAAAA {2}alive, flapping {16}/)
    assert.match(rows[2], /^…peerBBBB {2}alerting \(ping\), flapping {2}/)
    const history = renderAlerts({
      events: [
        { ts: '2025-01-02T03:04:05.678Z', event: 'recovered', peer: B, metric: 'ping', downMs: 4100, flapping: true },
        { ts: '2025-01-02T03:04:05.678Z', event: 'flapping', peer: B, transitions: 4, spanMs: 9200, windowMs: 30000 },
        { ts: '2025-01-02T03:05:05.678Z', event: 'stable', peer: B, state: 'alerting', flappedMs: 60000, transitions: 7 }
      ]
    }).split('\n')
    assert.match(history[1], /recovered +…peerBBBB +ping +back after 4\.1s \(flapping\)$/)
    assert.match(history[2], /flapping +…peerBBBB +4 changes in 9\.2s \(window 30s\)$/)
    assert.match(history[3], /stable +…peerBBBB +alerting after flapping 1m \(7 changes\)$/)
  })
})

describe('renderAlerts', () => {
  it('prints the history with local times and the facts of each event', () => {
    const response: AlertsResponse = {
      events: [
        { ts: '2025-01-02T03:04:05.678Z', event: 'alert', peer: B, metric: 'ping', lagMs: 12.3, ttlMs: 3000, silentMs: 3012, lastValue: 41 },
        { ts: '2025-01-02T03:04:09.000Z', event: 'recovered', peer: B, metric: 'ping', downMs: 4100 },
        { ts: '2025-01-02T03:05:00.000Z', event: 'left', peer: A }
      ]
    }
    const lines = renderAlerts(response).split('\n')
    assert.equal(lines[0], 'TIME                 EVENT      PEER       METRIC  DETAIL')
    assert.equal(lines[1], `${localTime('2025-01-02T03:04:05.678Z')}  alert      …peerBBBB  ping    silent 3s (ttl 3s, lag 12ms), last 41`)
    assert.equal(lines[2], `${localTime('2025-01-02T03:04:09.000Z')}  recovered  …peerBBBB  ping    back after 4.1s`)
    assert.equal(lines[3], `${localTime('2025-01-02T03:05:00.000Z')}  left       …peerAAAA`)
    assert.match(localTime('2025-01-02T03:04:05.678Z'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    assert.equal(renderAlerts({ events: [] }), 'no alerts yet\n')
  })
})

describe('renderMetric', () => {
  it('prints each peer\'s value (bytes for memory and freespace), age and time to expiry', () => {
    const response: MetricResponse = {
      name: 'memory',
      metrics: [{ ...metric('memory', 2 ** 30, 250), peer: A }, { ...metric('memory', 512 * 2 ** 20, 2_500), peer: B }]
    }
    assert.equal(renderMetric(response), [
      'PEER           VALUE    AGE  EXPIRES IN',
      '…peerAAAA    1.0 GiB  250ms        2.8s',
      '…peerBBBB  512.0 MiB   2.5s       500ms',
      ''
    ].join('\n'))
  })

  it('says so when no peer has the metric', () => {
    assert.equal(renderMetric({ name: 'queue_depth', metrics: [] }), 'no peer has a current "queue_depth" metric\n')
  })
})

describe('formatEventLine', () => {
  it('prints a stream event exactly as the daemon prints it for people', () => {
    const at = new Date('2025-01-02T03:04:05.678Z')
    const line = { ts: at.toISOString(), event: 'alert', peer: B, metric: 'ping', lagMs: 12.3, ttlMs: 3000, silentMs: 3012, lastValue: 41 }
    assert.equal(formatEventLine(line), toHumanLine({ type: 'alert', peer: B, metric: 'ping', lagMs: 12.3, ttlMs: 3000, silentMs: 3012, lastValue: 41 }, at))
    assert.equal(formatEventLine({ ts: at.toISOString(), event: 'joined', peer: A }), toHumanLine({ type: 'joined', peer: A }, at))
  })

  it('prints an unknown or malformed event as key=value pairs instead of failing', () => {
    const at = new Date('2025-01-02T03:04:05.678Z')
    const time = toHumanLine({ type: 'stopping' }, at).slice(0, 12)
    assert.equal(formatEventLine({ ts: at.toISOString(), event: 'rebalanced', peer: A, count: 3 }), `${time} rebalanced   peer=${A} count=3`)
    assert.equal(formatEventLine({ ts: at.toISOString(), event: 'alert', peer: A }), `${time} alert        peer=${A}`)
  })
})

describe('parseClientFlags', () => {
  const env = {}
  it('defaults to the daemon\'s default API address, and takes --api, PEERMON_API, tokens and --json', () => {
    assert.deepEqual(parseClientFlags('peers', [], env), { command: 'peers', api: 'http://127.0.0.1:5011', json: false, help: false })
    const config = parseClientFlags('peers', ['--api', '10.0.0.5:6000', '--api-token', 's3cret', '--json'], { PEERMON_API: ':7000' })
    assert.equal(config.api, 'http://10.0.0.5:6000')
    assert.equal(config.apiToken, 's3cret')
    assert.equal(config.json, true)
    assert.equal(parseClientFlags('alerts', [], { PEERMON_API: ':7000', PEERMON_API_TOKEN: 'envtoken' }).api, 'http://127.0.0.1:7000')
    assert.equal(parseClientFlags('alerts', [], { PEERMON_API_TOKEN: 'envtoken' }).apiToken, 'envtoken')
  })

  it('takes the command\'s own options', () => {
    assert.equal(parseClientFlags('metrics', ['load'], env).metric, 'load')
    assert.equal(parseClientFlags('alerts', ['--limit', '20'], env).limit, 20)
    assert.deepEqual(parseClientFlags('watch', ['--type', 'alert, recovered'], env).types, ['alert', 'recovered'])
    assert.equal(parseClientFlags('watch', ['-h'], env).help, true)
  })

  it('rejects bad flags with one line naming the flag (ConfigError, exit 2)', () => {
    const cases: Array<[Parameters<typeof parseClientFlags>[0], string[], RegExp]> = [
      ['peers', ['--bogus'], /^unknown option --bogus \(see peermon peers --help\)$/],
      ['peers', ['--api'], /^--api: expected a value/],
      ['peers', ['--api', 'nope'], /^--api: expected a URL like http:\/\/127\.0\.0\.1:5011 or host:port, got "nope"$/],
      ['peers', ['--api', 'ftp://x:1'], /^--api: expected a URL/],
      ['peers', ['extra'], /^unexpected argument "extra"/],
      ['peers', ['--limit', '3'], /^unknown option --limit/],
      ['metrics', [], /^metrics: expected a metric name/],
      ['metrics', ['a', 'b'], /^unexpected argument "b"/],
      ['alerts', ['--limit', '0'], /^--limit: expected a whole number from 1 to 1000, got "0"$/],
      ['alerts', ['--limit', 'x'], /^--limit: expected a whole number/],
      ['watch', ['--type', 'Alert!'], /^--type: expected event types separated by commas/],
      ['watch', ['--json=yes'], /^--json: takes no value/]
    ]
    for (const [command, argv, message] of cases) {
      assert.throws(() => parseClientFlags(command, argv, env), (err: unknown) => err instanceof ConfigError && message.test(err.message), `${command} ${argv.join(' ')}`)
    }
    assert.throws(() => parseClientFlags('peers', [], { PEERMON_API: 'off' }), /^ConfigError: PEERMON_API: expected a URL/)
  })

  it('normalises API addresses', () => {
    assert.equal(apiBaseUrl('http://127.0.0.1:5011/', '--api'), 'http://127.0.0.1:5011')
    assert.equal(apiBaseUrl('https://mon.example.com/peermon/', '--api'), 'https://mon.example.com/peermon')
    assert.equal(apiBaseUrl(':0', '--api'), 'http://127.0.0.1:0')
    assert.equal(apiBaseUrl('[::1]:5011', '--api'), 'http://[::1]:5011')
    assert.equal(apiBaseUrl('localhost:5011', '--api'), 'http://localhost:5011')
  })

  it('has help for each command', () => {
    assert.match(clientHelp('metrics'), /^Usage: peermon metrics <name> \[options\]\n/)
    assert.match(clientHelp('watch'), /--type <a,b,\.\.\.>/)
    assert.match(clientHelp('alerts'), /--limit <n>/)
    assert.match(clientHelp('peers'), /env: PEERMON_API_TOKEN/)
  })
})
