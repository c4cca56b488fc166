/**
 * Running a scenario file (timeline-file.ts) on a swarm: start it, wait until
 * it is formed and settled, run each step at its time (signals to nodes,
 * faults on their links), keep every event until the timeline ends, and judge
 * the expectations (expectations.ts). `peermon swarm --scenario <file>` is
 * runTimelineCommand() (../scenario-command.ts); tests call runTimeline() with a Swarm of their own.
 */
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError, describeFsError, quote } from '../../config-error.js'
import { formatDuration } from '../../duration.js'
import { describeExit, type NodeEvent } from '../nodes/daemon-child.js'
import { judgeTimeline, type Verdict } from './expectations.js'
import { formatMs } from '../terminal-view/format.js'
import { Swarm } from '../launch/launcher.js'
import { describePacking, formAndSettle, processTable, type ProcessInfo } from './builtin.js'
import { describeStep, parseTimeline, type Timeline, type TimelineStep } from './timeline-file.js'

export interface TimelineRunOptions {
  /** Start plus formation must finish within this. */
  timeoutMs: number
  signal?: AbortSignal
  /** Progress lines for a person. */
  log?: (line: string) => void
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

export interface TimelineReport {
  name: string
  file: string
  seed: number
  nodes: number
  intervalMs: number
  ttlMs: number
  netns: boolean
  /** e.g. "a process per node". */
  packing: string
  /** The swarm's processes (node indices), each with its network namespace and address with netns. */
  processes: ProcessInfo[]
  /** From the first spawn until every node had heard from every other. */
  formedMs: number
  settleMs: number
  /** The timeline's length (ms from its start to its end). */
  endMs: number
  steps: StepReport[]
  verdicts: Verdict[]
  /** Alerts raised during the timeline, all nodes. */
  alerts: number
  garbageLines: number
  /** With a latency step: what the launcher's relay carried (../netns/latency.ts). */
  relay?: { connections: number, bytes: number }
  pass: boolean
}

/** Reads and checks a scenario file (ConfigError: one line naming the file, the step and the field). */
export async function loadTimeline (file: string): Promise<Timeline> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`--scenario: ${quote(file)} is neither crash, hang nor leave, nor a readable scenario file (${describeFsError(err)})`)
  }
  return parseTimeline(text, file)
}

