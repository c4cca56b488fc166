/**
 * Judging a timeline's expectations from the events the nodes printed. Pure:
 * the scenario engine (engine.ts) records when each step took effect and every event
 * (the record: timeline-history.ts);
 * this says per expectation whether it held, the figure, and who failed.
 *
 * - alerted: every node of `by` raises a `ping` alert on every node of `on`
 *   (itself excepted) after the step, within `within` when given. Nodes of `by`
 *   that were down (killed, gone, hung) at any moment of that window are not
 *   judged, and the verdict says so.
 * - recovered: at `within` after the step (or the end), every node of `by`
 *   that is up hears every node of `on` that is up again (it reported it
 *   since it last forgot it) and has no alert open on it.
 * - noAlerts: no node of `by` raises an alert (any metric) on a node of `on`
 *   between the steps `from` and `until` (default: the whole timeline).
 * - isolated: every node of `nodes` reports itself `isolated` (every peer it
 *   heard went silent at once: its local health, instead of an alert per
 *   peer) after the step, within `within` when given.
 * - detected: every kill and hang step: every other node up through the
 *   window that had heard the victim raises a `ping` alert on it within
 *   `within` (churn: many episodes in one expectation). A node back (restarted
 *   or resumed) less than FIRST_REPORT_TTLS TTLs before the fault is not
 *   judged: the first report it heard of the victim lives that many TTLs, on
 *   purpose (src/constants.ts), so its alert comes later by design.
 * - returned: every restart and resume step: within `within`, every other
 *   node up through the window hears the returning node with no alert open on
 *   it, and the returning node hears each of them.
 * - noIsolated: no node of `nodes` reports itself `isolated` (a node that
 *   still hears some peer must not think itself cut off).
 * - noFalseAlerts: every alert during the timeline is explained by a step: its
 *   subject was killed (until its restart plus a grace of ttl + 2 intervals +
 *   1 s); its subject or its raiser hung (until the resume plus the grace); the two were on different sides of a
 *   partition or split; or one of them had a lossy, narrow or slow link (each until
 *   its heal plus the grace). A node that leaves must cause no alert at all.
 * - running (always judged): no node exited that no step killed or stopped
 *   (and did not restart).
 */
import { FIRST_REPORT_TTLS } from '../../constants.js'
import { formatMs } from '../terminal-view/format.js'
import { HEARTBEAT_METRIC, percentile } from './assessment.js'
import { formatNodes, type Expectation } from './timeline-plan.js'
import { TimelineHistory, type TimelineRecord } from './timeline-history.js'
import { PeerTable } from '../nodes/peer-table.js'

export interface Verdict {
  /** 1-based, as the file lists it (implicit ones follow). */
  number: number
  kind: Expectation['kind'] | 'running'
  /** What was expected, for a person: `alerted on 3 by others within ttl+1s (4s) after step 1 (kill 3)`. */
  description: string
  pass: boolean
  /** The measured figure: `9/9 alerted, p50 3.41s, max 3.62s`. */
  figure: string
  /** One phrase per failing node or pair: `node 4 did not alert on 3`. */
  failures: string[]
  /** Nodes left out of the judgement and why: `node 5 (hung)`. */
  excluded?: string[]
  /** The figure's main number: the slowest time (ms) or a count. */
  value?: number
  /** detected, returned: what the figure counts, for a benchmark (e.g. `{ judged: 80, late: 2, missed: 1 }`). */
  counts?: Record<string, number>
  /** detected: each detection time; returned: each return's slowest time to be heard by all (ms). */
  samples?: number[]
}

/** The verdict of every expectation of the record's timeline, then `running`. */
export function judgeTimeline (record: TimelineRecord): Verdict[] {
  const history = new TimelineHistory(record)
  const verdicts = record.timeline.expect.map((e) => judge(history, e))
  verdicts.push(running(history, verdicts.length + 1))
  return verdicts
}

