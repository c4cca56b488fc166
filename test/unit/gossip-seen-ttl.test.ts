import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { PeerScore, createPeerScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { GOSSIPSUB_TUNING, SEEN_TTL_MS, shortenDeliveryRecords } from '../../src/libp2p/gossip-tuning.js'

/** A logger that says nothing, in the shape gossipsub's score asks of libp2p's. */
const quietLogger = {
  forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
}

/** The record map gossipsub keeps private. */
const recordCount = (score: PeerScore): number => (score.deliveryRecords as unknown as { records: Map<string, unknown> }).records.size

function realScore (): PeerScore {
  return new PeerScore(createPeerScoreParams(), null, quietLogger as any, { scoreCacheValidityMs: 1000 })
}

describe('gossipsub memory per message', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['Date'], now: 1_000_000 }) })
  afterEach(() => { mock.timers.reset() })

  it('remembers seen message ids for SEEN_TTL_MS, well under gossipsub\'s 2 minutes', () => {
    assert.equal(GOSSIPSUB_TUNING.seenTTL, SEEN_TTL_MS)
    assert.ok(SEEN_TTL_MS >= 10_000 && SEEN_TTL_MS <= 60_000)
  })

  it('keeps the delivery records of a steady message stream bounded by the TTL, not 2 minutes', () => {
    const score = realScore()
    const pubsub = shortenDeliveryRecords({ score }, 30_000)
    assert.equal(pubsub.score, score)
    // 50 messages a second (a node of a 100-node swarm at 2 s) for 5 minutes, the score's gc once a second.
    let id = 0
    let most = 0
    for (let second = 0; second < 300; second++) {
      for (let i = 0; i < 50; i++) score.validateMessage(`m${id++}`)
      score.deliveryRecords.gc()
      most = Math.max(most, recordCount(score))
      mock.timers.tick(1000)
    }
    // 31 s of messages at most (gossipsub's own gc would hold 121 s: 6 050).
    assert.ok(most <= 31 * 50, `at most ${most} records`)
    assert.ok(recordCount(score) >= 29 * 50, 'records younger than the TTL are kept')
    assert.equal(score.deliveryRecords.getRecord(`m${id - 1}`) !== undefined, true)
    assert.equal(score.deliveryRecords.getRecord('m0'), undefined)
  })

  it('leaves an instance without the internals as it is', () => {
    // (It also emits a process warning, PEERMON_DELIVERY_RECORDS, once per process.)
    const odd = { score: {} }
    assert.equal(shortenDeliveryRecords(odd), odd)
    assert.deepEqual(odd, { score: {} })
  })
})
