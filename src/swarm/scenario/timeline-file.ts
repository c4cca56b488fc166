/**
 * Scenario files: a swarm, a timeline of faults and what the swarm must show
 * (JSON). Pure: parseTimeline() reads the text and returns a checked plan, or
 * throws a ConfigError of one line naming the file, the step or expectation,
 * and the field.
 *
 * ```json
 * {
 *   "name": "one of 10 partitioned",
 *   "swarm": { "nodes": 10, "interval": "1s", "ttl": "3s", "netns": true, "seed": 1 },
 *   "steps": [
 *     { "at": "5s", "partition": 3 },
 *     { "after": "15s", "heal": "all" }
 *   ],
 *   "expect": [
 *     { "alerted": { "on": 3, "by": "others", "within": "ttl+1s" } },
 *     { "recovered": { "by": "all", "within": "10s", "after": "heal" } }
 *   ]
 * }
 * ```
 *
 * Times: `at` counts from the moment the swarm formed and settled (every node
 * heard from every other, then 2 TTLs of quiet), `after` from the previous
 * step. Nodes: `3`, `"0-4"`, `"0-4,7"`, `[0, "5-9"]`, `"all"`; `by` also takes
 * `"others"` (every node not in `on`).
 */
import { ConfigError, quote } from '../../config-error.js'
import { DEFAULT_INTERVAL_MS, defaultTtlMs } from '../../constants.js'
import { DAEMON_LIMITS } from '../../daemon/options.js'
import { formatDuration, parseDuration } from '../../duration.js'
import { churnSteps, parseChurn } from './churn.js'
import { LOSS_DIRECTIONS, type LossDirection } from '../netns/link-faults.js'

export const TIMELINE_LIMITS = Object.freeze({ maxNodes: 200, maxSteps: 200, maxExpectations: 100 })

/** Actions on nodes' processes (loopback or netns) and network actions (netns only). */
export const SIGNAL_ACTIONS = ['kill', 'hang', 'resume', 'leave', 'restart'] as const
export const NETWORK_ACTIONS = ['partition', 'split', 'loss', 'rate', 'latency', 'heal'] as const
export const STEP_ACTIONS = [...SIGNAL_ACTIONS, ...NETWORK_ACTIONS, 'stop'] as const
export type StepAction = typeof STEP_ACTIONS[number]
/** Accepted as another word for an action. */
const ACTION_ALIASES: Readonly<Record<string, StepAction>> = { crash: 'kill' }

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