function judge (h: TimelineHistory, e: Expectation): Verdict {
  switch (e.kind) {
    case 'alerted': return alerted(h, e)
    case 'recovered': return recovered(h, e)
    case 'noAlerts': return noAlerts(h, e)
    case 'isolated': return isolated(h, e)
    case 'noFalseAlerts': return noFalseAlerts(h, e)
    case 'detected': return detected(h, e)
    case 'returned': return returned(h, e)
    case 'noIsolated': return noIsolated(h, e)
  }
}

/**
 * What a judge of "within this long after that step" starts with: its verdict's
 * base, the step's time and the deadline, and the nodes judged over that span
 * (those down during it excluded); or, when the step never ran, the failed verdict.
 */
function stepSpan (h: TimelineHistory, e: Extract<Expectation, { kind: 'alerted' | 'isolated' }>, description: string, nodes: number[]):
{ base: Pick<Verdict, 'number' | 'kind' | 'description'>, from: number, deadline: number, judged: number[], excluded: string[] } | Verdict {
  const base = { number: e.number, kind: e.kind, description }
  const from = h.stepTime(e.after)
  if (from === undefined) return { ...base, pass: false, figure: 'the step never ran', failures: [`${h.stepText(e.after)} never ran`] }
  const deadline = e.within === undefined ? h.record.endAt : from + e.within.ms
  return { base, from, deadline, ...h.split(nodes, from, deadline) }
}

function alerted (h: TimelineHistory, e: Extract<Expectation, { kind: 'alerted' }>): Verdict {
  const span = stepSpan(h, e, `alerted on ${e.onText} by ${e.byText}${withinText(e.within)} after ${h.stepText(e.after)}`, e.by)
  if ('pass' in span) return span
  const { base, from, deadline, judged, excluded } = span
  const times: number[] = []
  const failures: string[] = []
  let pairs = 0
  for (const by of judged) {
    for (const on of e.on) {
      if (on === by) continue
      pairs++
      const first = h.alerts.find((a) => a.by === by && a.on === on && a.metric === HEARTBEAT_METRIC && a.at >= from)
      if (first === undefined || first.at > h.record.endAt) {
        failures.push(`node ${by} did not alert on ${on}`)
      } else if (first.at > deadline) {
        failures.push(`node ${by} alerted on ${on} after ${formatMs(first.at - from)} (> ${formatMs(deadline - from)})`)
        times.push(first.at - from)
      } else {
        times.push(first.at - from)
      }
    }
  }
  const inTime = pairs - failures.length
  const figure = `${inTime}/${pairs} alerted${times.length === 0 ? '' : `, p50 ${formatMs(percentile(times, 50))}, max ${formatMs(Math.max(...times))}`}`
  return { ...base, pass: pairs > 0 && failures.length === 0, figure, failures: pairs === 0 ? ['no node left to judge'] : failures, ...excludedOf(excluded), ...(times.length === 0 ? {} : { value: Math.max(...times) }) }
}

