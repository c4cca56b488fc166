/**
 * The event-loop probe shared by the monitors of a process
 * (src/monitor/loop-probe.ts): one timer for every listener, the same figures
 * to each, a stall seen by all of them, and no timer once nobody listens.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { LoopProbe, type LoopProbeClock } from '../../src/monitor/loop-probe.js'
import { useFakeTimers, type FakeClock } from '../helpers/fake-clock.js'

/** The probe's clock on a fake one: its time, and a loop that was never busy. */
const probeClock = (clock: FakeClock): LoopProbeClock => ({
  now: clock.now,
  utilization: (): EventLoopUtilization => ({ idle: 0, active: 0, utilization: 0 })
})

describe('LoopProbe', () => {
  const time = useFakeTimers()
  it('gives every listener the same figures, and a stall to each of them', async () => {
    const probe = new LoopProbe(20, probeClock(time.clock))
    const seen: Array<Array<[number, number]>> = [[], [], []]
    const stops = seen.map((list) => probe.listen((late, utilization) => { list.push([late, utilization]) }))
    try {
      time.clock.advance(100)
      time.clock.block(300) // a stall of 300 ms: the timer runs late
      time.clock.advance(60)
      assert.ok(seen[0].length >= 3, `${seen[0].length} samples in ~400 ms at 20 ms`)
      assert.deepEqual(seen[1], seen[0])
      assert.deepEqual(seen[2], seen[0])
      const worst = Math.max(...seen[0].map(([late]) => late))
      assert.ok(worst >= 200, `the stall was seen: ${Math.round(worst)} ms late`)
    } finally {
      for (const stop of stops) stop()
    }
    assert.equal(probe.running, false)
  })

  it('runs a timer only while someone listens, and a listener that throws does not starve the others', async () => {
    const probe = new LoopProbe(10, probeClock(time.clock))
    assert.equal(probe.running, false)
    let calls = 0
    const stopBad = probe.listen(() => { throw new Error('boom') })
    const stopGood = probe.listen(() => { calls++ })
    assert.equal(probe.running, true)
    time.clock.advance(80)
    stopBad()
    assert.equal(probe.running, true, 'one listener left')
    assert.ok(calls >= 2)
    stopGood()
    assert.equal(probe.running, false, 'nobody listens: no timer')
    const before = calls
    time.clock.advance(40)
    assert.equal(calls, before)
  })
})
