/**
 * The Serf comparison's pure parts (bench/lib): reading a Serf agent's log,
 * the seeded churn schedule, and the detection / false-failure tally.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { churnSchedule } from '../../bench/lib/churn.js'
import { tallyFailures, type FailureReport } from '../../bench/lib/failure-tally.js'
import { joinTargets } from '../../bench/lib/member-cluster.js'
import { parseSerfLogLine } from '../../bench/lib/serf-log.js'

describe('Serf log lines', () => {
  it('reads member events and suspicions, and nothing else', () => {
    assert.deepEqual(parseSerfLogLine('    2026/12/07 19:51:59 [INFO] serf: EventMemberFailed: m3 127.0.0.1'), { kind: 'failed', member: 'm3' })
    assert.deepEqual(parseSerfLogLine('    2026/12/07 19:51:50 [INFO] serf: EventMemberJoin: m0 127.0.0.1'), { kind: 'join', member: 'm0' })
    assert.deepEqual(parseSerfLogLine('    2026/12/07 19:51:50 [INFO] serf: EventMemberLeave: m7 127.0.0.1'), { kind: 'leave', member: 'm7' })
    assert.deepEqual(parseSerfLogLine('    2026/12/07 19:51:55 [INFO] memberlist: Suspect m2 has failed, no acks received'), { kind: 'suspect', member: 'm2' })
    assert.equal(parseSerfLogLine('    2026/12/07 19:52:00 [INFO] agent: Received event: member-failed'), undefined)
    assert.equal(parseSerfLogLine('==> Serf agent running!'), undefined)
  })
})

describe('join targets', () => {
  it('mesh: every other member; hub: member 0 only', () => {
    assert.deepEqual(joinTargets('mesh', 4, 2), [0, 1, 3])
    assert.deepEqual(joinTargets('hub', 4, 2), [0])
    assert.deepEqual(joinTargets('hub', 4, 0), [])
  })
})

describe('churn schedule', () => {
  it('is the same for the same seed, and keeps at most 3 members down with downtimes of 4-12 s', () => {
    const options = { seed: 7, members: 10, durationMs: 150_000 }
    const steps = churnSchedule(options)
    assert.deepEqual(churnSchedule(options), steps)
    assert.notDeepEqual(churnSchedule({ ...options, seed: 8 }), steps)
    assert.ok(steps.length >= 20, `${steps.length} steps`)
    for (const step of steps) {
      assert.ok(step.downMs >= 4000 && step.downMs <= 12_000)
      assert.ok(step.at >= 0 && step.at <= 150_000)
      const down = steps.filter((s) => s.at <= step.at && step.at < s.at + s.downMs)
      assert.ok(down.length <= 3, `${down.length} down at ${step.at}`)
      assert.equal(new Set(down.map((s) => s.member)).size, down.length, 'a member down twice at once')
    }
    assert.deepEqual(new Set(steps.map((s) => s.action)), new Set(['SIGKILL', 'SIGSTOP', 'SIGINT']))
  })
})

describe('failure tally', () => {
  const report = (observer: number, member: number, at: number, kind: FailureReport['kind'] = 'failed'): FailureReport => ({ observer, member, at, kind })

  it('times each survivor\'s first report, and counts the survivors that never reported as missed', () => {
    const tally = tallyFailures({
      members: 4,
      outages: [{ member: 3, from: 1000 }],
      reports: [report(0, 3, 3000), report(0, 3, 3500), report(1, 3, 5000)],
      from: 0,
      to: 60_000,
      graceMs: 2000
    })
    assert.deepEqual([tally.detection.count, tally.detection.p50, tally.detection.max], [2, 2000, 4000])
    assert.deepEqual([tally.expected, tally.missed, tally.falseFailures], [3, 1, 0])
  })

  it('a report about a member that is up is false, unless within the grace after it came back', () => {
    const tally = tallyFailures({
      members: 3,
      outages: [{ member: 2, from: 10_000, to: 20_000 }],
      reports: [report(0, 1, 5000), report(0, 2, 21_000), report(1, 2, 23_000), report(2, 0, 21_500), report(0, 1, 500)],
      from: 1000,
      to: 60_000,
      graceMs: 2000
    })
    // 0→1 at 5 s: false; 0→2 at 21 s: late but within the grace (a detection); 1→2 at 23 s: false;
    // 2→0 at 21.5 s: false, by a member just back; 0→1 at 0.5 s: before the judged window.
    assert.equal(tally.falseFailures, 3)
    assert.equal(tally.falseByReturning, 1)
    assert.deepEqual([tally.expected, tally.missed, tally.detection.count], [2, 1, 1])
  })

  it('a member down itself during an outage is no survivor of it; a graceful stop counts its leave, untimed', () => {
    const tally = tallyFailures({
      members: 3,
      outages: [{ member: 1, from: 1000, to: 9000, graceful: true }, { member: 2, from: 3000, to: 6000 }],
      reports: [report(0, 1, 1100, 'left'), report(0, 2, 5000)],
      from: 0,
      to: 30_000,
      graceMs: 1000
    })
    assert.deepEqual([tally.expected, tally.missed, tally.detection.count, tally.falseFailures], [2, 0, 1, 0])
  })

  it('a whole-host stall has no survivors: reports during it and within the grace are neither detections nor false', () => {
    const outages = [0, 1, 2].map((member) => ({ member, from: 1000, to: 6000 }))
    const tally = tallyFailures({ members: 3, outages, reports: [report(0, 1, 6500), report(1, 2, 9000)], from: 0, to: 30_000, graceMs: 2000 })
    assert.deepEqual([tally.expected, tally.detection.count, tally.falseFailures, tally.falseByReturning], [0, 0, 1, 0])
  })
})