function recovered (h: TimelineHistory, e: Extract<Expectation, { kind: 'recovered' }>): Verdict {
  const description = `recovered: ${e.byText} hear ${e.onText} with no alert open${withinText(e.within)} after ${h.stepText(e.after)}`
  const base = { number: e.number, kind: e.kind, description }
  const from = h.stepTime(e.after)
  if (from === undefined) return { ...base, pass: false, figure: 'the step never ran', failures: [`${h.stepText(e.after)} never ran`] }
  const deadline = Math.min(e.within === undefined ? h.record.endAt : from + e.within.ms, h.record.endAt)
  // Judged: nodes up at the deadline, on both sides.
  const upAt = (i: number): boolean => h.downDuring(i, deadline, deadline) === undefined
  const excluded = [...new Set([...e.by, ...e.on])].filter((i) => !upAt(i)).map((i) => `node ${i} (${h.downDuring(i, deadline, deadline) ?? ''})`)
  const by = e.by.filter(upAt)
  const on = e.on.filter(upAt)
  const failures: string[] = []
  let last = 0
  let pairs = 0
  for (const b of by) {
    const table = new PeerTable()
    const mine = h.record.events.filter((ev) => ev.node === b && ev.at <= deadline).sort((x, y) => x.at - y.at || x.receivedAt - y.receivedAt)
    for (const ev of mine) {
      table.apply(ev.event)
      const subject = h.indexOf.get(ev.event.peer ?? '')
      if (ev.at > from && subject !== undefined && on.includes(subject) && (ev.event.event === 'recovered' || ev.event.event === 'joined')) last = Math.max(last, ev.at - from)
    }
    for (const o of on) {
      if (o === b) continue
      pairs++
      const peer = h.record.peers[o]
      if (table.alerting.has(peer)) failures.push(`node ${b} still alerting on ${o}`)
      else if (!table.peers.has(peer)) failures.push(`node ${b} does not hear ${o}`)
    }
  }
  const figure = `${pairs - failures.length}/${pairs} recovered${last > 0 ? `, last recovery ${formatMs(last)} after the step` : ', nothing to recover'}`
  return { ...base, pass: pairs > 0 && failures.length === 0, figure, failures: pairs === 0 ? ['no node left to judge'] : failures, ...excludedOf(excluded), value: last }
}

function isolated (h: TimelineHistory, e: Extract<Expectation, { kind: 'isolated' }>): Verdict {
  const span = stepSpan(h, e, `isolated: ${e.nodesText} report${e.nodes.length === 1 ? 's itself' : ' themselves'} cut off${withinText(e.within)} after ${h.stepText(e.after)}`, e.nodes)
  if ('pass' in span) return span
  const { base, from, deadline, judged, excluded } = span
  const times: number[] = []
  const failures: string[] = []
  for (const node of judged) {
    const first = h.record.events.filter((ev) => ev.node === node && ev.event.event === 'isolated' && ev.at >= from && ev.at <= h.record.endAt).sort((a, b) => a.at - b.at)[0]
    if (first === undefined) failures.push(`node ${node} did not report isolated`)
    else if (first.at > deadline) failures.push(`node ${node} reported isolated after ${formatMs(first.at - from)} (> ${formatMs(deadline - from)})`)
    if (first !== undefined) times.push(first.at - from)
  }
  const figure = `${judged.length - failures.length}/${judged.length} isolated${times.length === 0 ? '' : `, max ${formatMs(Math.max(...times))}`}`
  return { ...base, pass: judged.length > 0 && failures.length === 0, figure, failures: judged.length === 0 ? ['no node left to judge'] : failures, ...excludedOf(excluded), ...(times.length === 0 ? {} : { value: Math.max(...times) }) }
}

function noAlerts (h: TimelineHistory, e: Extract<Expectation, { kind: 'noAlerts' }>): Verdict {
  const window = `${e.from === undefined ? '' : ` from ${h.stepText(e.from)}`}${e.until === undefined ? '' : ` until ${h.stepText(e.until)}`}`
  const description = e.byText === e.onText && formatNodes(e.by) === formatNodes(e.on)
    ? `no alerts among ${e.byText}${window}`
    : `no alerts by ${e.byText} on ${e.onText}${window}`
  const from = e.from === undefined ? h.record.startAt : h.stepTime(e.from) ?? Infinity
  const until = e.until === undefined ? h.record.endAt : h.stepTime(e.until) ?? h.record.endAt
  const found = h.alerts.filter((a) => a.at >= from && a.at <= until && e.by.includes(a.by) && e.on.includes(a.on) && a.by !== a.on)
  return {
    number: e.number,
    kind: e.kind,
    description,
    pass: found.length === 0,
    figure: `${found.length} alert${found.length === 1 ? '' : 's'}`,
    failures: found.map((a) => h.alertText(a)),
    value: found.length
  }
}

