/**
 * Running a chaos scenario on a swarm: start it, wait until it is formed and
 * settled, act on a victim (crash, hang, leave), record what every survivor
 * reports until all expected events arrived or a deadline passed, and judge
 * it with assessScenario().
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { assessScenario, type ScenarioName, type ScenarioResult, type SwarmMember } from './assessment.js'
import { describeExit, type NodeEvent } from '../nodes/daemon-child.js'
import { formatMs, shortPeer } from '../terminal-view/format.js'
import type { Swarm } from '../launch/launcher.js'
import { seededRandom } from '../launch/random.js'
import { adjacencyOf, removableNodes } from '../launch/topology.js'

/** How often the runner re-checks progress while waiting for events. */
const POLL_MS = 100

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

/** One process of a swarm, for results: its nodes and, with network namespaces, the namespace they share. */
export interface ProcessInfo {
  nodes: number[]
  /** e.g. `pm-4242-1` (netns only). */
  namespace?: string
  /** The namespace's address on the LAN, every node of the process on a port of its own (netns only). */
  address?: string
}

export async function runScenario (swarm: Swarm, options: ScenarioOptions): Promise<ScenarioReport> {
  const { scenario, signal } = options
  const { intervalMs, ttlMs, nodes } = swarm.options
  const log = options.log ?? (() => {})
  const settleMs = Math.max(options.settleMs ?? 0, 2 * ttlMs)
  const hangForMs = options.hangForMs ?? 2 * ttlMs + 2000

  // The victim is known from the plan before the start, so it gets a process of its own: its signal hits it alone.
  const victimIndex = scenarioVictim(swarm)
  swarm.keepAlone(victimIndex)
  const events: NodeEvent[] = []
  const unsubscribe = swarm.onEvent((event) => { events.push(event) })
  try {
    log(`starting ${nodes} nodes (seed ${swarm.seed}, interval ${formatMs(intervalMs)}, ttl ${formatMs(ttlMs)}, ${describePacking(swarm)})`)
    const formedMs = await formAndSettle(swarm, { timeoutMs: options.timeoutMs, settleMs, signal, log, before: 'the scenario' })
    const countFrom = Date.now()

    const member = (index: number): SwarmMember => ({ index, peer: swarm.node(index).peer as string })
    const victim = member(victimIndex)
    const survivors = swarm.nodes.map((child) => child.index).filter((i) => i !== victimIndex).map(member)
    const child = swarm.node(victimIndex)

    const actionAt = Date.now()
    const action = { crash: 'SIGKILL', hang: 'SIGSTOP', leave: 'SIGTERM' } as const
    if (!child.signal(action[scenario])) throw new Error(`could not send ${action[scenario]} to node ${victimIndex}`)
    log(`${scenario}: ${action[scenario]} node ${victimIndex} (${shortPeer(victim.peer)}, pid ${child.pid ?? '?'})`)

    const margin = Math.max(5000, 2 * ttlMs) + intervalMs
    const deadline = actionAt + ttlMs + margin + (scenario === 'hang' ? hangForMs + Math.max(5000, ttlMs) : 0)
    // Keep watching a little past the victim's expiry, so alerts that fire at expiry are seen.
    const watchUntil = actionAt + ttlMs + intervalMs + 1000
    let resumedAt: number | undefined
    let timedOut = false

    const record = (): Parameters<typeof assessScenario>[0] => ({
      scenario,
      victim,
      survivors,
      actionAt,
      countFrom,
      events,
      exitedSurvivors: new Map(survivors.flatMap(({ index }) => {
        const exit = swarm.node(index).exit
        return exit === undefined ? [] : [[index, describeExit(exit)]]
      }))
    })

    while (true) {
      const now = Date.now()
      if (scenario === 'hang' && resumedAt === undefined && now >= actionAt + hangForMs) {
        child.resume()
        resumedAt = now
        log(`hang: SIGCONT node ${victimIndex} after ${formatMs(now - actionAt)}`)
      }
      const current = assessScenario(record())
      const complete = current.survivors.every((s) => s.detected !== null && s.recovered !== false)
      const settled = now >= watchUntil && (scenario !== 'hang' || (resumedAt !== undefined && now >= resumedAt + intervalMs + 1000))
      if (complete && settled) break
      if (now >= deadline) {
        timedOut = true
        break
      }
      await sleep(POLL_MS, undefined, { signal })
    }

    const victimExit = scenario === 'hang' ? undefined : await exitOf(swarm, victimIndex, 3500)
    const result = assessScenario(record())
    log(`${timedOut ? 'deadline reached' : 'all expected events arrived'} after ${formatMs(Date.now() - actionAt)}`)
    return {
      ...result,
      seed: swarm.seed,
      nodes,
      intervalMs,
      ttlMs,
      formedMs: Math.round(formedMs),
      settleMs,
      ...(scenario === 'hang' ? { hangForMs } : {}),
      ...(victimExit === undefined ? {} : { victimExit }),
      timedOut,
      garbageLines: swarm.nodes.reduce((sum, c) => sum + c.lineStats.garbage, 0),
      processes: processTable(swarm)
    }
  } finally {
    unsubscribe()
  }
}

