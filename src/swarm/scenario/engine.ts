/**
 * The scenario engine: plays a timeline (a scenario file's, timeline-file.ts,
 * or a built-in one, builtin.ts) on a swarm. It starts the swarm, waits until
 * it is formed and settled (formation.ts), runs each step at its time (signals
 * to nodes, faults on their links), and records every event until the
 * timeline ends, or earlier when the caller's `until` says the run has shown
 * what it had to. Judging the record is the caller's: a file's expectations
 * (expectations.ts, timeline.ts) or a built-in's per-survivor assessment
 * (assessment.ts, builtin.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { describeExit, type NodeEvent } from '../nodes/daemon-child.js'
import { shortPeer, formatMs } from '../terminal-view/format.js'
import type { Swarm } from '../launch/launcher.js'
import { describePacking, formAndSettle } from './formation.js'
import { describeStep, type Timeline, type TimelineStep } from './timeline-plan.js'

/** How often `until` is asked, once every step ran. */
const POLL_MS = 100

export interface TimelineRunOptions {
  /** Start plus formation must finish within this. */
  timeoutMs: number
  signal?: AbortSignal
  /** Progress lines for a person. */
  log?: (line: string) => void
}

/** Where a timeline stands while it plays (epoch ms). */
export interface TimelineProgress {
  /** Every event of every node since the swarm started. */
  events: readonly NodeEvent[]
  /** When the timeline's clock started (the swarm formed and settled). */
  startAt: number
  /** When each step took effect. */
  stepsAt: ReadonlyArray<number | undefined>
  now: number
}

export interface PlayOptions extends TimelineRunOptions {
  /** Asked every 100 ms once every step ran: true ends the timeline before its endMs. */
  until?: (progress: TimelineProgress) => boolean
}

export interface StepReport {
  number: number
  action: TimelineStep['action']
  description: string
  /** When the file says it runs (ms from the timeline's start). */
  plannedMs: number
  /** When it took effect (ms from the timeline's start). */
  atMs: number
}

/** What happened while a timeline played: the record its judge reads. */
export interface TimelinePlay {
  /** From the first spawn until every node had heard from every other. */
  formedMs: number
  startAt: number
  stepsAt: Array<number | undefined>
  steps: StepReport[]
  endAt: number
  /** Whether `until` ended it before its endMs. */
  endedEarly: boolean
  events: NodeEvent[]
}

/**
 * Which nodes a timeline's faults need in a process (and network namespace)
 * of their own, and which groups no process may straddle. SIGSTOP reaches a
 * whole process, and a network fault a whole namespace, i.e. every node of a
 * packed process: so the nodes a step hangs or whose link it degrades (loss,
 * rate, latency) run alone, and a partition's or a split's groups are packed
 * apart (a partition of one node leaves it alone; the nodes of one side may
 * share a namespace, since they keep hearing each other). A packed node is
 * killed, stopped and restarted alone (../packed/packed-process.ts), so kill, leave and restart
 * need nothing; nor does a heal, which acts on what a fault made.
 */
const NEEDS_NO_PROCESS: ReadonlyArray<TimelineStep['action']> = ['heal', 'kill', 'leave', 'restart']

export function faultPlacement (timeline: Pick<Timeline, 'steps'>): { alone: number[], apart: number[][][] } {
  const alone = new Set<number>()
  const apart: number[][][] = []
  for (const step of timeline.steps) {
    if ('groups' in step) apart.push(step.groups.map((group) => [...group]))
    else if ('nodes' in step && !NEEDS_NO_PROCESS.includes(step.action)) for (const node of step.nodes ?? []) alone.add(node)
  }
  return { alone: [...alone].sort((a, b) => a - b), apart }
}

/**
 * Plays `timeline` on `swarm` (not started yet; the caller stops it). Nodes
 * that a step hangs or degrades get a process of their own first, and the
 * groups of a partition or split processes of their own (faultPlacement()).
 * A restart step takes effect (its time is taken) once the node listens again.
 */