function noFalseAlerts (h: TimelineHistory, e: Extract<Expectation, { kind: 'noFalseAlerts' }>): Verdict {
  const unexplained = h.alerts.filter((a) => !h.explained(a.by, a.on, a.at))
  // An alert on a node that left is false too (it said goodbye), but it is not one on a node that is up: say which.
  const gone = (a: { on: number, at: number }): string => a.on >= 0 && h.downDuring(a.on, a.at, a.at) === 'gone' ? `, after ${a.on} left` : ''
  return {
    number: e.number,
    kind: e.kind,
    description: 'no false alerts (every alert explained by a step)',
    pass: unexplained.length === 0,
    figure: `${unexplained.length} false alert${unexplained.length === 1 ? '' : 's'} of ${h.alerts.length}`,
    failures: unexplained.map((a) => `${h.alertText(a)}${gone(a)}`),
    value: unexplained.length,
    counts: { falseAlerts: unexplained.length, alerts: h.alerts.length }
  }
}

/** Every kill and hang: each other node up through the window (that had heard the victim) alerts on it within `within`. */
function detected (h: TimelineHistory, e: Extract<Expectation, { kind: 'detected' }>): Verdict {
  const description = `detected: every kill and hang alerted by every node up${withinText(e.within)}`
  const times: number[] = []
  const failures: string[] = []
  const excluded: string[] = []
  let pairs = 0
  let late = 0
  let missed = 0
  h.episodes(['kill', 'hang'], (step, at, victim) => {
    const deadline = at + e.within.ms
    for (const by of h.record.peers.keys()) {
      if (by === victim) continue
      const down = h.downDuring(by, at, deadline)
      if (down !== undefined) { excluded.push(`${step}: node ${by} (${down})`); continue }
      const backFor = h.backFor(by, at)
      if (backFor !== undefined && backFor < FIRST_REPORT_TTLS * h.record.timeline.swarm.ttlMs) { excluded.push(`${step}: node ${by} (back for ${formatMs(backFor)} only)`); continue }
      if (!h.tableAt(by, at).peers.has(h.record.peers[victim])) { excluded.push(`${step}: node ${by} (had not heard ${victim})`); continue }
      pairs++
      const first = h.alerts.find((a) => a.by === by && a.on === victim && a.metric === HEARTBEAT_METRIC && a.at >= at)
      if (first === undefined || h.downDuring(victim, first.at, first.at) === undefined) {
        missed++
        failures.push(`${step}: node ${by} did not alert on ${victim}`)
      } else {
        times.push(first.at - at)
        if (first.at > deadline) {
          late++
          failures.push(`${step}: node ${by} alerted on ${victim} after ${formatMs(first.at - at)} (> ${formatMs(e.within.ms)})`)
        }
      }
    }
  })
  const figure = `${pairs - late - missed}/${pairs} alerted in time, ${late} late, ${missed} missed${times.length === 0 ? '' : `; p50 ${formatMs(percentile(times, 50))}, max ${formatMs(Math.max(...times))}`}`
  return { number: e.number, kind: e.kind, description, pass: pairs > 0 && failures.length === 0, figure, failures: pairs === 0 ? ['no node left to judge'] : failures, ...excludedOf(excluded), ...(times.length === 0 ? {} : { value: Math.max(...times) }), counts: { judged: pairs, late, missed }, samples: times }
}

