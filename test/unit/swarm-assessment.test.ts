import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assessScenario, percentile, type ScenarioName, type ScenarioRecord } from '../../src/swarm/scenario/assessment.js'
import type { NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { renderScenarioResult } from '../../src/swarm/scenario/result-table.js'

const T0 = 1_700_000_000_000
const ACTION = T0 + 10_000
const peers = ['P0', 'P1', 'P2', 'P3']
const victim = { index: 2, peer: 'P2' }
const survivors = [0, 1, 3].map((index) => ({ index, peer: peers[index] }))

function ev (node: number, at: number, event: string, peer: string, extra: Record<string, unknown> = {}): NodeEvent {
  return { node, at, receivedAt: at - T0, event: { ts: new Date(at).toISOString(), event, peer, ...extra } }
}
const alert = (node: number, at: number, peer: string, lagMs = 5, metric = 'ping'): NodeEvent =>
  ev(node, at, 'alert', peer, { metric, lagMs, ttlMs: 1500, silentMs: 1500 + lagMs })
const recovered = (node: number, at: number, peer: string): NodeEvent => ev(node, at, 'recovered', peer, { metric: 'ping', downMs: 4000 })
const left = (node: number, at: number, peer: string): NodeEvent => ev(node, at, 'left', peer)

function record (scenario: ScenarioName, events: NodeEvent[]): ScenarioRecord {
  return { scenario, victim, survivors, actionAt: ACTION, countFrom: T0 + 5000, events }
}

describe('assessScenario', () => {
  it('passes a crash every survivor detected, with lag and detection figures', () => {
    const result = assessScenario(record('crash', [
      alert(0, ACTION + 1400, 'P2', 4),
      alert(1, ACTION + 1500, 'P2', 10),
      alert(3, ACTION + 1200, 'P2', 30),
      alert(3, ACTION + 1300, 'P2', 30, 'load'), // other metrics of the victim expire too
      ev(0, ACTION + 50, 'disconnected', 'P2'),
      alert(2, ACTION - 100, 'P0') // the victim's own view does not count
    ]))
    assert.equal(result.pass, true)
    assert.equal(result.detected, 3)
    assert.equal(result.falseAlerts, 0)
    assert.deepEqual(result.survivors.map((s) => [s.node, s.detected, s.lagMs, s.detectMs, s.recovered]),
      [[0, 'alert', 4, 1400, null], [1, 'alert', 10, 1500, null], [3, 'alert', 30, 1200, null]])
    assert.deepEqual(result.lag, { p50: 10, p99: 30, max: 30 })
    assert.deepEqual(result.detection, { p50: 1400, p99: 1500, max: 1500 })
  })

  it('fails a crash a survivor missed', () => {
    const result = assessScenario(record('crash', [alert(0, ACTION + 1400, 'P2'), alert(1, ACTION + 1500, 'P2')]))
    assert.equal(result.pass, false)
    assert.equal(result.detected, 2)
    const missed = result.survivors.find((s) => s.node === 3)
    assert.equal(missed?.detected, null)
    assert.equal(missed?.ok, false)
    assert.match(missed?.problems.join() ?? '', /no ping alert/)
  })

  it('counts alerts for other peers, and for the victim before the action, as false', () => {
    const result = assessScenario(record('crash', [
      alert(0, ACTION + 1400, 'P2'),
      alert(1, ACTION + 1500, 'P2'),
      alert(3, ACTION + 1200, 'P2'),
      alert(1, ACTION + 1600, 'P3'), // partition-like false alert
      alert(0, ACTION - 2000, 'P2'), // before the action
      alert(3, T0 + 1000, 'P1') // before counting started: ignored
    ]))
    assert.equal(result.pass, false)
    assert.equal(result.detected, 3)
    assert.equal(result.falseAlerts, 2)
    assert.deepEqual(result.survivors.map((s) => s.falseAlerts), [1, 1, 0])
  })

  it('passes a leave with left events and no alert', () => {
    const result = assessScenario(record('leave', [
      left(0, ACTION + 40, 'P2'), left(1, ACTION + 60, 'P2'), left(3, ACTION + 35, 'P2'),
      ev(1, ACTION + 70, 'disconnected', 'P2')
    ]))
    assert.equal(result.pass, true)
    assert.deepEqual(result.survivors.map((s) => [s.detected, s.detectMs, s.lagMs]), [['left', 40, null], ['left', 60, null], ['left', 35, null]])
    assert.equal(result.lag, null)
  })

  it('fails a leave with any alert, even for the victim after its left event', () => {
    const result = assessScenario(record('leave', [
      left(0, ACTION + 40, 'P2'), left(1, ACTION + 60, 'P2'), left(3, ACTION + 35, 'P2'),
      alert(3, ACTION + 1600, 'P2')
    ]))
    assert.equal(result.pass, false)
    assert.equal(result.detected, 3)
    assert.equal(result.falseAlerts, 1)
  })

  it('fails a leave a survivor only noticed by alert', () => {
    const result = assessScenario(record('leave', [left(0, ACTION + 40, 'P2'), left(1, ACTION + 60, 'P2'), alert(3, ACTION + 1500, 'P2')]))
    assert.equal(result.pass, false)
    assert.equal(result.survivors[2].detected, null)
  })

  it('requires recovered after the alert for a hang, and counts a later flap as false', () => {
    const good = assessScenario(record('hang', [
      alert(0, ACTION + 1400, 'P2'), recovered(0, ACTION + 5200, 'P2'),
      alert(1, ACTION + 1500, 'P2'), recovered(1, ACTION + 5300, 'P2'),
      alert(3, ACTION + 1200, 'P2'), recovered(3, ACTION + 5100, 'P2')
    ]))
    assert.equal(good.pass, true)
    assert.deepEqual(good.survivors.map((s) => [s.recovered, s.downMs]), [[true, 4000], [true, 4000], [true, 4000]])

    const bad = assessScenario(record('hang', [
      alert(0, ACTION + 1400, 'P2'), recovered(0, ACTION + 5200, 'P2'), alert(0, ACTION + 9000, 'P2'),
      alert(1, ACTION + 1500, 'P2'),
      alert(3, ACTION + 1200, 'P2'), recovered(3, ACTION + 5100, 'P2')
    ]))
    assert.equal(bad.pass, false)
    assert.deepEqual(bad.survivors.map((s) => [s.recovered, s.falseAlerts, s.ok]), [[true, 1, false], [false, 0, false], [true, 0, true]])
  })

  it('fails a survivor that exited during the run', () => {
    const result = assessScenario({
      ...record('crash', [alert(0, ACTION + 1400, 'P2'), alert(1, ACTION + 1500, 'P2'), alert(3, ACTION + 1200, 'P2')]),
      exitedSurvivors: new Map([[1, 'signal SIGSEGV']])
    })
    assert.equal(result.pass, false)
    assert.match(result.survivors[1].problems.join(), /SIGSEGV/)
  })

  it('renders a table with one row per survivor and a summary line', () => {
    const result = assessScenario(record('hang', [alert(0, ACTION + 1400, 'P2'), recovered(0, ACTION + 5200, 'P2')]))
    const lines = renderScenarioResult(result)
    assert.match(lines[0], /^node\s+peer\s+detected/)
    assert.equal(lines.length, 1 + 3 + 2)
    assert.match(lines[lines.length - 1], /^hang of node 2 \(P2\), detected 1\/3, .*recovered 1\/3, false alerts 0: FAIL$/)
  })
})

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.equal(percentile(values, 50), 50)
    assert.equal(percentile(values, 99), 99)
    assert.equal(percentile([7], 99), 7)
    assert.ok(Number.isNaN(percentile([], 50)))
  })
})
