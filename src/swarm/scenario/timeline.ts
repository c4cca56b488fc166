/**
 * Running a scenario file (timeline-file.ts) on a swarm: the scenario engine
 * (engine.ts) plays its timeline, then its expectations are judged
 * (expectations.ts). `peermon swarm --scenario <file>` is
 * runTimelineCommand() (../scenario-command.ts); tests call runTimeline() with a Swarm of their own.
 */
import { readFile } from 'node:fs/promises'
import { ConfigError, describeFsError, quote } from '../../config-error.js'
import { formatDuration } from '../../duration.js'
import { describeExit } from '../nodes/daemon-child.js'
import { judgeTimeline, type Verdict } from './expectations.js'
import { formatMs } from '../terminal-view/format.js'
import { Swarm } from '../launch/launcher.js'
import { playTimeline, type StepReport, type TimelineRunOptions } from './engine.js'
import { describePacking, processTable, type ProcessInfo } from './formation.js'
import { parseTimeline } from './timeline-file.js'
import type { Timeline } from './timeline-plan.js'

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
 * Runs `timeline` on `swarm` (not started yet; the caller stops it) with the
 * scenario engine (engine.ts), and judges the file's expectations.
 */
export async function runTimeline (swarm: Swarm, timeline: Timeline, options: TimelineRunOptions): Promise<TimelineReport> {
  const { nodes, intervalMs, ttlMs, settleMs } = timeline.swarm
  const play = await playTimeline(swarm, timeline, options)
  const { startAt, stepsAt, endAt, events } = play
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
    formedMs: Math.round(play.formedMs),
    settleMs,
    endMs: endAt - startAt,
    steps: play.steps,
    verdicts,
    alerts: events.filter((e) => e.event.event === 'alert' && e.at >= startAt && e.at <= endAt).length,
    garbageLines: swarm.nodes.reduce((sum, c) => sum + c.lineStats.garbage, 0),
    ...(swarm.latency === undefined ? {} : { relay: { connections: swarm.latency.relay.stats.connections, bytes: swarm.latency.relay.stats.bytes } }),
    pass: verdicts.every((v) => v.pass)
  }
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