/** Every restart and resume: within `within`, the others up through the window hear the node with no alert open, and it hears them. */
function returned (h: TimelineHistory, e: Extract<Expectation, { kind: 'returned' }>): Verdict {
  const description = `returned: every node restarted or resumed is heard again with no alert open, and hears the others,${withinText(e.within)}`
  const failures: string[] = []
  const excluded: string[] = []
  const times: number[] = []
  let pairs = 0
  let returns = 0
  h.episodes(['restart', 'resume'], (step, at, back, action) => {
    const deadline = Math.min(at + e.within.ms, h.record.endAt)
    // Down again within the window (even if back by its end): that return is not judged.
    if (h.downDuring(back, at + 1, deadline) !== undefined) { excluded.push(`${step}: node ${back} (down again)`); return }
    returns++
    const peer = h.record.peers[back]
    // A restarted daemon starts with an empty table: only its new life (from its last listening line) counts.
    const listens = h.record.events.filter((ev) => ev.node === back && ev.event.event === 'listening' && ev.at <= at).map((ev) => ev.at)
    const born = action !== 'restart' ? undefined : listens.length === 0 ? at : Math.max(...listens)
    const own = h.tableAt(back, deadline, born)
    let last = 0
    for (const by of h.record.peers.keys()) {
      if (by === back) continue
      const down = h.downDuring(by, at, deadline)
      if (down !== undefined) { excluded.push(`${step}: node ${by} (${down})`); continue }
      pairs++
      const table = h.tableAt(by, deadline)
      if (table.alerting.has(peer)) failures.push(`${step}: node ${by} still alerting on ${back}`)
      else if (!table.peers.has(peer)) failures.push(`${step}: node ${by} does not hear ${back}`)
      else if (!own.peers.has(h.record.peers[by])) failures.push(`${step}: node ${back} does not hear ${by}`)
      const heard = h.record.events.find((ev) => ev.node === by && ev.event.peer === peer && ev.at > at && ev.at <= deadline && (ev.event.event === 'recovered' || ev.event.event === 'joined'))
      if (heard !== undefined) last = Math.max(last, heard.at - at)
    }
    if (!failures.some((f) => f.startsWith(`${step}: `))) times.push(last)
  })
  const figure = `${pairs - failures.length}/${pairs} back in time${times.length === 0 ? '' : `; slowest per return p50 ${formatMs(percentile(times, 50))}, max ${formatMs(Math.max(...times))}`}`
  return { number: e.number, kind: e.kind, description, pass: pairs > 0 && failures.length === 0, figure, failures: pairs === 0 ? ['no node left to judge'] : failures, ...excludedOf(excluded), ...(times.length === 0 ? {} : { value: Math.max(...times) }), counts: { judged: pairs, notBack: failures.length, returns, healed: times.length }, samples: times }
}

function noIsolated (h: TimelineHistory, e: Extract<Expectation, { kind: 'noIsolated' }>): Verdict {
  const found = h.record.events
    .filter((ev) => ev.event.event === 'isolated' && e.nodes.includes(ev.node) && ev.at >= h.record.startAt && ev.at <= h.record.endAt)
    .sort((a, b) => a.at - b.at)
  return {
    number: e.number,
    kind: e.kind,
    description: `no isolated: ${e.nodesText} never report${e.nodes.length === 1 ? 's itself' : ' themselves'} cut off`,
    pass: found.length === 0,
    figure: `${found.length} isolated report${found.length === 1 ? '' : 's'}`,
    failures: found.map((ev) => `node ${ev.node} reported isolated at +${formatMs(ev.at - h.record.startAt)}`),
    value: found.length
  }
}

/** `running`, always judged: no node exited that no step killed or made leave. */
function running (h: TimelineHistory, number: number): Verdict {
  const failures: string[] = []
  for (const [node, how] of h.record.exits) {
    // The node's last down period must be open: a node that restarted and then ended did so unasked.
    const last = h.downs.get(node)?.filter((d) => d.why !== 'hung').at(-1)
    if (last === undefined || last.to !== Infinity) failures.push(`node ${node} exited (${how})`)
  }
  return { number, kind: 'running', description: 'no node exited unless a step killed it or made it leave', pass: failures.length === 0, figure: `${failures.length} unexpected exit${failures.length === 1 ? '' : 's'}`, failures, value: failures.length }
}

function withinText (within: { text: string, ms: number } | undefined): string {
  if (within === undefined) return ''
  return /^\d/.test(within.text) && !within.text.includes('+') ? ` within ${within.text}` : ` within ${within.text} (${formatMs(within.ms)})`
}

function excludedOf (excluded: string[]): { excluded?: string[] } {
  return excluded.length === 0 ? {} : { excluded }
}
