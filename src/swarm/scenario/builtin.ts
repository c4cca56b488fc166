/**
 * The built-in scenarios, `peermon swarm --scenario crash|hang|leave`: each is
 * a timeline of one victim (a node whose loss leaves the others connected,
 * never node 0, chosen by the swarm's seed), built in memory and played by the
 * scenario engine (engine.ts) like a scenario file; it ends as soon as every
 * survivor showed what it had to, and is judged per survivor (assessment.ts).
 *
 * As a file would write it, `crash` on a 5-node swarm whose victim is node 2:
 *
 * ```json
 * { "swarm": { "nodes": 5, "interval": "1s", "ttl": "3s" },
 *   "steps": [{ "at": "0s", "kill": 2 }] }
 * ```
 *
 * `hang` is `hang` then `resume` after `hangForMs`; `leave` is `leave`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { assessScenario, type ScenarioName, type ScenarioRecord, type ScenarioResult, type SwarmMember } from './assessment.js'
import { describeExit } from '../nodes/daemon-child.js'
import { formatMs } from '../terminal-view/format.js'
import type { Swarm } from '../launch/launcher.js'
import { seededRandom } from '../launch/random.js'
import { adjacencyOf, removableNodes } from '../launch/topology.js'
import { playTimeline, type TimelineProgress } from './engine.js'
import { processTable, type ProcessInfo } from './formation.js'
import type { Timeline, TimelineStep } from './timeline-plan.js'

export interface ScenarioOptions {
  scenario: ScenarioName
  /** Start plus formation (every node heard from every other) must finish within this. */
  timeoutMs: number
  /** Quiet time after formation before false alerts count (default and minimum 2 x ttl). */
  settleMs?: number
  /** hang: how long the victim stays stopped (default 2 x ttl + 2 s). */
  hangForMs?: number
  signal?: AbortSignal
  /** Progress lines for a person. */
  log?: (line: string) => void
}

/** A scenario's result plus how the run went. */
export interface ScenarioReport extends ScenarioResult {
  seed: number
  nodes: number
  intervalMs: number
  ttlMs: number
  /** From the first spawn until every node had heard from all others. */
  formedMs: number
  settleMs: number
  /** hang: how long the victim was stopped. */
  hangForMs?: number
  /** How the victim process ended (crash: signal SIGKILL; leave: exit code 0), if it did. */
  victimExit?: string
  /** Whether the wait ended at the deadline rather than with all expected events. */
  timedOut: boolean
  /** Malformed stdout lines dropped, all nodes together. */
  garbageLines: number
  /** The swarm's processes (node indices), each with its network namespace and address with --netns. */
  processes: ProcessInfo[]
}

/** What a built-in timeline needs to know of its swarm. */
export interface BuiltinSwarm {
  nodes: number
  intervalMs: number
  ttlMs: number
  netns: boolean
  settleMs: number
  victim: number
  /** hang: how long the victim stays stopped. */
  hangForMs: number
}

/**
 * The built-in scenario `scenario` as a timeline. It ends by its deadline at
 * the latest: a margin of max(5 s, 2 TTLs) + an interval past the victim's
 * expiry, and for hang the time stopped plus max(5 s, TTL) more to recover.
 */
export function builtinTimeline (scenario: ScenarioName, swarm: BuiltinSwarm): Timeline {
  const { victim, ttlMs, intervalMs, hangForMs } = swarm
  const nodes = [victim]
  const steps: TimelineStep[] = scenario === 'crash'
    ? [{ number: 1, atMs: 0, action: 'kill', nodes }]
    : scenario === 'leave'
      ? [{ number: 1, atMs: 0, action: 'leave', nodes }]
      : [{ number: 1, atMs: 0, action: 'hang', nodes }, { number: 2, atMs: hangForMs, action: 'resume', nodes }]
  const margin = Math.max(5000, 2 * ttlMs) + intervalMs
  return {
    file: `(built-in ${scenario})`,
    name: scenario,
    swarm: { nodes: swarm.nodes, intervalMs, ttlMs, netns: swarm.netns, settleMs: swarm.settleMs },
    steps,
    endMs: ttlMs + margin + (scenario === 'hang' ? hangForMs + Math.max(5000, ttlMs) : 0),
    expect: [],
    signalled: nodes,
    slowed: []
  }
}