/** The node a scenario acts on: one whose loss leaves the others connected, never node 0; chosen by the swarm's seed. */
export function scenarioVictim (swarm: Pick<Swarm, 'plan' | 'seed'>): number {
  const candidates = removableNodes(adjacencyOf(swarm.plan)).filter((i) => i !== 0)
  return seededRandom(swarm.seed ^ 0x5eed).pick(candidates)
}

/** e.g. "a process per node" or "96 nodes in 8 processes of up to 13, 4 alone". */
export function describePacking (swarm: Pick<Swarm, 'processGroups'>): string {
  const groups = swarm.processGroups
  const packs = groups.filter((g) => g.length > 1)
  if (packs.length === 0) return 'a process per node'
  const packed = packs.reduce((sum, g) => sum + g.length, 0)
  const alone = groups.length - packs.length
  return `${packed} nodes in ${packs.length} processes of up to ${Math.max(...packs.map((g) => g.length))}${alone > 0 ? `, ${alone} alone` : ''}`
}

/** The swarm's processes in order of their first node, with their namespaces once a netns swarm started. */
export function processTable (swarm: Pick<Swarm, 'processGroups' | 'processMates' | 'lan' | 'hostOf'>): ProcessInfo[] {
  const seen = new Set<number>()
  const groups: number[][] = []
  for (const first of swarm.processGroups.flat().sort((a, b) => a - b)) {
    if (seen.has(first)) continue
    const nodes = swarm.processMates(first)
    for (const node of nodes) seen.add(node)
    groups.push(nodes)
  }
  return groups.map((nodes) => {
    if (swarm.lan === undefined) return { nodes }
    const host = swarm.hostOf(nodes[0])
    return { nodes, namespace: host.namespace, address: host.address }
  })
}

/**
 * With network namespaces, which nodes share a process and so a namespace (a
 * network fault on one is on all), for the log; undefined on loopback or when
 * every node runs alone.
 */
export function describeProcesses (swarm: Pick<Swarm, 'processGroups' | 'processMates' | 'lan' | 'hostOf'>): string | undefined {
  const table = processTable(swarm)
  if (swarm.lan === undefined || table.every((p) => p.nodes.length === 1)) return undefined
  return `processes, one network namespace and address each (a network fault acts on a whole process): ${table.map((p) => p.nodes.join(',')).join(' | ')}`
}

/** Starts the swarm and waits until it is formed, all within `timeoutMs`. */
export async function startAndForm (swarm: Swarm, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const startedAt = performance.now()
  const timeout = AbortSignal.timeout(timeoutMs)
  try {
    await swarm.start(signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
  } catch (err) {
    if (timeout.aborted && signal?.aborted !== true) {
      const listening = swarm.nodes.filter((c) => c.peer !== undefined).length
      throw new Error(`the swarm did not start within ${formatMs(timeoutMs)} (--timeout): ${listening}/${swarm.options.nodes} nodes listening`)
    }
    throw err
  }
  const remaining = Math.max(1, timeoutMs - (performance.now() - startedAt))
  try {
    await swarm.waitFormed(remaining, signal)
  } catch (err) {
    if (signal?.aborted === true) throw err
    throw new Error(`the swarm did not form within ${formatMs(timeoutMs)} (--timeout): ${swarm.formationGaps()}`)
  }
}

/**
 * Starts `swarm`, waits until it is formed (startAndForm), logs which nodes
 * share a process, and lets it settle for `settleMs`; throws if a node exited
 * meanwhile, naming what it exited `before`. Resolves with the formation time (ms).
 */
export async function formAndSettle (swarm: Swarm, o: { timeoutMs: number, settleMs: number, signal?: AbortSignal, log: (line: string) => void, before: string }): Promise<number> {
  const startedAt = performance.now()
  await startAndForm(swarm, o.timeoutMs, o.signal)
  const formedMs = performance.now() - startedAt
  const processes = describeProcesses(swarm)
  if (processes !== undefined) o.log(processes)
  o.log(`swarm formed in ${formatMs(formedMs)}; settling for ${formatMs(o.settleMs)}`)
  await sleep(o.settleMs, undefined, { signal: o.signal })
  const gone = swarm.nodes.find((child) => child.exit !== undefined)
  if (gone !== undefined) throw new Error(`node ${gone.index} exited before ${o.before} (${describeExit(gone.exit)})${gone.stderrSummary()}`)
  return formedMs
}

async function exitOf (swarm: Swarm, index: number, waitMs: number): Promise<string | undefined> {
  const child = swarm.node(index)
  const timer = new AbortController()
  await Promise.race([child.exited, sleep(waitMs, undefined, { signal: timer.signal }).catch(() => {})])
  timer.abort()
  return child.exit === undefined ? `still running ${formatMs(waitMs)} after the signal` : describeExit(child.exit)
}
