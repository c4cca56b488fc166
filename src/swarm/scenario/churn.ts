/**
 * A scenario file's `churn` block: random, seeded node churn written out as
 * ordinary steps, so a long run reads as a few lines and replays exactly.
 * Pure: a plan in, step objects (as a file would write them) out; the
 * timeline parser then checks them like any other step.
 *
 * ```json
 * "churn": { "seed": 1, "episodes": 30, "every": "5s", "down": ["4s", "12s"],
 *            "maxDown": 3, "actions": ["kill", "hang", "leave"] }
 * ```
 *
 * Every `every` from `start`, one node that is up is taken down by one of
 * `actions` (kill: crashed; hang: frozen; leave: stopped gracefully) and
 * brought back `down` later (kill and leave: restart, on the same identity
 * and port; hang: resume); a node that came back rests for `every` before it
 * can be taken down again. An episode whose turn comes while `maxDown` nodes
 * are down is skipped.
 */
import { ConfigError, quote } from '../../config-error.js'
import { formatDuration, parseDuration } from '../../duration.js'
import { seededRandom } from '../launch/random.js'

export const CHURN_ACTIONS = ['kill', 'hang', 'leave'] as const
export type ChurnAction = typeof CHURN_ACTIONS[number]

export interface ChurnPlan {
  seed: number
  /** The first episode, from the timeline's start (ms). */
  startMs: number
  /** One episode every this long (ms). */
  everyMs: number
  episodes: number
  /** How long a node stays down: uniform in [min, max] (ms, to the 100 ms). */
  downMinMs: number
  downMaxMs: number
  /** Nodes down at once, at most. */
  maxDown: number
  actions: ChurnAction[]
  /** The nodes that may be taken down (default all). */
  nodes: number[]
}

const FIELDS = ['seed', 'start', 'every', 'episodes', 'down', 'maxDown', 'actions', 'nodes']

/** Reads a churn block; `fail` makes the one-line ConfigError (`x.json: churn: ...`). */
export function parseChurn (value: unknown, swarm: { nodes: number, seed?: number }, fail: (message: string) => ConfigError): ChurnPlan {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(`expected an object like { "episodes": 30, "every": "5s", "down": ["4s", "12s"] }, got ${JSON.stringify(value)}`)
  const spec = value as Record<string, unknown>
  const unknown = Object.keys(spec).find((key) => !FIELDS.includes(key))
  if (unknown !== undefined) throw fail(`unknown field ${quote(unknown)}; expected ${FIELDS.join(', ')}`)
  const whole = (key: string, min: number, max: number, fallback?: number): number => {
    const v = spec[key] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw fail(`${key}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(spec[key])}`)
    return v
  }
  const ms = (key: string, v: unknown, min: number, max: number): number => {
    let out: number | undefined
    try { out = typeof v === 'string' ? parseDuration(v) : undefined } catch {}
    if (out === undefined) throw fail(`${key}: expected a duration like 250ms, 2s or 1m, got ${JSON.stringify(v)}`)
    if (out < min || out > max) throw fail(`${key}: expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${quote(String(v))}`)
    return out
  }
  if (spec.episodes === undefined) throw fail('episodes: required, how many nodes are taken down in turn, e.g. 30')
  const episodes = whole('episodes', 1, 100)
  const everyMs = ms('every', spec.every ?? '5s', 100, 3_600_000)
  const startMs = ms('start', spec.start ?? formatDuration(everyMs), 0, 3_600_000)
  const down = spec.down ?? ['4s', '12s']
  const range = typeof down === 'string' ? [down, down] : down
  if (!Array.isArray(range) || range.length !== 2) throw fail(`down: expected a duration or a range like ["4s", "12s"], got ${JSON.stringify(down)}`)
  const downMinMs = ms('down', range[0], 100, 3_600_000)
  const downMaxMs = ms('down', range[1], downMinMs, 3_600_000)
  const maxDown = whole('maxDown', 1, swarm.nodes - 1, Math.min(3, swarm.nodes - 1))
  const actions = spec.actions ?? [...CHURN_ACTIONS]
  if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => (CHURN_ACTIONS as readonly unknown[]).includes(a))) {
    throw fail(`actions: expected a list of ${CHURN_ACTIONS.join(', ')}, got ${JSON.stringify(actions)}`)
  }
  let nodes: number[]
  if (spec.nodes === undefined || spec.nodes === 'all') {
    nodes = Array.from({ length: swarm.nodes }, (_, i) => i)
  } else if (Array.isArray(spec.nodes) && spec.nodes.length > 0 && spec.nodes.every((n) => Number.isInteger(n) && n >= 0 && n < swarm.nodes)) {
    nodes = [...new Set(spec.nodes as number[])].sort((a, b) => a - b)
  } else {
    throw fail(`nodes: expected "all" or a list of node indices from 0 to ${swarm.nodes - 1}, got ${JSON.stringify(spec.nodes)}`)
  }
  const seed = whole('seed', 0, 2 ** 32 - 1, swarm.seed ?? 1)
  return { seed, startMs, everyMs, episodes, downMinMs, downMaxMs, maxDown, actions: [...new Set(actions as ChurnAction[])], nodes }
}

/** The churn's steps in time order, as a file would write them: `{ "at": "7300ms", "kill": 4 }`. */
export function churnSteps (plan: ChurnPlan): Array<Record<string, unknown>> {
  const random = seededRandom(plan.seed)
  const steps: Array<{ atMs: number, back: boolean, action: string, node: number }> = []
  /** Per node: when it is back up (ms); absent or past when it is up. */
  const backAt = new Map<number, number>()
  for (let episode = 0; episode < plan.episodes; episode++) {
    const atMs = plan.startMs + episode * plan.everyMs
    // A node that came back is left alone for one turn: its restart may take a while, and it must be heard again first.
    const up = plan.nodes.filter((n) => (backAt.get(n) ?? -Infinity) + plan.everyMs <= atMs)
    const down = [...backAt.values()].filter((t) => t >= atMs).length
    if (down >= plan.maxDown || up.length === 0) continue
    const node = random.pick(up)
    const action = random.pick(plan.actions)
    const spanMs = plan.downMinMs + Math.round(random.next() * (plan.downMaxMs - plan.downMinMs) / 100) * 100
    const back = atMs + Math.min(spanMs, plan.downMaxMs)
    backAt.set(node, back)
    steps.push({ atMs, back: false, action, node })
    steps.push({ atMs: back, back: true, action: action === 'hang' ? 'resume' : 'restart', node })
  }
  // In time order; at one time, nodes come back before others go down.
  steps.sort((a, b) => a.atMs - b.atMs || Number(b.back) - Number(a.back))
  return steps.map((s) => ({ at: `${s.atMs}ms`, [s.action]: s.node }))
}
