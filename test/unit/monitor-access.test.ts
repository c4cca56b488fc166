import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Harness, Sender } from '../helpers/monitor-fixture.js'

describe('MonitorCore isAllowed', () => {
  it('drops reports of unlisted signers as not-allowed before decoding, and monitors listed ones', () => {
    const allowed = new Set(['alice'])
    const h = new Harness({ isAllowed: (peer) => allowed.has(peer) })
    const alice = new Sender('alice')
    const mallory = new Sender('mallory')
    assert.deepEqual(h.send(mallory, [['ping', 1, 1000]]), { accepted: false, reason: 'not-allowed' })
    assert.deepEqual(h.core.handleMessage('mallory', new Uint8Array([0xff, 0xff])), { accepted: false, reason: 'not-allowed' }, 'not even decoded')
    assert.deepEqual(h.send(alice, [['ping', 1, 1000]]), { accepted: true })
    assert.deepEqual(h.takeNames(), ['joined alice'])
    assert.deepEqual(h.core.peers().map(p => p.peer), ['alice'])
    const counters = h.core.counters()
    assert.equal(counters.dropped['not-allowed'], 2)
    assert.equal(counters.received, counters.accepted + Object.values(counters.dropped).reduce((a, b) => a + b, 0))
  })

  it('checks the signer, not the peer the report names', () => {
    const h = new Harness({ isAllowed: (peer) => peer === 'alice' })
    // mallory signs a report that claims to be alice's: the access check sees mallory
    assert.deepEqual(h.core.handleMessage('mallory', new Sender('alice').report([['ping', 1, 1000]])), { accepted: false, reason: 'not-allowed' })
    // a report signed by alice that names mallory is a peer mismatch, never mallory's
    assert.deepEqual(h.core.handleMessage('alice', new Sender('mallory').report([['ping', 1, 1000]])), { accepted: false, reason: 'peer-mismatch' })
  })
})
