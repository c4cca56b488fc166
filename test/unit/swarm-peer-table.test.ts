import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EventLine } from '../../src/events/event.js'
import { PeerTable } from '../../src/swarm/nodes/peer-table.js'

const ts = '2024-01-01T00:00:00.000Z'

describe('PeerTable', () => {
  const e = (event: string, peer: string, metric?: string): EventLine => ({ ts, event, peer, ...(metric === undefined ? {} : { metric, lagMs: 0 }) })

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
  it('starts empty again at the daemon\'s listening line: a restarted process does not carry the alerts of the one before', () => {
    const table = new PeerTable()
    table.apply(e('joined', 'A'))
    table.apply(e('alert', 'A', 'ping'))
    table.apply(e('listening', 'SELF'))
    assert.equal(table.alertingPeers, 0)
    assert.equal(table.peers.size, 0)
    table.apply(e('joined', 'A'))
    assert.ok(table.hasAll(['A']))
  })
})