export async function runScenario (swarm: Swarm, options: ScenarioOptions): Promise<ScenarioReport> {
  const { scenario } = options
  const { intervalMs, ttlMs, nodes } = swarm.options
  const log = options.log ?? (() => {})
  const settleMs = Math.max(options.settleMs ?? 0, 2 * ttlMs)
  const hangForMs = options.hangForMs ?? 2 * ttlMs + 2000

  // The victim is known from the plan before the start, so it gets a process of its own: its signal hits it alone.
  const victimIndex = scenarioVictim(swarm)
  swarm.keepAlone(victimIndex)
  const timeline = builtinTimeline(scenario, { nodes, intervalMs, ttlMs, netns: swarm.options.netns === true, settleMs, victim: victimIndex, hangForMs })

  const member = (index: number): SwarmMember => ({ index, peer: swarm.node(index).peer as string })
  const record = (progress: Omit<TimelineProgress, 'now'>): ScenarioRecord => {
    const survivors = swarm.nodes.map((child) => child.index).filter((i) => i !== victimIndex).map(member)
    return {
      scenario,
      victim: member(victimIndex),
      survivors,
      actionAt: progress.stepsAt[0] ?? progress.startAt,
      countFrom: progress.startAt,
      events: [...progress.events],
      exitedSurvivors: new Map(survivors.flatMap(({ index }) => {
        const exit = swarm.node(index).exit
        return exit === undefined ? [] : [[index, describeExit(exit)]]
      }))
    }
  }
  // Done when every survivor detected the victim (and, for hang, saw it recover), a little past the
  // victim's expiry (alerts that fire at expiry are seen) and, for hang, past its resumption.
  const until = (progress: TimelineProgress): boolean => {
    const actionAt = progress.stepsAt[0] ?? progress.startAt
    const resumedAt = progress.stepsAt[1]
    const settled = progress.now >= actionAt + ttlMs + intervalMs + 1000 &&
      (scenario !== 'hang' || (resumedAt !== undefined && progress.now >= resumedAt + intervalMs + 1000))
    return settled && assessScenario(record(progress)).survivors.every((s) => s.detected !== null && s.recovered !== false)
  }

  const play = await playTimeline(swarm, timeline, { timeoutMs: options.timeoutMs, signal: options.signal, log, until })
  const victimExit = scenario === 'hang' ? undefined : await exitOf(swarm, victimIndex, 3500)
  const result = assessScenario(record(play))
  const timedOut = !play.endedEarly
  log(`${timedOut ? 'deadline reached' : 'all expected events arrived'} after ${formatMs(play.endAt - (play.stepsAt[0] ?? play.startAt))}`)
  return {
    ...result,
    seed: swarm.seed,
    nodes,
    intervalMs,
    ttlMs,
    formedMs: Math.round(play.formedMs),
    settleMs,
    ...(scenario === 'hang' ? { hangForMs } : {}),
    ...(victimExit === undefined ? {} : { victimExit }),
    timedOut,
    garbageLines: swarm.nodes.reduce((sum, c) => sum + c.lineStats.garbage, 0),
    processes: processTable(swarm)
  }
}

/** The node a scenario acts on: one whose loss leaves the others connected, never node 0; chosen by the swarm's seed. */
export function scenarioVictim (swarm: Pick<Swarm, 'plan' | 'seed'>): number {
  const candidates = removableNodes(adjacencyOf(swarm.plan)).filter((i) => i !== 0)
  return seededRandom(swarm.seed ^ 0x5eed).pick(candidates)
}

async function exitOf (swarm: Swarm, index: number, waitMs: number): Promise<string | undefined> {
  const child = swarm.node(index)
  const timer = new AbortController()
  await Promise.race([child.exited, sleep(waitMs, undefined, { signal: timer.signal }).catch(() => {})])
  timer.abort()
  return child.exit === undefined ? `still running ${formatMs(waitMs)} after the signal` : describeExit(child.exit)
}
