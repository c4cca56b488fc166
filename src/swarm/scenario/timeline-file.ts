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
import { formatDuration } from '../../duration.js'
import { churnSteps, parseChurn } from './churn.js'
import { LOSS_DIRECTIONS, type LossDirection } from '../netns/link-faults.js'
import { parseExpectation } from './expectation-file.js'
import { duration, object, onlyKeys, parseNodes, string, wholeNumber } from './file-fields.js'
import { ACTION_ALIASES, NETWORK_ACTIONS, SIGNAL_ACTIONS, STEP_ACTIONS, TIMELINE_LIMITS, stepAt, type StepAction, type Timeline, type TimelineStep, type TimelineSwarm } from './timeline-plan.js'

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
