import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pipe } from 'it-pipe'
import type { EventLine, PeermonEvent } from '../../src/events/event.js'
import { shortPeer } from '../../src/events/format.js'
import { createLineStats, decodeEventLine, parseEventLines, splitLines, toEvent } from '../../src/events/parse.js'
import { EventRecord } from '../../src/events/record.js'

const PEER = '12D3KooWGRUVh7b4H3bFxmQ7hbmsm5iR4HUZ4nFC5ySUxZ6LiBTm'
const AT = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))

const EVENTS: PeermonEvent[] = [
  { type: 'listening', peer: PEER, addrs: [`/ip4/127.0.0.1/tcp/4011/p2p/${PEER}`], api: 'http://127.0.0.1:5011' },
  { type: 'connected', peer: PEER },
  { type: 'disconnected', peer: PEER },
  { type: 'joined', peer: PEER },
  { type: 'alert', peer: PEER, metric: 'ping', lagMs: 3.14159, ttlMs: 3000, silentMs: 3003.14159, lastValue: 41 },
  { type: 'recovered', peer: PEER, metric: 'ping', downMs: 5200 },
  { type: 'left', peer: PEER },
  { type: 'forgotten', peer: PEER, silentMs: 600_000 },
  { type: 'stopping' },
  { type: 'warning', message: 'bootstrap unreachable' },
  { type: 'alert', peer: PEER, metric: 'ping', lagMs: 1, ttlMs: 3000, silentMs: 3001, lastValue: 42, flapping: true },
  { type: 'recovered', peer: PEER, metric: 'ping', downMs: 3100, flapping: true },
  { type: 'flapping', peer: PEER, transitions: 4, spanMs: 9_200, windowMs: 30_000 },
  { type: 'stable', peer: PEER, state: 'alive', flappedMs: 45_000, transitions: 12 }
]

const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>
const formatJson = (event: PeermonEvent, at: Date): string => new EventRecord(event, at).json
const formatHuman = (event: PeermonEvent, at: Date): string => new EventRecord(event, at).human

