/**
 * A checked scenario plan, as the scenario engine (engine.ts) plays it and the
 * judges read it: the swarm, the steps with their times, the expectations.
 * A scenario file becomes one (timeline-file.ts); a built-in scenario is one
 * built in memory (builtin.ts). And how a step and its nodes read to a person.
 */
import { formatDuration } from '../../duration.js'
import type { LossDirection } from '../netns/link-faults.js'

export const TIMELINE_LIMITS = Object.freeze({ maxNodes: 200, maxSteps: 200, maxExpectations: 100 })

/** Actions on nodes' processes (loopback or netns) and network actions (netns only). */
export const SIGNAL_ACTIONS = ['kill', 'hang', 'resume', 'leave', 'restart'] as const
export const NETWORK_ACTIONS = ['partition', 'split', 'loss', 'rate', 'latency', 'heal'] as const
export const STEP_ACTIONS = [...SIGNAL_ACTIONS, ...NETWORK_ACTIONS, 'stop'] as const
export type StepAction = typeof STEP_ACTIONS[number]
/** Accepted as another word for an action. */
export const ACTION_ALIASES: Readonly<Record<string, StepAction>> = { crash: 'kill' }

export interface TimelineSwarm {
  nodes: number
  intervalMs: number
  ttlMs: number
  netns: boolean
  seed?: number
  degree?: number
  /** `star`: every node bootstraps to node 0 alone; default: the launcher's random graph (../launch/topology.ts). */
  topology?: 'star'
  /** Nodes per process (1: a process per node); default: the launcher's packing. */
  perProcess?: number
  /** Quiet time after formation before the timeline's clock starts (default 2 x ttl). */
  settleMs: number
}

interface StepBase {
  /** 1-based, as the file lists it. */
  number: number
  name?: string
  /** When it runs, from the timeline's start (ms). */
  atMs: number
}
export type TimelineStep = StepBase & (
  /** restart: a node that was killed or left starts again, same identity, address and port. */
  | { action: 'kill' | 'hang' | 'resume' | 'leave' | 'restart', nodes: number[] }
  /** `partition` (nodes cut off from the rest) and `split` both end as groups that cannot reach each other. */
  | { action: 'partition' | 'split', groups: number[][] }
  | { action: 'loss', nodes: number[], percent: number, direction: LossDirection }
  | { action: 'rate', nodes: number[], kbit: number }
  /** What the nodes send is delayed by delayMs ± jitterMs (../netns/latency.ts). */
  | { action: 'latency', nodes: number[], delayMs: number, jitterMs: number }
  /** nodes undefined: every link and the partition. */
  | { action: 'heal', nodes?: number[] }
  | { action: 'stop' }
)

/** A duration that may be written in terms of the swarm's ttl and interval, e.g. `ttl+1s`. */
export interface TimeSpec {
  text: string
  ms: number
}

export type Expectation =
  | { kind: 'alerted', number: number, on: number[], by: number[], byText: string, onText: string, within?: TimeSpec, after: number }
  | { kind: 'recovered', number: number, on: number[], by: number[], byText: string, onText: string, within?: TimeSpec, after: number }
  | { kind: 'noAlerts', number: number, on: number[], by: number[], byText: string, onText: string, from?: number, until?: number }
  | { kind: 'isolated', number: number, nodes: number[], nodesText: string, within?: TimeSpec, after: number }
  | { kind: 'noFalseAlerts', number: number }
  /** Every kill and hang: alerted by every other node up through the window (and that had heard the victim), within `within`. */
  | { kind: 'detected', number: number, within: TimeSpec }
  /** Every restart and resume: the node is heard again, with no alert open, by every node up through the window, and hears them, within `within`. */
  | { kind: 'returned', number: number, within: TimeSpec }
  /** No node of `nodes` reports itself `isolated` during the timeline. */
  | { kind: 'noIsolated', number: number, nodes: number[], nodesText: string }
export const EXPECTATION_KINDS = ['alerted', 'recovered', 'noAlerts', 'isolated', 'noFalseAlerts', 'noIsolated', 'detected', 'returned'] as const

export interface Timeline {
  /** Where it came from, for messages. */
  file: string
  name: string
  swarm: TimelineSwarm
  steps: TimelineStep[]
  /** When the timeline ends and the swarm stops (ms from its start). */
  endMs: number
  /** The file's expectations, then the implicit noFalseAlerts unless the file lists one. */
  expect: Expectation[]
  /** Nodes some step acts on (kill, hang, resume, leave, restart). */
  signalled: number[]
  /** Nodes some latency step slows: their connections are relayed from the start. */
  slowed: number[]
}

/** The time of step `number` (1-based) from the timeline's start. */
export function stepAt (steps: readonly TimelineStep[], number: number): number {
  return steps[number - 1].atMs
}

/** `kill 3`, `split 0-4 | 5-9`, `loss 10% both on 2`, `heal all`: one step for a person. */
export function describeStep (step: TimelineStep): string {
  switch (step.action) {
    case 'kill': case 'hang': case 'resume': case 'leave': case 'restart':
      return `${step.action} ${formatNodes(step.nodes)}`
    case 'partition':
      return `partition ${formatNodes(step.groups[0])} from the rest`
    case 'split':
      return `split ${step.groups.map(formatNodes).join(' | ')}`
    case 'loss':
      return `loss ${step.percent}% ${step.direction} on ${formatNodes(step.nodes)}`
    case 'rate':
      return `rate ${step.kbit} kbit/s on ${formatNodes(step.nodes)}`
    case 'latency':
      return `latency ${formatDuration(step.delayMs)}${step.jitterMs === 0 ? '' : ` ± ${formatDuration(step.jitterMs)}`} on ${formatNodes(step.nodes)}`
    case 'heal':
      return step.nodes === undefined ? 'heal all' : `heal ${formatNodes(step.nodes)}`
    case 'stop':
      return 'stop'
  }
}

/** `3`, `0-4`, `0-4,7`: node indices the way a file writes them. */
export function formatNodes (nodes: readonly number[]): string {
  const sorted = [...new Set(nodes)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return parts.join(',')
}

/** Every node a step acts on (both sides of a partition). */
export function targetsOf (step: TimelineStep): number[] {
  if ('groups' in step) return step.groups.flat()
  if ('nodes' in step) return step.nodes ?? []
  return []
}