export async function playTimeline (swarm: Swarm, timeline: Timeline, options: PlayOptions): Promise<TimelinePlay> {
  const { signal, until } = options
  const log = options.log ?? (() => {})
  const { nodes, intervalMs, ttlMs, settleMs } = timeline.swarm
  if (swarm.options.nodes !== nodes) throw new Error(`the swarm has ${swarm.options.nodes} nodes, the timeline ${nodes}`)
  const placement = faultPlacement(timeline)
  for (const index of placement.alone) swarm.keepAlone(index)
  for (const groups of placement.apart) swarm.keepApart(groups)
  const events: NodeEvent[] = []
  const unsubscribe = swarm.onEvent((event) => { events.push(event) })
  try {
    log(`${timeline.name}: starting ${nodes} nodes (seed ${swarm.seed}, interval ${formatMs(intervalMs)}, ttl ${formatMs(ttlMs)}, ${timeline.swarm.netns ? 'network namespaces, ' : ''}${describePacking(swarm)})`)
    const formedMs = await formAndSettle(swarm, { timeoutMs: options.timeoutMs, settleMs, signal, log, before: 'the timeline' })

    const startAt = Date.now()
    const stepsAt: Array<number | undefined> = []
    const steps: StepReport[] = []
    for (const step of timeline.steps) {
      const wait = startAt + step.atMs - Date.now()
      if (wait > 0) await sleep(wait, undefined, { signal })
      const target = signalTarget(swarm, step)
      await runStep(swarm, step)
      const at = Date.now()
      stepsAt.push(at)
      steps.push({ number: step.number, action: step.action, description: describeStep(step), plannedMs: step.atMs, atMs: at - startAt })
      log(`+${formatMs(at - startAt)} step ${step.number}: ${describeStep(step)}${target}`)
    }
    const endBy = startAt + timeline.endMs
    let endedEarly = false
    while (true) {
      const now = Date.now()
      if (until?.({ events, startAt, stepsAt, now }) === true && now < endBy) {
        endedEarly = true
        break
      }
      const rest = endBy - now
      if (rest <= 0) break
      await sleep(until === undefined ? rest : Math.min(POLL_MS, rest), undefined, { signal })
    }
    const endAt = Date.now()
    log(`+${formatMs(endAt - startAt)} end of the timeline`)
    return { formedMs, startAt, stepsAt, steps, endAt, endedEarly, events }
  } finally {
    unsubscribe()
  }
}

/** For the log: the peer and pid a signal step reaches, when it reaches one node. */
function signalTarget (swarm: Swarm, step: TimelineStep): string {
  if (!('nodes' in step) || step.nodes?.length !== 1 || !['kill', 'hang', 'resume', 'leave'].includes(step.action)) return ''
  const node = swarm.node(step.nodes[0])
  return ` (${shortPeer(node.peer)}, pid ${node.pid ?? '?'})`
}

async function runStep (swarm: Swarm, step: TimelineStep): Promise<void> {
  const send = (nodes: number[], sig: NodeJS.Signals): void => {
    for (const index of nodes) {
      if (!swarm.node(index).signal(sig)) throw new Error(`step ${step.number} (${describeStep(step)}): could not send ${sig} to node ${index} (${describeExit(swarm.node(index).exit)})`)
    }
  }
  const lan = (): NonNullable<Swarm['lan']> => {
    if (swarm.lan === undefined) throw new Error(`step ${step.number} (${describeStep(step)}): the swarm has no network namespaces`)
    return swarm.lan
  }
  switch (step.action) {
    case 'kill': send(step.nodes, 'SIGKILL'); break
    case 'hang': send(step.nodes, 'SIGSTOP'); break
    case 'resume': send(step.nodes, 'SIGCONT'); break
    case 'leave': send(step.nodes, 'SIGTERM'); break
    case 'restart':
      await Promise.all(step.nodes.map(async (index) => {
        try {
          await swarm.restart(index)
        } catch (err) {
          throw new Error(`step ${step.number} (${describeStep(step)}): ${err instanceof Error ? err.message : String(err)}`)
        }
      }))
      break
    case 'partition': case 'split': await lan().partition(swarm.hostGroups(step.groups)); break
    case 'loss': { const l = lan(); await Promise.all(aloneHosts(swarm, step).map(async (h) => { await l.loss(h, step.percent, step.direction) })); break }
    case 'rate': { const l = lan(); await Promise.all(aloneHosts(swarm, step).map(async (h) => { await l.rate(h, step.kbit) })); break }
    case 'latency': {
      lan()
      if (swarm.latency === undefined) throw new Error(`step ${step.number} (${describeStep(step)}): the swarm relays no node's connections (Swarm option latencyNodes)`)
      for (const n of step.nodes) swarm.latency.setDelay(n, { delayMs: step.delayMs, jitterMs: step.jitterMs })
      break
    }
    case 'heal': {
      const l = lan()
      if (step.nodes === undefined) {
        swarm.latency?.heal()
        await l.heal()
      } else {
        for (const n of step.nodes) swarm.latency?.heal(n)
        await Promise.all([...new Set(step.nodes.map((n) => swarm.hostOf(n).index))].map(async (h) => { await l.heal(h) }))
      }
      break
    }
    case 'stop': break
  }
}

/** The namespaces of a step's nodes, each of which must hold its node alone (playTimeline keeps them so). */
function aloneHosts (swarm: Swarm, step: TimelineStep & { nodes: number[] }): number[] {
  return step.nodes.map((node) => {
    const mates = swarm.processMates(node)
    if (mates.length > 1) throw new Error(`step ${step.number} (${describeStep(step)}): node ${node} shares its process and network namespace with nodes ${mates.filter((m) => m !== node).join(', ')}; the fault would hit them too`)
    return swarm.hostOf(node).index
  })
}

