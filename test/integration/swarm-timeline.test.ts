/**
 * Scenario files (parsing and their one-line errors), judging a timeline's
 * expectations from events, and the JUnit report (escaped, well-formed).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config-error.js'
import type { NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { judgeTimeline } from '../../src/swarm/scenario/expectations.js'
import type { TimelineRecord } from '../../src/swarm/scenario/timeline-history.js'
import { parseSwarmFlags } from '../../src/swarm/flags.js'
import { junitXml } from '../../src/swarm/scenario/junit.js'
import { parseTimeline } from '../../src/swarm/scenario/timeline-file.js'
import { parseNodes, parseTimeSpec } from '../../src/swarm/scenario/file-fields.js'
import { describeStep, formatNodes, type Timeline } from '../../src/swarm/scenario/timeline-plan.js'
import { faultPlacement } from '../../src/swarm/scenario/engine.js'
import { renderTimelineReport } from '../../src/swarm/scenario/timeline.js'
import { parseXml } from '../helpers/xml-check.js'

const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url))

function timeline (body: Record<string, unknown>, file = 'x.json'): Timeline {
  return parseTimeline(JSON.stringify({ swarm: { nodes: 10, interval: '1s', ttl: '3s' }, ...body }), file)
}

function configError (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`)
    assert.ok(!err.message.includes('\n'), 'one line')
    return err.message
  }
  assert.fail('expected a ConfigError')
}

describe('scenario files', () => {
  it('every example in scenarios/ parses, with a stop and expectations', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json'))
    assert.ok(files.length >= 3)
    for (const file of files) {
      const t = parseTimeline(readFileSync(SCENARIOS + file, 'utf8'), file)
      assert.ok(t.expect.length >= 2, file)
      assert.equal(t.expect.at(-1)?.kind, 'noFalseAlerts', `${file}: the implicit no-false-alerts check comes last`)
    }
  })

  it("the README's example parses", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../docs/swarms.md', import.meta.url)), 'utf8')
    const block = /### Scenario files[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)
    assert.ok(block !== null, 'a json block in the scenario files section')
    const t = parseTimeline(block[1], 'README.md')
    assert.deepEqual(t.steps.map((s) => describeStep(s)), ['split 0-4 | 5-9', 'heal all', 'stop'])
  })

  it('reads node sets: numbers, ranges, lists, all', () => {
    assert.deepEqual(parseNodes(3, 10), [3])
    assert.deepEqual(parseNodes('0-4', 10), [0, 1, 2, 3, 4])
    assert.deepEqual(parseNodes('0-2, 7', 10), [0, 1, 2, 7])
    assert.deepEqual(parseNodes([9, '1-2'], 10), [1, 2, 9])
    assert.equal(parseNodes('all', 4).length, 4)
    assert.equal(formatNodes([0, 1, 2, 4, 6, 7]), '0-2,4,6-7')
    assert.throws(() => parseNodes('4-2', 10), /backwards/)
    assert.throws(() => parseNodes(10, 10), /out of range .* 0-9/)
    assert.throws(() => parseNodes('a', 10), /expected node indices/)
  })

  it('without a ttl, the swarm\'s TTL is 3 intervals, and its settle time follows', () => {
    const file = (swarm: Record<string, unknown>): Timeline => parseTimeline(JSON.stringify({ swarm, steps: [{ at: '1s', stop: true }] }), 'x.json')
    const slow = file({ nodes: 4, interval: '2s' })
    assert.deepEqual([slow.swarm.intervalMs, slow.swarm.ttlMs, slow.swarm.settleMs], [2000, 6000, 12_000])
    assert.deepEqual([file({ nodes: 4 }).swarm.intervalMs, file({ nodes: 4 }).swarm.ttlMs], [1000, 3000])
    assert.equal(file({ nodes: 4, interval: '2s', ttl: '3s' }).swarm.ttlMs, 3000, 'an explicit ttl is kept')
    assert.match(configError(() => file({ nodes: 4, interval: '2s', ttl: '2s' })), /^x\.json: swarm: ttl: must be at least 1\.5 times the interval \(2s\), got 2s$/)
  })

  it('reads times in terms of ttl and interval', () => {
    const swarm = { ttlMs: 3000, intervalMs: 1000 }
    assert.equal(parseTimeSpec('ttl+1s', swarm).ms, 4000)
    assert.equal(parseTimeSpec('3*ttl+1s', swarm).ms, 10_000)
    assert.equal(parseTimeSpec('2*interval + 500ms', swarm).ms, 2500)
    assert.equal(parseTimeSpec('10s', swarm).ms, 10_000)
    assert.throws(() => parseTimeSpec('ttl+x', swarm), /expected a duration/)
  })

  it('times steps from the start (at) or from the previous step (after), and ends at stop or after the last windows', () => {
    const t = timeline({
      steps: [{ at: '5s', kill: 3 }, { after: '2s', hang: '4-5' }, { after: '6s', resume: '4-5' }],
      expect: [{ alerted: { on: 3, within: 'ttl+1s' } }, { recovered: { on: '4-5', within: '20s' } }]
    })
    assert.deepEqual(t.steps.map((s) => s.atMs), [5000, 7000, 13_000])
    assert.deepEqual(t.signalled, [3, 4, 5])
    assert.equal(t.expect[0].kind === 'alerted' && t.expect[0].after, 1, 'alerted follows the first step acting on its nodes')
    assert.equal(t.expect[1].kind === 'recovered' && t.expect[1].after, 3, 'recovered follows the last resume or heal')
    assert.equal(t.endMs, 13_000 + 20_000 + 1000)
    assert.equal(describeStep(t.steps[1]), 'hang 4-5')
  })

  it('reads a latency step, lists the nodes it slows (their connections are relayed from the start), and a heal ends it', () => {
    const t = timeline({
      swarm: { nodes: 4, netns: true },
      steps: [{ at: '1s', latency: { node: 2, delay: '200ms', jitter: '50ms' } }, { after: '10s', latency: { node: '0-1', delay: '1s' } }, { after: '10s', heal: 'all' }]
    })
    assert.deepEqual(t.steps[0], { number: 1, atMs: 1000, action: 'latency', nodes: [2], delayMs: 200, jitterMs: 50 })
    assert.deepEqual(t.slowed, [0, 1, 2])
    assert.deepEqual(t.steps.map(describeStep), ['latency 200ms ± 50ms on 2', 'latency 1s on 0-1', 'heal all'])
    const events = [alert(0, 5000, 2), alert(3, 26_000, 0), alert(1, 28_000, 3)]
    const verdicts = judgeTimeline(record(t, [1000, 11_000, 21_000], events))
    const falseAlerts = verdicts.find((v) => v.kind === 'noFalseAlerts')
    assert.deepEqual(falseAlerts?.failures, ['node 1 on 3 (ping) at +28.00s'], 'alerts with a slowed node are explained until the grace after the heal')
  })

  it('refuses a bad file in one line naming the file, the step or expectation, and the field', () => {
    assert.match(configError(() => parseTimeline('{', 'a.json')), /^a\.json: not valid JSON/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 12 }] })), /^x\.json: step 1 \(kill\): kill: node 12 is out of range/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kil: 2 }] })), /^x\.json: step 1: unknown action "kil"; expected one of kill, hang/)
    assert.match(configError(() => timeline({ steps: [{ kill: 2 }] })), /step 1 \(kill\): needs a time/)
    assert.match(configError(() => timeline({ steps: [{ at: '5s', kill: 2 }, { at: '1s', kill: 3 }] })), /step 2 \(kill\): at: 1s is before the previous step/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', resume: 2 }] })), /step 1 \(resume\): resume: node 2 is not hung/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 2 }, { after: '1s', hang: 2 }] })), /step 2 \(hang\): hang: node 2 was already killed/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', split: '0-4 | 5-9' }] })), /step 1 \(split\): a network fault needs "netns": true/)
    assert.match(configError(() => timeline({ swarm: { nodes: 4, netns: true }, steps: [{ at: '1s', split: '0-2 | 2-3' }] })), /split: node 2 is in more than one group/)
    assert.match(configError(() => timeline({ swarm: { nodes: 4, netns: true }, steps: [{ at: '1s', loss: { node: 1 } }] })), /step 1 \(loss\): loss\.percent: required/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', latency: { node: 2, delay: '200ms' } }] })), /^x\.json: step 1 \(latency\): a network fault needs "netns": true/)
    const netns = { nodes: 4, netns: true }
    assert.match(configError(() => timeline({ swarm: netns, steps: [{ at: '1s', latency: { node: 1 } }] })), /^x\.json: step 1 \(latency\): latency\.delay: required/)
    assert.match(configError(() => timeline({ swarm: netns, steps: [{ at: '1s', latency: { node: 1, delay: 'slow' } }] })), /step 1 \(latency\): latency\.delay: expected a duration like 250ms/)
    assert.match(configError(() => timeline({ swarm: netns, steps: [{ at: '1s', latency: { node: 1, delay: '200ms', jitter: '300ms' } }] })), /step 1 \(latency\): latency\.jitter: expected a duration from 0ms to 200ms, got "300ms"/)
    assert.match(configError(() => timeline({ swarm: netns, steps: [{ at: '1s', latency: { node: 7, delay: '200ms' } }] })), /step 1 \(latency\): latency\.node: node 7 is out of range/)
    assert.match(configError(() => timeline({ swarm: netns, steps: [{ at: '1s', latency: { node: 1, delay: '200ms', loss: 3 } }] })), /step 1 \(latency\): latency: unknown field "loss"; expected node, delay, jitter/)
    assert.match(configError(() => timeline({ swarm: netns, steps: [{ at: '1s', latency: 2, delay: '200ms' }] })), /step 1: one action per step, got latency, delay/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 2 }], expect: [{ alerted: { on: 2, within: 'soon' } }] })), /^x\.json: expect 1 \(alerted\): within: expected a duration/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 2 }, { after: '1s', kill: 3 }], expect: [{ alerted: { on: 2, after: 'kill' } }] })), /expect 1 \(alerted\): after: 2 steps "kill" \(steps 1, 2\)/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 2 }], expect: [{ alerted: { on: 2, by: 'nobody' } }] })), /expect 1 \(alerted\): by: expected node indices/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 2 }], expect: [{ suspected: {} }] })), /expect 1: expected one of alerted, recovered, noAlerts, isolated, noFalseAlerts/)
    assert.match(configError(() => timeline({ swarm: { nodes: 1 }, steps: [{ at: '1s', stop: true }] })), /^x\.json: swarm: nodes: expected a whole number from 2/)
    assert.match(configError(() => timeline({ swarm: { nodes: 4, ttl: '1s' }, steps: [{ at: '1s', stop: true }] })), /swarm: ttl: must be at least/)
  })

  it('the command line takes a scenario file instead of --nodes, and refuses what the file sets', () => {
    const file = `${SCENARIOS}split-5-5.json`
    const config = parseSwarmFlags(['--scenario', file, '--junit', 'out.xml', '--seed', '3'])
    assert.deepEqual(config.timeline, { file, junit: 'out.xml' })
    assert.equal(config.seed, 3)
    assert.equal(parseSwarmFlags(['--nodes', '3', '--scenario', 'crash']).timeline, undefined)
    assert.throws(() => parseSwarmFlags(['--scenario', file, '--nodes', '3']), /--nodes: a scenario file sets it/)
    assert.throws(() => parseSwarmFlags(['--scenario', 'crsh']), /--scenario: expected one of crash, hang, leave or a scenario file, got "crsh" \(no such file\)$/)
    assert.throws(() => parseSwarmFlags(['--nodes', '3', '--junit', 'x.xml']), /--junit: only with --scenario <file>/)
  })
})

const T0 = 1_700_000_000_000
const peers = Array.from({ length: 6 }, (_, i) => `P${i}`)
function ev (node: number, at: number, event: string, peer: number, extra: Record<string, unknown> = {}): NodeEvent {
  return { node, at: T0 + at, receivedAt: at, event: { ts: new Date(T0 + at).toISOString(), event, peer: peers[peer], ...extra } }
}
const alert = (node: number, at: number, on: number): NodeEvent => ev(node, at, 'alert', on, { metric: 'ping', lagMs: 5 })
const recovered = (node: number, at: number, on: number): NodeEvent => ev(node, at, 'recovered', on, { metric: 'ping', downMs: 1000 })
const joinedAll = (): NodeEvent[] => peers.flatMap((_, n) => peers.flatMap((__, p) => p === n ? [] : [ev(n, -5000, 'joined', p)]))

function record (t: Timeline, stepsAt: number[], events: NodeEvent[], endAt = 40_000): TimelineRecord {
  return { timeline: t, startAt: T0, stepsAt: stepsAt.map((s) => T0 + s), endAt: T0 + endAt, peers, events: [...joinedAll(), ...events], exits: new Map() }
}

describe('placing a timeline\'s targets in processes', () => {
  it('keeps the nodes a step signals or degrades alone, and a partition\'s or split\'s groups apart; a heal asks for nothing', () => {
    const t = timeline({
      swarm: { nodes: 10, netns: true },
      steps: [
        { at: '2s', partition: 3 },
        { after: '5s', heal: 3 },
        { after: '5s', split: '0-4 | 5-9' },
        { after: '5s', loss: { node: 7, percent: 10 } },
        { after: '5s', rate: { node: '8', kbit: 64 } },
        { after: '5s', kill: 1 },
        { after: '5s', heal: 'all' }
      ]
    })
    assert.deepEqual(faultPlacement(t), {
      alone: [7, 8],
      apart: [[[3], [0, 1, 2, 4, 5, 6, 7, 8, 9]], [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]]
    })
    assert.deepEqual(faultPlacement(timeline({ steps: [{ at: '1s', kill: 2 }] })), { alone: [], apart: [] }, 'a packed node is killed alone')
    const churn = timeline({ steps: [{ at: '1s', kill: 2 }, { at: '2s', leave: 3 }, { at: '3s', hang: 4 }, { at: '4s', restart: '2-3' }, { at: '5s', resume: 4 }] })
    assert.deepEqual(faultPlacement(churn), { alone: [4], apart: [] }, 'killed, stopped and restarted nodes stay packed; a hung one gets its own process')
  })
})

describe('judging a timeline', () => {
  const split = parseTimeline(JSON.stringify({
    swarm: { nodes: 6, netns: true },
    steps: [{ at: '2s', split: '0-2 | 3-5' }, { after: '10s', heal: 'all' }],
    expect: [
      { alerted: { on: '3-5', by: '0-2', within: 'ttl+1s' } },
      { noAlerts: { among: '0-2' } },
      { recovered: { by: 'all', within: '5s', after: 'heal' } }
    ]
  }), 'split.json')
  const across = (at: number): NodeEvent[] => [0, 1, 2].flatMap((b) => [3, 4, 5].map((o) => alert(b, at + b * 10 + o, o)))
  const back = (at: number): NodeEvent[] => [0, 1, 2].flatMap((b) => [3, 4, 5].map((o) => recovered(b, at, o)))

  it('passes a split every side detected in time, recovered from, with no alert within a side', () => {
    const verdicts = judgeTimeline(record(split, [2000, 12_000], [...across(5000), ...back(12_500)]))
    assert.deepEqual(verdicts.map((v) => [v.kind, v.pass]), [['alerted', true], ['noAlerts', true], ['recovered', true], ['noFalseAlerts', true], ['running', true]])
    assert.match(verdicts[0].figure, /^9\/9 alerted, p50 3\.\d+s, max 3\.\d+s$/)
    assert.match(verdicts[2].figure, /^30\/30 recovered, last recovery 500ms after the step$/)
    assert.match(verdicts[0].description, /^alerted on 3-5 by 0-2 within ttl\+1s \(4\.00s\) after step 1 \(split 0-2 \| 3-5\)$/)
  })

  it('names who was late, who still alerts, and the alerts no step explains', () => {
    const events = [...across(5000).filter((e) => !(e.node === 1 && e.event.peer === 'P4')), alert(1, 8000, 4), alert(0, 9000, 1), ...back(12_500).filter((e) => !(e.node === 2 && e.event.peer === 'P5'))]
    const verdicts = judgeTimeline(record(split, [2000, 12_000], events))
    assert.equal(verdicts[0].pass, false)
    assert.deepEqual(verdicts[0].failures, ['node 1 alerted on 4 after 6.00s (> 4.00s)'])
    assert.deepEqual(verdicts[1].failures, ['node 0 on 1 (ping) at +9.00s'])
    assert.deepEqual(verdicts[2].failures, ['node 0 still alerting on 1', 'node 2 still alerting on 5'])
    assert.deepEqual(verdicts[3].failures, ['node 0 on 1 (ping) at +9.00s'], 'alerts across the split are explained; within a side they are not')
    const text = renderTimelineReport({ name: 'split', file: 'split.json', seed: 1, nodes: 6, intervalMs: 1000, ttlMs: 3000, netns: true, packing: '', processes: [], formedMs: 5000, settleMs: 6000, endMs: 40_000, steps: [], verdicts, alerts: 11, garbageLines: 0, pass: false })
    assert.ok(text.includes('FAIL  3. recovered: all hear all with no alert open within 5s after step 2 (heal all): 28/30 recovered, last recovery 500ms after the step'), text.join('\n'))
    assert.equal(text.at(-1), '1/5 expectations held: FAIL')
  })

  it('explains alerts on a killed node, and by or on a hung node until a grace after its resume; a node that was down is not judged', () => {
    const t = parseTimeline(JSON.stringify({
      swarm: { nodes: 6 },
      steps: [{ at: '1s', kill: 5 }, { at: '2s', hang: 4 }, { at: '10s', resume: 4 }],
      expect: [{ alerted: { on: 5, by: 'others', within: '5s' } }]
    }), 'k.json')
    const events = [0, 1, 2, 3].map((b) => alert(b, 4000, 5)).concat([alert(0, 5000, 4), alert(4, 10_100, 0), alert(4, 10_000 + 3000 + 2000 + 1000 + 500, 1)])
    const verdicts = judgeTimeline({ ...record(t, [1000, 2000, 10_000], events), exits: new Map([[5, 'signal SIGKILL'], [2, 'code 1']]) })
    assert.equal(verdicts[0].pass, true)
    assert.deepEqual(verdicts[0].excluded, ['node 4 (hung)'])
    assert.deepEqual(verdicts[1].failures, ['node 4 on 1 (ping) at +16.50s'], 'past the grace (ttl + 2 intervals + 1s) after the resume')
    assert.deepEqual(verdicts[2].failures, ['node 2 exited (code 1)'])
  })
})

describe('restart, churn and star topologies in scenario files', () => {
  it('restarts only a killed or gone node, which can then go down again', () => {
    const t = timeline({ steps: [{ at: '1s', kill: 2 }, { after: '4s', restart: 2 }, { after: '4s', leave: 2 }, { after: '4s', restart: 2 }] })
    assert.deepEqual(t.steps.map(describeStep), ['kill 2', 'restart 2', 'leave 2', 'restart 2'])
    assert.match(configError(() => timeline({ steps: [{ at: '1s', restart: 2 }] })), /^x\.json: step 1 \(restart\): restart: node 2 is running: only a killed or gone \(leave\) node restarts$/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', hang: 2 }, { at: '2s', restart: 2 }] })), /node 2 is hung \(resume it\)/)
    assert.match(configError(() => timeline({ steps: [{ at: '1s', kill: 2 }, { at: '2s', kill: 2 }] })), /node 2 was already killed by an earlier step \(restart it first\)/)
  })

  it('writes a seeded churn out as steps: the same seed the same steps, at most maxDown down, each back 4-12 s later', () => {
    const churn = { seed: 7, episodes: 30, every: '5s', down: ['4s', '12s'], maxDown: 3 }
    const t = timeline({ churn })
    assert.deepEqual(timeline({ churn }).steps, t.steps, 'replays exactly')
    assert.notDeepEqual(timeline({ churn: { ...churn, seed: 8 } }).steps.map(describeStep), t.steps.map(describeStep))
    const downs = t.steps.filter((s) => s.action === 'kill' || s.action === 'hang' || s.action === 'leave')
    assert.ok(downs.length >= 20 && downs.length <= 30, `${downs.length} episodes`)
    assert.deepEqual(new Set(downs.map((s) => s.action)), new Set(['kill', 'hang', 'leave']))
    let down = 0
    for (const step of t.steps) {
      down += step.action === 'restart' || step.action === 'resume' ? -1 : 1
      assert.ok(down <= 3, `at most 3 down at once, at ${step.atMs} ms`)
    }
    for (const d of downs) {
      const node = 'nodes' in d ? d.nodes?.[0] ?? -1 : -1
      const back = t.steps.find((s) => s.atMs >= d.atMs && s.number > d.number && 'nodes' in s && s.nodes?.includes(node))
      assert.equal(back?.action, d.action === 'hang' ? 'resume' : 'restart')
      assert.ok(back !== undefined && back.atMs - d.atMs >= 4000 && back.atMs - d.atMs <= 12_000)
    }
    for (const d of downs) {
      const node = 'nodes' in d ? d.nodes?.[0] ?? -1 : -1
      const before = t.steps.filter((s) => s.number < d.number && (s.action === 'restart' || s.action === 'resume') && 'nodes' in s && s.nodes?.includes(node)).at(-1)
      assert.ok(before === undefined || d.atMs - before.atMs >= 5000, `node ${node} rests a turn after it came back (step ${d.number})`)
    }
    const more = timeline({ churn: { ...churn, episodes: 2, actions: ['kill'] }, steps: [{ after: '10s', stop: true }] })
    assert.deepEqual(more.steps.map(describeStep).at(-1), 'stop', 'the file\'s own steps follow the churn')
    assert.match(configError(() => timeline({ churn: { episodes: 3, actions: ['crash'] } })), /^x\.json: churn: actions: expected a list of kill, hang, leave, got \["crash"\]$/)
    assert.match(configError(() => timeline({ churn: { every: '5s' } })), /^x\.json: churn: episodes: required/)
    assert.match(configError(() => timeline({ churn: { episodes: 3, down: ['5s', '2s'] } })), /churn: down: expected a duration from 5s to/)
  })

  it('reads a star topology and a packing; refuses a star with a degree', () => {
    const t = timeline({ swarm: { nodes: 6, topology: 'star', perProcess: 3 }, steps: [{ at: '1s', kill: 0 }] })
    assert.equal(t.swarm.topology, 'star')
    assert.equal(t.swarm.perProcess, 3)
    assert.match(configError(() => timeline({ swarm: { nodes: 6, topology: 'ring' }, steps: [{ at: '1s', kill: 0 }] })), /swarm: topology: expected "star"/)
    assert.match(configError(() => timeline({ swarm: { nodes: 6, topology: 'star', degree: 2 }, steps: [{ at: '1s', kill: 0 }] })), /swarm: degree: a star has degree 1/)
  })
})

describe('judging churn', () => {
  const t = parseTimeline(JSON.stringify({
    swarm: { nodes: 6, interval: '500ms', ttl: '2s' },
    steps: [{ at: '1s', kill: 5 }, { at: '2s', hang: 4 }, { at: '8s', resume: 4 }, { at: '9s', restart: 5 }],
    expect: [{ detected: { within: 'ttl+1.5s' } }, { returned: { within: '10s' } }]
  }), 'churn.json')
  const listening = ev(5, 9000, 'listening', 5)
  const rejoin = [0, 1, 2, 3, 4].flatMap((b) => [recovered(b, 10_000, 5), ev(5, 10_000, 'joined', b)])
  const hungBack = [0, 1, 2, 3].map((b) => recovered(b, 8500, 4))

  it('passes when every kill and hang was alerted in time by every node up, and every return heard both ways', () => {
    const events = [...[0, 1, 2, 3].map((b) => alert(b, 3500, 5)), alert(4, 8200, 5), ...[0, 1, 2, 3].map((b) => alert(b, 4500, 4)), ...hungBack, listening, ...rejoin]
    const verdicts = judgeTimeline(record(t, [1000, 2000, 8000, 9000], events))
    assert.deepEqual(verdicts.map((v) => [v.kind, v.pass]), [['detected', true], ['returned', true], ['noFalseAlerts', true], ['running', true]], JSON.stringify(verdicts, null, 1))
    assert.match(verdicts[0].figure, /^8\/8 alerted in time, 0 late, 0 missed; p50 2\.50s, max 2\.50s$/)
    assert.deepEqual(verdicts[0].excluded, ['step 1 (kill 5): node 4 (hung)', 'step 2 (hang 4): node 5 (killed)'])
  })

  it('counts late and missed detections, a return not heard, and alerts on a restarted node past the grace', () => {
    const events = [...[0, 1, 2].map((b) => alert(b, 3500, 5)), alert(3, 5000, 5), ...[0, 1, 2].map((b) => alert(b, 4500, 4)), ...hungBack, listening, ...rejoin.filter((e) => e.node !== 2), alert(1, 9000 + 2000 + 1000 + 1000 + 500, 5)]
    const verdicts = judgeTimeline(record(t, [1000, 2000, 8000, 9000], events))
    assert.equal(verdicts[0].figure.split(';')[0], '6/8 alerted in time, 1 late, 1 missed')
    assert.deepEqual(verdicts[0].failures, ['step 1 (kill 5): node 3 alerted on 5 after 4.00s (> 3.50s)', 'step 2 (hang 4): node 3 did not alert on 4'])
    assert.deepEqual(verdicts[1].failures, ['step 4 (restart 5): node 1 still alerting on 5', 'step 4 (restart 5): node 2 still alerting on 5'])
    assert.deepEqual(verdicts[2].failures, ['node 1 on 5 (ping) at +13.50s'], 'past the grace (ttl + 2 intervals + 1s) after the restart')
  })

  it('names each node that reported itself isolated (noIsolated)', () => {
    const hub = parseTimeline(JSON.stringify({ swarm: { nodes: 6 }, steps: [{ at: '1s', kill: 0 }], expect: [{ noIsolated: { nodes: '1-5' } }] }), 'hub.json')
    const verdicts = judgeTimeline(record(hub, [1000], [ev(2, 4000, 'isolated', 2), ev(0, 500, 'isolated', 0)]))
    assert.equal(verdicts[0].pass, false)
    assert.deepEqual(verdicts[0].failures, ['node 2 reported isolated at +4.00s'])
    assert.equal(judgeTimeline(record(hub, [1000], []))[0].pass, true)
  })

  it('does not judge a return whose node went down again within the window, even if back by its end', () => {
    const again = parseTimeline(JSON.stringify({
      swarm: { nodes: 6, interval: '500ms', ttl: '2s' },
      steps: [{ at: '1s', kill: 5 }, { at: '5s', restart: 5 }, { at: '9s', kill: 5 }, { at: '13s', restart: 5 }],
      expect: [{ returned: { within: '10s' } }]
    }), 'again.json')
    const events = [...[0, 1, 2, 3, 4].map((b) => alert(b, 3000, 5)), ...[0, 1, 2, 3, 4].map((b) => alert(b, 11_000, 5)), ev(5, 13_000, 'listening', 5), ...rejoin.map((e) => ({ ...e, at: e.at + 4000 }))]
    const verdict = judgeTimeline(record(again, [1000, 5000, 9000, 13_000], events))[0]
    assert.deepEqual(verdict.excluded, ['step 2 (restart 5): node 5 (down again)'])
    assert.deepEqual(verdict.failures, [])
  })

  it('does not judge the detection of a node back for less than two TTLs: its first report of the victim lives two TTLs', () => {
    const back = parseTimeline(JSON.stringify({
      swarm: { nodes: 6, interval: '500ms', ttl: '2s' },
      steps: [{ at: '1s', kill: 3 }, { at: '5s', restart: 3 }, { at: '6s', kill: 2 }, { at: '15s', kill: 1 }],
      expect: [{ detected: { within: 'ttl+1.5s' } }]
    }), 'back.json')
    // Node 3 hears the others again at its restart (+5 s) and alerts on node 2 4 s after its crash, as it should; everyone else is on time.
    const rejoined = [0, 1, 2, 4, 5].map((p) => ev(3, 5000, 'joined', p))
    const events = [...rejoined, ...[0, 1, 2, 4, 5].map((b) => alert(b, 3000, 3)), ...[0, 1, 4, 5].map((b) => alert(b, 8000, 2)), alert(3, 10_000, 2), ...[0, 2, 3, 4, 5].map((b) => alert(b, 17_000, 1))]
    const verdict = judgeTimeline(record(back, [1000, 5000, 6000, 15_000], events))[0]
    assert.ok(verdict.excluded?.includes('step 3 (kill 2): node 3 (back for 1.00s only)'), JSON.stringify(verdict.excluded))
    assert.deepEqual(verdict.failures, [])
    assert.match(verdict.figure, /^13\/13 alerted in time/, 'node 3 is judged on node 1\'s crash, 10 s after its return')
  })

  it('judges an exit after a restart as unexpected', () => {
    const verdicts = judgeTimeline({ ...record(t, [1000, 2000, 8000, 9000], []), exits: new Map([[5, 'code 1']]) })
    assert.deepEqual(verdicts.at(-1)?.failures, ['node 5 exited (code 1)'])
  })
})

describe('JUnit report', () => {
  it('is well-formed XML with one testcase per expectation and failures carrying who failed, whatever the text', () => {
    const nasty = 'a <b> & "c" \'d\' ]]> \u0001 \ud800 😀 \n tab\t'
    const xml = junitXml({
      name: `scenario ${nasty}`,
      timeMs: 61_234,
      timestamp: new Date('2026-12-01T00:00:00.000Z'),
      properties: { file: `x ${nasty}.json`, seed: 1, netns: false },
      verdicts: [
        { number: 1, kind: 'alerted', description: `alerted on 3 ${nasty}`, pass: true, figure: '9/9 alerted', failures: [] },
        { number: 2, kind: 'noAlerts', description: 'no alerts among 0-4', pass: false, figure: '2 alerts', failures: [`node 1 on 2 ${nasty}`, 'node 2 on 1'] }
      ],
      error: `the swarm did not form ${nasty}`,
      log: `+2s step 1: split 0-4 | 5-9 ${nasty}`
    })
    const root = parseXml(xml)
    assert.equal(root.name, 'testsuite')
    assert.equal(root.attributes.tests, '3')
    assert.equal(root.attributes.failures, '1')
    assert.equal(root.attributes.errors, '1')
    assert.equal(root.attributes.time, '61.234')
    assert.equal(root.attributes.name, 'scenario a <b> & "c" \'d\' ]]> \ufffd \ufffd 😀 \n tab\t')
    const cases = root.children.filter((c) => c.name === 'testcase')
    assert.equal(cases.length, 3)
    assert.equal(cases[0].children.some((c) => c.name === 'failure'), false)
    const failure = cases[1].children.find((c) => c.name === 'failure')
    assert.ok(failure !== undefined)
    assert.match(failure.attributes.message, /^2 alerts: node 1 on 2 a <b> & "c"/)
    assert.match(failure.text, /node 2 on 1/)
    assert.equal(cases[2].children[0].name, 'error')
    assert.throws(() => parseXml('<a b="<"/>'), /not well-formed/)
    assert.throws(() => parseXml('<a>&</a>'), /bare &/)
    assert.throws(() => parseXml('<a><b></a>'), /does not match/)
  })
})
