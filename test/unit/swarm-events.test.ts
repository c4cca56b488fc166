import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pipe } from 'it-pipe'
import { createLineStats, decodeDaemonEvent, parseDaemonEvents, splitLines, type DaemonEvent } from '../../src/swarm/events.js'
import { PeerTable } from '../../src/swarm/peer-table.js'

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

async function * chunks (...parts: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  yield * parts
}

const ts = '2024-01-01T00:00:00.000Z'

describe('swarm event lines', () => {
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
      JSON.stringify({ ts, event: 'alert', peer: 'B', metric: 'ping', lagMs: 3, ttlMs: 1500, silentMs: 1503 })
    ].join('\n') + '\n'
    const events: DaemonEvent[] = await pipe(chunks(input), splitLines, parseDaemonEvents(stats), collect<DaemonEvent>)
    assert.deepEqual(events.map((e) => e.event), ['listening', 'joined', 'something-new', 'alert'])
    assert.equal(events[3].lagMs, 3)
    assert.equal(stats.garbage, 6)
    assert.ok(stats.lastGarbage?.includes('"alert"'))
  })

  it('rejects lines that are not event objects', () => {
    assert.equal(decodeDaemonEvent('42'), undefined)
    assert.equal(decodeDaemonEvent('{"ts":"x","event":7}'), undefined)
    assert.equal(decodeDaemonEvent('{"ts":"x","event":"left"}'), undefined)
    assert.equal(decodeDaemonEvent('{"ts":"x","event":"listening","peer":"A","addrs":[1]}'), undefined)
    assert.deepEqual(decodeDaemonEvent('{"ts":"x","event":"left","peer":"A"}'), { ts: 'x', event: 'left', peer: 'A' })
  })
})

describe('PeerTable', () => {
  const e = (event: string, peer: string, metric?: string): DaemonEvent => ({ ts, event, peer, ...(metric === undefined ? {} : { metric, lagMs: 0 }) })

  it('tracks seen and alerting peers from events', () => {
    const table = new PeerTable()
    table.apply(e('joined', 'A'))
    table.apply(e('joined', 'B'))
    table.apply(e('alert', 'A', 'ping'))
    table.apply(e('alert', 'A', 'load'))
    assert.equal(table.alertingPeers, 1)
    table.apply(e('recovered', 'A', 'ping'))
    assert.equal(table.alertingPeers, 1, 'load still in alert')
    table.apply(e('recovered', 'A', 'load'))
    assert.equal(table.alertingPeers, 0)
    assert.ok(table.hasAll(['A', 'B']))
    table.apply(e('left', 'B'))
    assert.ok(!table.hasAll(['A', 'B']))
    table.apply(e('alert', 'A', 'ping'))
    table.apply(e('forgotten', 'A'))
    assert.equal(table.peers.size, 0)
    assert.equal(table.alertingPeers, 0)
  })
})