/** The swarm a timeline asks for; `overrides` are the command line's. */
export function timelineSwarm (timeline: Timeline, overrides: { seed?: number, perProcess?: number, onStderr?: (index: number, line: string) => void } = {}): Swarm {
  const { swarm } = timeline
  return new Swarm({
    nodes: swarm.nodes,
    intervalMs: swarm.intervalMs,
    ttlMs: swarm.ttlMs,
    netns: swarm.netns,
    ...(timeline.slowed.length === 0 ? {} : { latencyNodes: timeline.slowed }),
    ...(swarm.degree === undefined ? {} : { degree: swarm.degree }),
    ...(swarm.topology === undefined ? {} : { topology: swarm.topology }),
    ...(swarm.perProcess === undefined || overrides.perProcess !== undefined ? {} : { perProcess: swarm.perProcess }),
    ...(overrides.seed ?? swarm.seed) === undefined ? {} : { seed: overrides.seed ?? swarm.seed },
    ...(overrides.perProcess === undefined ? {} : { perProcess: overrides.perProcess }),
    ...(overrides.onStderr === undefined ? {} : { onStderr: overrides.onStderr })
  })
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
 * Runs `timeline` on `swarm` (not started yet; the caller stops it). Nodes
 * that a step hangs or degrades get a process of their own first, and the
 * groups of a partition or split processes of their own (faultPlacement()).
 * A restart step takes effect (its time is taken) once the node listens again.
 */
export async function runTimeline (swarm: Swarm, timeline: Timeline, options: TimelineRunOptions): Promise<TimelineReport> {
  const { signal } = options
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
      await runStep(swarm, step)
      const at = Date.now()
      stepsAt.push(at)
      steps.push({ number: step.number, action: step.action, description: describeStep(step), plannedMs: step.atMs, atMs: at - startAt })
      log(`+${formatMs(at - startAt)} step ${step.number}: ${describeStep(step)}`)
    }
    const rest = startAt + timeline.endMs - Date.now()
    if (rest > 0) await sleep(rest, undefined, { signal })
    const endAt = Date.now()
    log(`+${formatMs(endAt - startAt)} end of the timeline`)

    const exits = new Map(swarm.nodes.flatMap((child) => child.exit === undefined ? [] : [[child.index, describeExit(child.exit)] as const]))
    const verdicts = judgeTimeline({ timeline, startAt, stepsAt, endAt, peers: swarm.nodes.map((c) => c.peer ?? ''), events, exits })
    return {
      name: timeline.name,
      file: timeline.file,
      seed: swarm.seed,
      nodes,
      intervalMs,
      ttlMs,
      netns: timeline.swarm.netns,
      packing: describePacking(swarm),
      processes: processTable(swarm),
      formedMs: Math.round(formedMs),
      settleMs,
      endMs: endAt - startAt,
      steps,
      verdicts,
      alerts: events.filter((e) => e.event.event === 'alert' && e.at >= startAt && e.at <= endAt).length,
      garbageLines: swarm.nodes.reduce((sum, c) => sum + c.lineStats.garbage, 0),
      ...(swarm.latency === undefined ? {} : { relay: { connections: swarm.latency.relay.stats.connections, bytes: swarm.latency.relay.stats.bytes } }),
      pass: verdicts.every((v) => v.pass)
    }
  } finally {
    unsubscribe()
  }
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

/** The namespaces of a step's nodes, each of which must hold its node alone (runTimeline keeps them so). */
function aloneHosts (swarm: Swarm, step: TimelineStep & { nodes: number[] }): number[] {
  return step.nodes.map((node) => {
    const mates = swarm.processMates(node)
    if (mates.length > 1) throw new Error(`step ${step.number} (${describeStep(step)}): node ${node} shares its process and network namespace with nodes ${mates.filter((m) => m !== node).join(', ')}; the fault would hit them too`)
    return swarm.hostOf(node).index
  })
}

/** The report for a person: the steps as they ran, a verdict per expectation, a summary line. */
export function renderTimelineReport (report: TimelineReport): string[] {
  const lines = [
    `scenario ${quote(report.name)}: ${report.nodes} nodes, interval ${formatDuration(report.intervalMs)}, ttl ${formatDuration(report.ttlMs)}${report.netns ? ', network namespaces' : ''}, seed ${report.seed}; formed in ${formatMs(report.formedMs)}`,
    ...report.steps.map((s) => `  step ${s.number}  +${formatMs(s.atMs)}  ${s.description}`),
    `  end   +${formatMs(report.endMs)}  (${report.alerts} alert${report.alerts === 1 ? '' : 's'} raised)`,
    ...(report.relay === undefined ? [] : [`  relay: ${report.relay.connections} connections, ${(report.relay.bytes / 1e6).toFixed(1)} MB relayed (latency)`]),
    ''
  ]
  for (const v of report.verdicts) {
    lines.push(`${v.pass ? 'PASS' : 'FAIL'}  ${v.number}. ${v.description}: ${v.figure}`)
    if (v.excluded !== undefined) lines.push(`        not judged: ${v.excluded.slice(0, 8).join(', ')}${v.excluded.length > 8 ? ` and ${v.excluded.length - 8} more (--json lists them)` : ''}`)
    for (const failure of v.failures.slice(0, 10)) lines.push(`        ${failure}`)
    if (v.failures.length > 10) lines.push(`        and ${v.failures.length - 10} more`)
  }
  const held = report.verdicts.filter((v) => v.pass).length
  lines.push('', `${held}/${report.verdicts.length} expectations held: ${report.pass ? 'PASS' : 'FAIL'}`)
  return lines
}
