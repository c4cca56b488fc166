import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatDuration, parseDuration } from '../../src/duration.js'

describe('parseDuration', () => {
  it('accepts the forms people type', () => {
    assert.equal(parseDuration('250ms'), 250)
    assert.equal(parseDuration('2s'), 2000)
    assert.equal(parseDuration('1.5s'), 1500)
    assert.equal(parseDuration('1.1s'), 1100)
    assert.equal(parseDuration('1m'), 60_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('0'), 0)
    assert.equal(parseDuration('0s'), 0)
  })

  it('accepts compounds from the largest unit down, as formatDuration prints them', () => {
    assert.equal(parseDuration('1m30s'), 90_000)
    assert.equal(parseDuration('1h2m3s'), 3_723_000)
    assert.equal(parseDuration('2s500ms'), 2500)
  })

  it('rejects everything else', () => {
    for (const bad of ['', ' 2s', '2s ', '2', '1.5', '-1s', '+1s', '1e3ms', '2 s', '2S', '1d', 'fast', 's', '.5s', '5.s', '1s1m', '1s1s', '0x10ms', 'Infinityms', '1'.repeat(400) + 'h']) {
      assert.throws(() => parseDuration(bad), RangeError, `should reject ${JSON.stringify(bad)}`)
    }
  })

  it('names the accepted form in its error', () => {
    assert.throws(() => parseDuration('fast'), /expected a duration like 250ms, 2s or 1m, got "fast"/)
  })
})

describe('formatDuration', () => {
  it('prints short readable durations', () => {
    assert.equal(formatDuration(0), '0ms')
    assert.equal(formatDuration(3), '3ms')
    assert.equal(formatDuration(0.42), '0.4ms')
    assert.equal(formatDuration(250), '250ms')
    assert.equal(formatDuration(999.6), '1s')
    assert.equal(formatDuration(2000), '2s')
    assert.equal(formatDuration(2100), '2.1s')
    assert.equal(formatDuration(59_960), '1m')
    assert.equal(formatDuration(90_000), '1m30s')
    assert.equal(formatDuration(3_600_000), '1h')
    assert.equal(formatDuration(3_723_000), '1h2m3s')
    assert.equal(formatDuration(-1500), '-1.5s')
  })

  it('prints what parseDuration reads back', () => {
    for (const ms of [0, 7, 250, 1000, 1500, 2100, 60_000, 90_000, 600_000, 3_600_000, 3_723_000, 86_400_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms)
    }
  })
})
