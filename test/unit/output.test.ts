import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatHuman, formatJson, shortPeer } from '../../src/daemon/output.js'
import type { DaemonEvent } from '../../src/daemon/output.js'

const PEER = '12D3KooWGRUVh7b4H3bFxmQ7hbmsm5iR4HUZ4nFC5ySUxZ6LiBTm'
const AT = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))

const EVENTS: DaemonEvent[] = [
  { type: 'listening', peer: PEER, addrs: [`/ip4/127.0.0.1/tcp/4011/p2p/${PEER}`] },
  { type: 'connected', peer: PEER },
  { type: 'disconnected', peer: PEER },
  { type: 'joined', peer: PEER },
  { type: 'alert', peer: PEER, metric: 'ping', lagMs: 3.14159, ttlMs: 3000, silentMs: 3003.14159, lastValue: 41 },
  { type: 'recovered', peer: PEER, metric: 'ping', downMs: 5200 },
  { type: 'left', peer: PEER },
  { type: 'forgotten', peer: PEER, silentMs: 600_000 },
  { type: 'stopping' },
  { type: 'warning', message: 'bootstrap unreachable' }
]

const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>

describe('formatJson', () => {
  it('prints one line per event with ts first and event second', () => {
    for (const event of EVENTS) {
      const line = formatJson(event, AT)
      assert.ok(!line.includes('\n'))
      const record = parse(line)
      assert.deepEqual(Object.keys(record).slice(0, 2), ['ts', 'event'])
      assert.equal(record.ts, '2026-01-02T03:04:05.067Z')
      assert.equal(record.event, event.type)
      assert.ok(!('type' in record))
    }
  })

  it('keeps the contract fields', () => {
    const byType = new Map(EVENTS.map(event => [event.type, parse(formatJson(event, AT))]))
    assert.equal(byType.get('listening')?.peer, PEER)
    assert.deepEqual(byType.get('listening')?.addrs, [`/ip4/127.0.0.1/tcp/4011/p2p/${PEER}`])
    for (const type of ['joined', 'left', 'forgotten'] as const) assert.equal(byType.get(type)?.peer, PEER)
    for (const type of ['alert', 'recovered'] as const) {
      assert.equal(byType.get(type)?.peer, PEER)
      assert.equal(byType.get(type)?.metric, 'ping')
    }
  })

  it('rounds durations to 0.1 ms', () => {
    const alert = parse(formatJson(EVENTS[4], AT))
    assert.equal(alert.lagMs, 3.1)
    assert.equal(alert.silentMs, 3003.1)
    assert.equal(alert.ttlMs, 3000)
    assert.equal(alert.lastValue, 41)
  })

  it('escapes control characters from the network so a line stays one line', () => {
    const line = formatJson({ type: 'alert', peer: PEER, metric: 'a\nb', lagMs: 0, ttlMs: 1, silentMs: 1, lastValue: 'x\ny' }, AT)
    assert.ok(!line.includes('\n'))
    assert.equal(parse(line).metric, 'a\nb')
  })
})

describe('formatHuman', () => {
  it('starts with the local time and a fixed-width event word', () => {
    for (const event of EVENTS) {
      const line = formatHuman(event, AT)
      assert.match(line, /^\d\d:\d\d:\d\d\.067 /)
      assert.equal(line.slice(13, 25).trimEnd(), event.type)
      if (event.type !== 'stopping') assert.match(line.slice(25), /^ \S/, `details line up in one column: ${line}`)
    }
  })

  it('shortens peer ids but prints the full id when listening', () => {
    assert.equal(shortPeer(PEER), `…${PEER.slice(-8)}`)
    assert.equal(shortPeer('short'), 'short')
    assert.match(formatHuman({ type: 'joined', peer: PEER }, AT), new RegExp(`joined +…${PEER.slice(-8)}$`))
    assert.ok(formatHuman(EVENTS[0], AT).includes(PEER))
    assert.ok(formatHuman(EVENTS[0], AT).includes('/ip4/127.0.0.1/tcp/4011'))
  })

  it('says where the dashboard is when the HTTP API runs, and nothing of it when it does not', () => {
    const withApi = formatHuman({ type: 'listening', peer: PEER, addrs: [`/ip4/127.0.0.1/tcp/4011/p2p/${PEER}`], api: 'http://127.0.0.1:5011' }, AT)
    assert.match(withApi, new RegExp(`listening +${PEER} on /ip4/127\\.0\\.0\\.1/tcp/4011/p2p/${PEER}; dashboard http://127\\.0\\.0\\.1:5011/$`))
    assert.ok(!formatHuman(EVENTS[0], AT).includes('dashboard'))
  })

  it('gives the key facts of an alert and a recovery', () => {
    const alert = formatHuman(EVENTS[4], AT)
    assert.match(alert, /ping expired, silent 3s \(ttl 3s, lag 3\.1ms\), last 41$/)
    assert.match(formatHuman(EVENTS[5], AT), /ping back after 5\.2s$/)
    assert.match(formatHuman(EVENTS[7], AT), /silent 10m$/)
  })

  it('escapes control characters so the network cannot garble the terminal', () => {
    const line = formatHuman({ type: 'recovered', peer: PEER, metric: '\u001b[31mred', downMs: 1 }, AT)
    assert.ok(!line.includes('\u001b'))
    assert.ok(line.includes('\\u001b[31mred'))
  })
})
