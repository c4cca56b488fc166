/**
 * Judging a chaos scenario from the events the survivors printed. Pure: the
 * runner (builtin.ts) records events and times, this decides per survivor
 * whether it detected the victim correctly, and whether the run passes.
 *
 * - crash, hang: a survivor detects the victim with an `alert` on `ping` for
 *   the victim after the action; for hang it must then report `recovered`.
 * - leave: a survivor detects the victim with `left`, and raises no alert at all.
 * - a false alert is any alert, from the start of counting on, that is not an
 *   expected detection: for another peer, for the victim before the action or
 *   after it recovered, or any alert during leave.
 */
import type { NodeEvent } from '../nodes/daemon-child.js'

export type ScenarioName = 'crash' | 'hang' | 'leave'
export const SCENARIOS: readonly ScenarioName[] = ['crash', 'hang', 'leave']

/** The metric whose expiry counts as detecting a silent peer. */
export const HEARTBEAT_METRIC = 'ping'

export interface SwarmMember {
  index: number
  peer: string
}

export interface ScenarioRecord {
  scenario: ScenarioName
  victim: SwarmMember
  survivors: SwarmMember[]
  /** Epoch ms when the signal was sent to the victim. */
  actionAt: number
  /** Epoch ms from which alerts count (after the settle period). */
  countFrom: number
  /** Events of the swarm, in any order; only survivors' events from `countFrom` on are read. */
  events: NodeEvent[]
  /** Survivors that exited during the run: index → how (e.g. `signal SIGSEGV`). */
  exitedSurvivors?: Map<number, string>
}

export type Detection = 'alert' | 'left'

export interface SurvivorResult {
  node: number
  peer: string
  /** How the survivor noticed the victim, or null if it did not. */
  detected: Detection | null
  /** The alert's lagMs: from the metric's expiry to the alert. */
  lagMs: number | null
  /** From the action to the detecting event. */
  detectMs: number | null
  /** hang: whether it reported `recovered` for the victim after alerting; null in other scenarios. */
  recovered: boolean | null
  /** hang: how long the victim was in alert (the `recovered` event's downMs). */
  downMs: number | null
  falseAlerts: number
  /** Why the survivor failed, one phrase each; empty when ok. */
  problems: string[]
  ok: boolean
}

export interface Spread {
  p50: number
  p99: number
  max: number
}

export interface ScenarioResult {
  scenario: ScenarioName
  victim: SwarmMember
  survivors: SurvivorResult[]
  /** Survivors that detected the victim the expected way. */
  detected: number
  /** lagMs over the detecting alerts (crash, hang). */
  lag: Spread | null
  /** Action → detection over the detecting events. */
  detection: Spread | null
  falseAlerts: number
  pass: boolean
}

export function assessScenario (record: ScenarioRecord): ScenarioResult {
  const survivors = record.survivors.map((member) => assessSurvivor(record, member))
  const lags = survivors.flatMap((s) => s.lagMs === null ? [] : [s.lagMs])
  const detections = survivors.flatMap((s) => s.detectMs === null ? [] : [s.detectMs])
  return {
    scenario: record.scenario,
    victim: record.victim,
    survivors,
    detected: survivors.filter((s) => s.detected !== null).length,
    lag: spread(lags),
    detection: spread(detections),
    falseAlerts: survivors.reduce((sum, s) => sum + s.falseAlerts, 0),
    pass: survivors.length > 0 && survivors.every((s) => s.ok)
  }
}

function assessSurvivor (record: ScenarioRecord, member: SwarmMember): SurvivorResult {
  const { scenario, victim, actionAt, countFrom } = record
  const events = record.events
    .filter((e) => e.node === member.index && e.at >= countFrom)
    .sort((a, b) => a.at - b.at || a.receivedAt - b.receivedAt)
  const aboutVictim = (e: NodeEvent): boolean => e.event.peer === victim.peer && e.at >= actionAt
  const problems: string[] = []

  let detection: NodeEvent | undefined
  let recovery: NodeEvent | undefined
  if (scenario === 'leave') {
    detection = events.find((e) => e.event.event === 'left' && aboutVictim(e))
  } else {
    detection = events.find((e) => e.event.event === 'alert' && e.event.metric === HEARTBEAT_METRIC && aboutVictim(e))
    if (scenario === 'hang' && detection !== undefined) {
      const after = detection.at
      recovery = events.find((e) => e.event.event === 'recovered' && e.event.metric === HEARTBEAT_METRIC &&
        e.event.peer === victim.peer && e.at >= after && e !== detection)
    }
    if (events.some((e) => e.event.event === 'left' && aboutVictim(e))) {
      problems.push(`reported left for a ${scenario === 'crash' ? 'crashed' : 'hung'} peer`)
    }
  }

  const falseAlerts = events.filter((e) => {
    if (e.event.event !== 'alert') return false
    if (scenario === 'leave') return true
    if (e === detection) return false
    if (e.event.peer !== victim.peer || e.at < actionAt) return true
    // After the victim recovered, a new alert on it is a flap.
    return recovery !== undefined && e.at > recovery.at
  }).length

  if (detection === undefined) problems.unshift(scenario === 'leave' ? 'no left event for the victim' : 'no ping alert for the victim')
  if (scenario === 'hang' && detection !== undefined && recovery === undefined) problems.push('no recovered event for the victim')
  if (falseAlerts > 0) problems.push(`${falseAlerts} false alert${falseAlerts === 1 ? '' : 's'}`)
  const exited = record.exitedSurvivors?.get(member.index)
  if (exited !== undefined) problems.push(`exited during the run (${exited})`)

  return {
    node: member.index,
    peer: member.peer,
    detected: detection === undefined ? null : scenario === 'leave' ? 'left' : 'alert',
    lagMs: detection?.event.event === 'alert' ? detection.event.lagMs ?? null : null,
    detectMs: detection === undefined ? null : detection.at - actionAt,
    recovered: scenario === 'hang' ? recovery !== undefined : null,
    downMs: recovery === undefined || detection === undefined ? null : recovery.event.downMs ?? recovery.at - detection.at,
    falseAlerts,
    problems,
    ok: problems.length === 0
  }
}

/** Nearest-rank percentile of `values` (p in 0..100); NaN for an empty list. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]
}

export function spread (values: readonly number[]): Spread | null {
  if (values.length === 0) return null
  return { p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values) }
}