/** Parses and checks a scenario file's text; `file` names it in messages. */
export function parseTimeline (text: string, file: string): Timeline {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  const at = (where: string) => (message: string) => new ConfigError(`${file}: ${where}${message}`)
  const top = object(data, at(''), 'the file')
  onlyKeys(top, ['name', 'description', 'swarm', 'churn', 'steps', 'expect'], at(''))
  const name = top.name === undefined ? file : string(top.name, at('name: '))
  const swarm = parseSwarm(top.swarm, at('swarm: '))
  // A churn block is written out as steps first (churn.ts); the file's own steps follow it.
  const churned = top.churn === undefined ? [] : churnSteps(parseChurn(top.churn, swarm, at('churn: ')))
  const written = top.steps === undefined && churned.length > 0 ? [] : top.steps
  if (!Array.isArray(written) || (written.length === 0 && churned.length === 0)) throw at('steps: ')('expected a list of at least one step')
  const rawSteps = [...churned, ...written]
  if (rawSteps.length > TIMELINE_LIMITS.maxSteps) throw at('steps: ')(`at most ${TIMELINE_LIMITS.maxSteps} steps${churned.length > 0 ? `, the churn's ${churned.length} included` : ''}`)

  const steps: TimelineStep[] = []
  const state = new NodeStates(swarm.nodes)
  let previousMs = 0
  for (const [i, raw] of rawSteps.entries()) {
    const step = parseStep(raw, i + 1, swarm, previousMs, state, file)
    previousMs = step.atMs
    steps.push(step)
  }
  const stopStep = steps.find((s) => s.action === 'stop')
  if (stopStep !== undefined && stopStep !== steps.at(-1)) throw new ConfigError(`${file}: step ${stopStep.number} (stop): stop must be the last step`)

  const rawExpect = top.expect === undefined ? [] : top.expect
  if (!Array.isArray(rawExpect)) throw at('expect: ')('expected a list of expectations')
  if (rawExpect.length > TIMELINE_LIMITS.maxExpectations) throw at('expect: ')(`at most ${TIMELINE_LIMITS.maxExpectations} expectations`)
  const expect = rawExpect.map((raw, i) => parseExpectation(raw, i + 1, swarm, steps, file))
  if (!expect.some((e) => e.kind === 'noFalseAlerts')) expect.push({ kind: 'noFalseAlerts', number: expect.length + 1 })

  const lastMs = steps.at(-1)?.atMs ?? 0
  const windows = expect.flatMap((e) => (e.kind === 'alerted' || e.kind === 'recovered') && e.within !== undefined
    ? [stepAt(steps, e.after) + e.within.ms + 1000]
    : e.kind === 'detected' || e.kind === 'returned' ? [lastMs + e.within.ms + 1000] : [])
  const endMs = stopStep?.atMs ?? Math.max(lastMs + Math.max(10_000, 2 * swarm.ttlMs + 2 * swarm.intervalMs), ...windows)
  const signalled = [...new Set(steps.flatMap((s) => (SIGNAL_ACTIONS as readonly string[]).includes(s.action) && 'nodes' in s ? s.nodes ?? [] : []))].sort((a, b) => a - b)
  const slowed = [...new Set(steps.flatMap((s) => s.action === 'latency' ? s.nodes : []))].sort((a, b) => a - b)
  return { file, name, swarm, steps, endMs, expect, signalled, slowed }
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

/**
 * Node indices from `3`, `"3"`, `"0-4"`, `"0-4,7"`, `[0, "5-9"]` or `"all"`,
 * each within 0..nodes-1; throws a message naming what is wrong.
 */
export function parseNodes (value: unknown, nodes: number): number[] {
  const out = new Set<number>()
  const add = (part: unknown): void => {
    if (typeof part === 'number') {
      if (!Number.isInteger(part)) throw new RangeError(`expected node indices, got ${part}`)
      if (part < 0 || part >= nodes) throw new RangeError(`node ${part} is out of range (the swarm has ${nodes} nodes: 0-${nodes - 1})`)
      out.add(part)
      return
    }
    if (typeof part !== 'string') throw new RangeError(`expected node indices like 3, "0-4" or [0, "5-9"], got ${JSON.stringify(part)}`)
    if (part.trim() === 'all') {
      for (let i = 0; i < nodes; i++) out.add(i)
      return
    }
    for (const piece of part.split(',')) {
      const match = /^\s*(\d{1,4})\s*(?:-\s*(\d{1,4})\s*)?$/.exec(piece)
      if (match === null) throw new RangeError(`expected node indices like 3, "0-4" or "0-4,7", got ${quote(part)}`)
      const from = Number(match[1])
      const to = match[2] === undefined ? from : Number(match[2])
      if (to < from) throw new RangeError(`range ${quote(piece.trim())} goes backwards`)
      for (let i = from; i <= to; i++) add(i)
    }
  }
  if (Array.isArray(value)) {
    for (const part of value) add(part)
  } else {
    add(value)
  }
  if (out.size === 0) throw new RangeError('expected at least one node')
  return [...out].sort((a, b) => a - b)
}

/**
 * A duration written as a sum of parts: `10s`, `ttl`, `interval`, `2*ttl`,
 * `ttl+1s`, `2*interval+500ms`.
 */
export function parseTimeSpec (text: unknown, swarm: Pick<TimelineSwarm, 'ttlMs' | 'intervalMs'>): TimeSpec {
  if (typeof text !== 'string') throw new RangeError(`expected a duration like "10s" or "ttl+1s", got ${JSON.stringify(text)}`)
  let ms = 0
  for (const term of text.split('+')) {
    const match = /^\s*(?:(\d+(?:\.\d+)?)\s*\*\s*)?(ttl|interval)\s*$/.exec(term)
    if (match !== null) {
      ms += Number(match[1] ?? 1) * (match[2] === 'ttl' ? swarm.ttlMs : swarm.intervalMs)
      continue
    }
    try {
      ms += parseDuration(term.trim())
    } catch {
      throw new RangeError(`expected a duration like "10s", "ttl+1s" or "2*interval", got ${quote(text)}`)
    }
  }
  return { text, ms: Math.round(ms) }
}

function parseSwarm (value: unknown, fail: (message: string) => ConfigError): TimelineSwarm {
  const swarm = object(value, fail, 'the swarm settings')
  onlyKeys(swarm, ['nodes', 'interval', 'ttl', 'netns', 'seed', 'degree', 'topology', 'perProcess', 'settle'], (m) => fail(m))
  const field = (key: string) => (message: string) => fail(`${key}: ${message}`)
  if (swarm.nodes === undefined) throw field('nodes')('required, the number of daemons, e.g. 10')
  const nodes = wholeNumber(swarm.nodes, 2, TIMELINE_LIMITS.maxNodes, field('nodes'))
  const intervalMs = swarm.interval === undefined ? DEFAULT_INTERVAL_MS : duration(swarm.interval, field('interval'), DAEMON_LIMITS.minIntervalMs, DAEMON_LIMITS.maxIntervalMs)
  const ttlMs = swarm.ttl === undefined ? defaultTtlMs(intervalMs) : duration(swarm.ttl, field('ttl'), 1, DAEMON_LIMITS.maxTtlMs)
  if (!(ttlMs >= DAEMON_LIMITS.minTtlIntervals * intervalMs)) throw field('ttl')(`must be at least ${DAEMON_LIMITS.minTtlIntervals} times the interval (${formatDuration(intervalMs)}), got ${formatDuration(ttlMs)}`)
  if (swarm.netns !== undefined && typeof swarm.netns !== 'boolean') throw field('netns')(`expected true or false, got ${JSON.stringify(swarm.netns)}`)
  if (swarm.topology !== undefined && swarm.topology !== 'star' && swarm.topology !== 'random') throw field('topology')(`expected "star" (every node bootstraps to node 0) or "random" (the default), got ${JSON.stringify(swarm.topology)}`)
  if (swarm.topology === 'star' && swarm.degree !== undefined) throw field('degree')('a star has degree 1 (every node bootstraps to node 0): drop degree or topology')
  return {
    nodes,
    intervalMs,
    ttlMs,
    netns: swarm.netns === true,
    ...(swarm.seed === undefined ? {} : { seed: wholeNumber(swarm.seed, 0, 2 ** 32 - 1, field('seed')) }),
    ...(swarm.degree === undefined ? {} : { degree: wholeNumber(swarm.degree, 1, 64, field('degree')) }),
    ...(swarm.topology === 'star' ? { topology: 'star' as const } : {}),
    ...(swarm.perProcess === undefined ? {} : { perProcess: wholeNumber(swarm.perProcess, 1, TIMELINE_LIMITS.maxNodes, field('perProcess')) }),
    settleMs: swarm.settle === undefined ? 2 * ttlMs : duration(swarm.settle, field('settle'), 0, 3_600_000)
  }
}

/** What the timeline has done to each node so far, to refuse steps that cannot apply. */
class NodeStates {
  private readonly states: Array<'up' | 'hung' | 'killed' | 'left'>
  constructor (nodes: number) { this.states = Array.from({ length: nodes }, () => 'up') }
  apply (action: StepAction, nodes: number[], fail: (message: string) => ConfigError): void {
    for (const node of nodes) {
      const now = this.states[node]
      if (action === 'restart') {
        if (now !== 'killed' && now !== 'left') throw fail(`node ${node} is ${now === 'hung' ? 'hung (resume it)' : 'running'}: only a killed or gone (leave) node restarts`)
        continue
      }
      if (now === 'killed' || now === 'left') throw fail(`node ${node} was already ${now === 'killed' ? 'killed' : 'gone (leave)'} by an earlier step${action === 'kill' || action === 'leave' || action === 'hang' ? ' (restart it first)' : ''}`)
      if (action === 'resume' && now !== 'hung') throw fail(`node ${node} is not hung, nothing to resume`)
      if (action === 'hang' && now === 'hung') throw fail(`node ${node} is already hung`)
    }
    const next = { kill: 'killed', leave: 'left', hang: 'hung', resume: 'up', restart: 'up' } as const
    for (const node of nodes) this.states[node] = next[action as keyof typeof next]
  }
}

function parseStep (value: unknown, number: number, swarm: TimelineSwarm, previousMs: number, states: NodeStates, file: string): TimelineStep {
  const where = (action?: string): string => `${file}: step ${number}${action === undefined ? '' : ` (${action})`}: `
  const step = object(value, (m) => new ConfigError(`${where()}${m}`), 'a step')
  const actions = Object.keys(step).filter((key) => !['at', 'after', 'name'].includes(key))
  if (actions.length !== 1) {
    throw new ConfigError(`${where()}${actions.length === 0 ? 'no action' : `one action per step, got ${actions.join(', ')}`}; expected one of ${STEP_ACTIONS.join(', ')}`)
  }
  const word = actions[0]
  const action: StepAction | undefined = ACTION_ALIASES[word] ?? ((STEP_ACTIONS as readonly string[]).includes(word) ? word as StepAction : undefined)
  if (action === undefined) throw new ConfigError(`${where()}unknown action ${quote(word)}; expected one of ${STEP_ACTIONS.join(', ')}`)
  const fail = (field?: string) => (message: string) => new ConfigError(`${where(word)}${field === undefined ? '' : `${field}: `}${message}`)

  if (step.at !== undefined && step.after !== undefined) throw fail()('give either at (from the start) or after (from the previous step), not both')
  let atMs: number
  if (step.at !== undefined) {
    atMs = duration(step.at, fail('at'), 0, 24 * 3_600_000)
    if (atMs < previousMs) throw fail('at')(`${formatDuration(atMs)} is before the previous step (at ${formatDuration(previousMs)}); list steps in time order`)
  } else if (step.after !== undefined) {
    atMs = previousMs + duration(step.after, fail('after'), 0, 24 * 3_600_000)
  } else {
    throw fail()('needs a time: "at" (e.g. "10s" from the start) or "after" (e.g. "5s" after the previous step)')
  }
  const name = step.name === undefined ? undefined : string(step.name, fail('name'))
  const base = { number, atMs, ...(name === undefined ? {} : { name }) }
  const arg = step[word]
  const nodesOf = (value: unknown, field = word): number[] => {
    try {
      return parseNodes(value, swarm.nodes)
    } catch (err) {
      throw fail(field)((err as Error).message)
    }
  }
  if ((NETWORK_ACTIONS as readonly string[]).includes(action) && !swarm.netns) {
    throw fail()('a network fault needs "netns": true in the swarm settings (each node in a network namespace of its own; root)')
  }

  switch (action) {
    case 'kill': case 'hang': case 'resume': case 'leave': case 'restart': {
      const nodes = nodesOf(arg)
      states.apply(action, nodes, fail(word))
      return { ...base, action, nodes }
    }
    case 'partition': {
      const nodes = nodesOf(arg)
      const rest = Array.from({ length: swarm.nodes }, (_, i) => i).filter((i) => !nodes.includes(i))
      if (rest.length === 0) throw fail(word)('cuts every node off: leave at least one on the other side')
      return { ...base, action, groups: [nodes, rest] }
    }
    case 'split': {
      const parts = typeof arg === 'string' ? arg.split('|') : arg
      if (!Array.isArray(parts) || parts.length < 2) throw fail(word)('expected two or more groups, e.g. "0-4 | 5-9" or ["0-4", "5-9"]')
      const groups = parts.map((part) => nodesOf(part))
      const seen = new Set<number>()
      for (const node of groups.flat()) {
        if (seen.has(node)) throw fail(word)(`node ${node} is in more than one group`)
        seen.add(node)
      }
      return { ...base, action, groups }
    }
    case 'loss': {
      const spec = object(arg, fail(word), 'the loss, e.g. { "node": 2, "percent": 10 }')
      onlyKeys(spec, ['node', 'percent', 'direction'], fail(word))
      const percent = spec.percent === undefined ? undefined : wholeNumber(spec.percent, 1, 100, fail('loss.percent'))
      if (percent === undefined) throw fail('loss.percent')('required, a whole percent from 1 to 100')
      const direction = spec.direction === undefined ? 'both' : spec.direction
      if (!(LOSS_DIRECTIONS as readonly unknown[]).includes(direction)) throw fail('loss.direction')(`expected one of ${LOSS_DIRECTIONS.join(', ')}, got ${JSON.stringify(direction)}`)
      return { ...base, action, nodes: nodesOf(spec.node, 'loss.node'), percent, direction: direction as LossDirection }
    }
    case 'rate': {
      const spec = object(arg, fail(word), 'the rate, e.g. { "node": 2, "kbit": 64 }')
      onlyKeys(spec, ['node', 'kbit'], fail(word))
      if (spec.kbit === undefined) throw fail('rate.kbit')('required, the link capacity each way in kbit/s (8 or more)')
      return { ...base, action, nodes: nodesOf(spec.node, 'rate.node'), kbit: wholeNumber(spec.kbit, 8, 10_000_000, fail('rate.kbit')) }
    }
    case 'latency': {
      const spec = object(arg, fail(word), 'the latency, e.g. { "node": 2, "delay": "200ms", "jitter": "50ms" }')
      onlyKeys(spec, ['node', 'delay', 'jitter'], fail(word))
      if (spec.delay === undefined) throw fail('latency.delay')('required, the one-way delay of what the node sends, e.g. "200ms"')
      const delayMs = duration(spec.delay, fail('latency.delay'), 1, 60_000)
      const jitterMs = spec.jitter === undefined ? 0 : duration(spec.jitter, fail('latency.jitter'), 0, delayMs)
      return { ...base, action, nodes: nodesOf(spec.node, 'latency.node'), delayMs, jitterMs }
    }
    case 'heal':
      if (arg === true || arg === 'all') return { ...base, action }
      return { ...base, action, nodes: nodesOf(arg) }
    case 'stop':
      if (arg !== true) throw fail(word)('expected true')
      return { ...base, action }
  }
}

function parseExpectation (value: unknown, number: number, swarm: TimelineSwarm, steps: readonly TimelineStep[], file: string): Expectation {
  const where = (kind?: string): string => `${file}: expect ${number}${kind === undefined ? '' : ` (${kind})`}: `
  const outer = object(value, (m) => new ConfigError(`${where()}${m}`), 'an expectation like { "alerted": { "on": 3 } }')
  const keys = Object.keys(outer)
  if (keys.length !== 1 || !(EXPECTATION_KINDS as readonly string[]).includes(keys[0])) {
    throw new ConfigError(`${where()}expected one of ${EXPECTATION_KINDS.join(', ')} as its only key, got ${keys.length === 0 ? 'none' : keys.join(', ')}`)
  }
  const kind = keys[0] as Expectation['kind']
  const fail = (field?: string) => (message: string) => new ConfigError(`${where(kind)}${field === undefined ? '' : `${field}: `}${message}`)
  if (kind === 'noFalseAlerts') {
    if (outer[kind] !== true && !(isObject(outer[kind]) && Object.keys(outer[kind]).length === 0)) throw fail()('expected true')
    return { kind, number }
  }
  const spec = object(outer[kind], fail(), 'its settings')
  if (kind === 'noIsolated') {
    onlyKeys(spec, ['nodes'], fail())
    try {
      return { kind, number, nodes: parseNodes(spec.nodes ?? 'all', swarm.nodes), nodesText: typeof spec.nodes === 'string' ? spec.nodes : spec.nodes === undefined ? 'all' : formatNodesOf(spec.nodes, swarm.nodes) }
    } catch (err) {
      throw fail('nodes')((err as Error).message)
    }
  }
  if (kind === 'detected' || kind === 'returned') {
    onlyKeys(spec, ['within'], fail())
    const acts = kind === 'detected' ? ['kill', 'hang'] : ['restart', 'resume']
    if (!steps.some((s) => acts.includes(s.action))) throw fail()(`no ${acts.join(' or ')} step to judge`)
    if (spec.within === undefined) throw fail('within')(`required, e.g. ${kind === 'detected' ? '"ttl+1.5s"' : '"10s"'}`)
    try {
      return { kind, number, within: parseTimeSpec(spec.within, swarm) }
    } catch (err) {
      throw fail('within')((err as Error).message)
    }
  }
  const allowed = kind === 'noAlerts' ? ['among', 'by', 'on', 'from', 'until'] : kind === 'isolated' ? ['nodes', 'within', 'after'] : ['on', 'by', 'within', 'after']
  onlyKeys(spec, allowed, fail())
  const nodesOf = (field: string, value: unknown): number[] => {
    try {
      return parseNodes(value, swarm.nodes)
    } catch (err) {
      throw fail(field)((err as Error).message)
    }
  }
  const stepRef = (field: string, ref: unknown): number => {
    const found = findStep(steps, ref)
    if (typeof found === 'string') throw fail(field)(found)
    return found
  }
  const all = Array.from({ length: swarm.nodes }, (_, i) => i)

  if (kind === 'noAlerts') {
    if (spec.among !== undefined && (spec.by !== undefined || spec.on !== undefined)) throw fail()('give either among, or by and on')
    const by = nodesOf(spec.among !== undefined ? 'among' : 'by', spec.among ?? spec.by ?? 'all')
    const on = spec.among !== undefined ? by : nodesOf('on', spec.on ?? 'all')
    const text = (v: unknown): string => v === undefined ? 'all' : typeof v === 'string' ? v : formatNodesOf(v, swarm.nodes)
    const from = spec.from === undefined ? undefined : stepRef('from', spec.from)
    const until = spec.until === undefined ? undefined : stepRef('until', spec.until)
    if (from !== undefined && until !== undefined && until < from) throw fail('until')(`step ${until} comes before step ${from} (from)`)
    return {
      kind, number, by, on, byText: text(spec.among ?? spec.by), onText: text(spec.among ?? spec.on),
      ...(from === undefined ? {} : { from }), ...(until === undefined ? {} : { until })
    }
  }

  const withinOf = (): TimeSpec | undefined => {
    if (spec.within === undefined) return undefined
    try {
      return parseTimeSpec(spec.within, swarm)
    } catch (err) {
      throw fail('within')((err as Error).message)
    }
  }
  if (kind === 'isolated') {
    if (spec.nodes === undefined) throw fail('nodes')('required: the node(s) that must report themselves isolated, e.g. 3')
    const nodes = nodesOf('nodes', spec.nodes)
    const first = spec.after !== undefined ? stepRef('after', spec.after) : steps.find((s) => (s.action === 'partition' || s.action === 'split') && targetsOf(s).some((n) => nodes.includes(n)))?.number
    if (first === undefined) throw fail('after')(`no partition or split acts on ${formatNodes(nodes)}: name the step`)
    const within = withinOf()
    return { kind, number, nodes, nodesText: typeof spec.nodes === 'string' ? spec.nodes : formatNodes(nodes), ...(within === undefined ? {} : { within }), after: first }
  }
  const on = kind === 'alerted'
    ? (spec.on === undefined ? (() => { throw fail('on')('required: the node(s) that must be alerted on, e.g. 3 or "5-9"') })() : nodesOf('on', spec.on))
    : nodesOf('on', spec.on ?? 'all')
  const byWord = spec.by ?? (kind === 'alerted' ? 'others' : 'all')
  const by = byWord === 'others' ? all.filter((i) => !on.includes(i)) : nodesOf('by', byWord)
  if (by.length === 0) throw fail('by')('no node left to judge (every node is in on)')
  const within = withinOf()
  let after: number
  if (spec.after !== undefined) {
    after = stepRef('after', spec.after)
  } else if (kind === 'alerted') {
    const first = steps.find((s) => targetsOf(s).some((n) => on.includes(n)) && s.action !== 'resume' && s.action !== 'heal' && s.action !== 'restart')
    if (first === undefined) throw fail('after')(`no step acts on ${formatNodes(on)}: name the step the alerts follow`)
    after = first.number
  } else {
    const last = [...steps].reverse().find((s) => s.action === 'heal' || s.action === 'resume' || s.action === 'restart')
    if (last === undefined) throw fail('after')('no heal, resume or restart step: name the step recovery follows')
    after = last.number
  }
  const text = (v: unknown, fallback: string): string => v === undefined ? fallback : typeof v === 'string' ? v : formatNodesOf(v, swarm.nodes)
  return { kind, number, on, by, onText: text(spec.on, 'all'), byText: text(spec.by, kind === 'alerted' ? 'others' : 'all'), ...(within === undefined ? {} : { within }), after }
}

/** Every node a step acts on (both sides of a partition). */
export function targetsOf (step: TimelineStep): number[] {
  if ('groups' in step) return step.groups.flat()
  if ('nodes' in step) return step.nodes ?? []
  return []
}

/** A step by its 1-based number, its name, or its action word when one step has it; a message when none or several match. */
function findStep (steps: readonly TimelineStep[], ref: unknown): number | string {
  if (typeof ref === 'number') {
    return Number.isInteger(ref) && ref >= 1 && ref <= steps.length ? ref : `no step ${ref} (steps are numbered 1-${steps.length})`
  }
  if (typeof ref !== 'string') return `expected a step: its number, its name or its action, got ${JSON.stringify(ref)}`
  const named = steps.filter((s) => s.name === ref)
  if (named.length === 1) return named[0].number
  if (named.length > 1) return `${named.length} steps are named ${quote(ref)}`
  const word = ACTION_ALIASES[ref] ?? ref
  const acting = steps.filter((s) => s.action === word)
  if (acting.length === 1) return acting[0].number
  if (acting.length > 1) return `${acting.length} steps ${quote(ref)} (steps ${acting.map((s) => s.number).join(', ')}): give the step's number or name`
  return `no step named or acting ${quote(ref)}`
}

function formatNodesOf (value: unknown, nodes: number): string {
  try {
    return formatNodes(parseNodes(value, nodes))
  } catch {
    return String(value)
  }
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function object (value: unknown, fail: (message: string) => ConfigError, what: string): Record<string, unknown> {
  if (!isObject(value)) throw fail(`expected ${what} as an object, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`)
  return value
}

function onlyKeys (value: Record<string, unknown>, keys: readonly string[], fail: (message: string) => ConfigError): void {
  const unknown = Object.keys(value).find((key) => !keys.includes(key))
  if (unknown !== undefined) throw fail(`unknown field ${quote(unknown)}; expected ${keys.join(', ')}`)
}

function string (value: unknown, fail: (message: string) => ConfigError): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw fail(`expected a text of 1-200 characters, got ${JSON.stringify(value)}`)
  return value
}

function wholeNumber (value: unknown, min: number, max: number, fail: (message: string) => ConfigError): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw fail(`expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return value
}

function duration (value: unknown, fail: (message: string) => ConfigError, min: number, max: number): number {
  if (typeof value !== 'string') throw fail(`expected a duration like "10s", got ${JSON.stringify(value)}`)
  let ms: number
  try {
    ms = parseDuration(value)
  } catch {
    throw fail(`expected a duration like 250ms, 2s or 1m, got ${quote(value)}`)
  }
  if (ms < min || ms > max) throw fail(`expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${quote(value)}`)
  return ms
}
