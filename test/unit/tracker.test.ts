import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ExpiryTracker } from '../../src/monitor/tracker.js'
import { FakeClock } from '../helpers/fake-clock.js'

function setup (): { clock: FakeClock, tracker: ExpiryTracker<string>, fired: string[] } {
  const clock = new FakeClock(0)
  const fired: string[] = []
  const tracker = new ExpiryTracker<string>({
    clock,
    onExpire: (key, deadline, now) => { fired.push(`${key}@${deadline}/${now}`) }
  })
  return { clock, tracker, fired }
}

describe('ExpiryTracker', () => {
  it('fires each deadline once, at its moment, in deadline order, with one timer pending', () => {
    const { clock, tracker, fired } = setup()
    tracker.set('c', 300)
    tracker.set('a', 100)
    tracker.set('b', 200)
    tracker.set('d', 200)
    assert.equal(clock.pending, 1)
    assert.equal(tracker.size, 4)
    clock.advance(1_000)
    assert.deepEqual(fired, ['a@100/100', 'b@200/200', 'd@200/200', 'c@300/300'])
    assert.equal(tracker.size, 0)
    assert.equal(clock.pending, 0)
  })

  it('moves a deadline when set again, and forgets cancelled ones', () => {
    const { clock, tracker, fired } = setup()
    tracker.set('a', 100)
    tracker.set('b', 150)
    tracker.set('a', 500)
    assert.equal(tracker.deadline('a'), 500)
    assert.equal(tracker.cancel('b'), true)
    assert.equal(tracker.cancel('b'), false)
    clock.advance(1_000)
    assert.deepEqual(fired, ['a@500/500'])
  })

  it('processes every due deadline when the timer fires late', () => {
    const { clock, tracker, fired } = setup()
    for (let i = 1; i <= 5; i++) tracker.set(`k${i}`, i * 10)
    clock.block(45)
    clock.advance(0)
    assert.deepEqual(fired, ['k1@10/45', 'k2@20/45', 'k3@30/45', 'k4@40/45'])
    clock.advance(5)
    assert.equal(fired.at(-1), 'k5@50/50')
  })

  it('lets a callback set and cancel deadlines, including due ones', () => {
    const clock = new FakeClock(0)
    const fired: string[] = []
    const tracker: ExpiryTracker<string> = new ExpiryTracker<string>({
      clock,
      onExpire: (key, deadline) => {
        fired.push(`${key}@${deadline}`)
        if (key === 'a' && deadline < 30) tracker.set('a', deadline + 10)
        if (key === 'a' && deadline === 10) tracker.cancel('b')
        if (key === 'c') tracker.set('now', clock.now())
      }
    })
    tracker.set('a', 10)
    tracker.set('b', 15)
    tracker.set('c', 40)
    clock.advance(100)
    assert.deepEqual(fired, ['a@10', 'a@20', 'a@30', 'c@40', 'now@40'])
    assert.equal(clock.pending, 0)
  })

  it('compares object keys by identity', () => {
    const clock = new FakeClock(0)
    const fired: Array<{ id: number }> = []
    const tracker = new ExpiryTracker<{ id: number }>({ clock, onExpire: (key) => { fired.push(key) } })
    const first = { id: 1 }
    const twin = { id: 1 }
    tracker.set(first, 10)
    tracker.set(twin, 20)
    assert.equal(tracker.size, 2)
    clock.advance(30)
    assert.equal(fired[0], first)
    assert.equal(fired[1], twin)
  })

  it('keeps one timer and correct expiries under heavy refreshing', () => {
    const { clock, tracker, fired } = setup()
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 100; k++) tracker.set(`k${k}`, clock.now() + 1_000 + k)
      clock.advance(10)
      assert.equal(clock.pending, 1)
    }
    assert.deepEqual(fired, [])
    clock.advance(2_000)
    assert.equal(fired.length, 100)
    assert.equal(clock.pending, 0)
  })

  it('waits in steps for deadlines beyond the longest timer delay', () => {
    const { clock, tracker, fired } = setup()
    const far = 40 * 24 * 3_600_000 // 40 days
    tracker.set('far', far)
    clock.advance(far - 1)
    assert.deepEqual(fired, [])
    clock.advance(1)
    assert.deepEqual(fired, [`far@${far}/${far}`])
  })

  it('stop() clears the timer and ignores later deadlines', () => {
    const { clock, tracker, fired } = setup()
    tracker.set('a', 100)
    tracker.stop()
    tracker.stop()
    assert.equal(clock.pending, 0)
    tracker.set('b', 50)
    assert.equal(clock.pending, 0)
    clock.advance(1_000)
    assert.deepEqual(fired, [])
  })
})