describe('an event record\'s JSON line', () => {
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

describe('an event record\'s human line', () => {
  it('starts with the local time and a fixed-width event word', () => {
    for (const event of EVENTS) {
      const line = formatHuman(event, AT)
      assert.match(line, /^\d\d:\d\d:\d\d\.067 /)
      assert.equal(line.slice(13, 25).trimEnd(), event.type)
      if (event.type !== 'stopping') assert.match(line.slice(25), /^ \S/, `details line up in one column: ${line}`)
    }
  })

  it('says where the dashboard is when the API runs', () => {
    assert.match(formatHuman(EVENTS[0], AT), / on \/ip4\/127\.0\.0\.1\/tcp\/4011\/p2p\/\S+; dashboard http:\/\/127\.0\.0\.1:5011\/$/)
    assert.ok(!formatHuman({ type: 'listening', peer: PEER, addrs: [] }, AT).includes('dashboard'))
  })

  it('shortens peer ids but prints the full id when listening', () => {
    assert.equal(shortPeer(PEER), `…${PEER.slice(-8)}`)
    assert.equal(shortPeer('short'), 'short')
    assert.match(formatHuman({ type: 'joined', peer: PEER }, AT), new RegExp(`joined +…${PEER.slice(-8)}$`))
    assert.ok(formatHuman(EVENTS[0], AT).includes(PEER))
    assert.ok(formatHuman(EVENTS[0], AT).includes('/ip4/127.0.0.1/tcp/4011'))
  })

  it('gives the key facts of an alert and a recovery', () => {
    const alert = formatHuman(EVENTS[4], AT)
    assert.match(alert, /ping expired, silent 3s \(ttl 3s, lag 3\.1ms\), last 41$/)
    assert.match(formatHuman(EVENTS[5], AT), /ping back after 5\.2s$/)
    assert.match(formatHuman(EVENTS[7], AT), /silent 10m$/)
  })

  it('marks the alerts of a flapping peer and says how it flapped and how it settled', () => {
    assert.match(formatHuman(EVENTS[10], AT), /ping expired, silent 3s \(ttl 3s, lag 1ms\), last 42 \(flapping\)$/)
    assert.match(formatHuman(EVENTS[11], AT), /ping back after 3\.1s \(flapping\)$/)
    assert.match(formatHuman(EVENTS[12], AT), new RegExp(`flapping +…${PEER.slice(-8)} 4 changes in 9\\.2s \\(window 30s\\)$`))
    assert.match(formatHuman(EVENTS[13], AT), new RegExp(`stable +…${PEER.slice(-8)} alive after flapping 45s \\(12 changes\\)$`))
    assert.equal(parse(formatJson(EVENTS[10], AT)).flapping, true)
    assert.ok(!('flapping' in parse(formatJson(EVENTS[4], AT))), 'a plain alert has no flapping field')
  })

  it('escapes control characters so the network cannot garble the terminal', () => {
    const line = formatHuman({ type: 'recovered', peer: PEER, metric: '\u001b[31mred', downMs: 1 }, AT)
    assert.ok(!line.includes('\u001b'))
    assert.ok(line.includes('\\u001b[31mred'))
  })
})

describe('an event record', () => {
  it('renders each form once, whichever output asks first', () => {
    const record = new EventRecord(EVENTS[4], AT)
    assert.equal(record.line, record.line, 'the JSON form is made once and shared')
    assert.ok(Object.isFrozen(record.line), 'no output can change what the others see')
    assert.equal(record.json, record.json)
    assert.deepEqual(parse(record.json), record.line)
    assert.equal(record.type, 'alert')
  })
})

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

async function * chunks (...parts: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  yield * parts
}

const ts = '2024-01-01T00:00:00.000Z'

describe('reading event lines back', () => {
  it('gives back every event a daemon writes, as it was made', () => {
    const rounded: PeermonEvent[] = EVENTS.map(event => event.type === 'alert' ? { ...event, lagMs: 3.1, silentMs: 3003.1 } : event)
    for (const event of rounded) {
      const line = decodeEventLine(formatJson(event, AT))
      assert.ok(line !== undefined, event.type)
      assert.deepEqual(toEvent(line), event)
    }
  })

  it('splits chunks into lines across chunk boundaries, CRLF and multi-byte characters', async () => {
    const bytes = new TextEncoder().encode('é\n')
    const lines = await pipe(chunks('a', 'b\nc\r\n', '\nd', bytes.slice(0, 1), bytes.slice(1), 'tail'), splitLines, collect)
    assert.deepEqual(lines, ['ab', 'c', '', 'dé', 'tail'])
  })

  it('parses events and counts garbage lines without stopping', async () => {
    const stats = createLineStats()
    const input = [
      JSON.stringify({ ts, event: 'listening', peer: 'A', addrs: ['/ip4/127.0.0.1/tcp/1/p2p/A'] }),
      'not json at all',
      '{"truncated": ',
      '[1,2,3]',
      'null',
      JSON.stringify({ event: 'joined', peer: 'B' }), // no ts
      JSON.stringify({ ts, event: 'alert', peer: 'B', metric: 'ping' }), // no lagMs
      '',
      JSON.stringify({ ts, event: 'joined', peer: 'B' }),
      JSON.stringify({ ts, event: 'something-new', detail: 1 }),
      JSON.stringify({ ts, event: 'alert', peer: 'B', metric: 'ping', lagMs: 3, ttlMs: 1500, silentMs: 1503, lastValue: 7 })
    ].join('\n') + '\n'
    const events: EventLine[] = await pipe(chunks(input), splitLines, parseEventLines(stats), collect<EventLine>)
    assert.deepEqual(events.map((e) => e.event), ['listening', 'joined', 'something-new', 'alert'])
    assert.equal(events[3].lagMs, 3)
    assert.equal(stats.garbage, 6)
    assert.ok(stats.lastGarbage?.includes('"alert"'))
  })

  it('rejects lines that are not event objects, or known events without their fields', () => {
    assert.equal(decodeEventLine('42'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":7}'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":"left"}'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":"listening","peer":"A","addrs":[1]}'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":"recovered","peer":"A","metric":"ping"}'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":"alert","peer":"A","metric":"ping","lagMs":1,"ttlMs":1,"silentMs":1,"lastValue":null}'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":"flapping","peer":"A","transitions":4,"spanMs":1}'), undefined)
    assert.equal(decodeEventLine('{"ts":"x","event":"stable","peer":"A","state":"left","flappedMs":1,"transitions":1}'), undefined)
    assert.deepEqual(decodeEventLine('{"ts":"x","event":"left","peer":"A"}'), { ts: 'x', event: 'left', peer: 'A' })
  })
})
