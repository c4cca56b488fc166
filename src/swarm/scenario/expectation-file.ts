/** A scenario file's `expect` entries: parsed and checked against the swarm and the steps (timeline-file.ts). */
import { ConfigError, quote } from '../../config-error.js'
import { ACTION_ALIASES, EXPECTATION_KINDS, formatNodes, targetsOf, type Expectation, type TimelineStep, type TimelineSwarm, type TimeSpec } from './timeline-plan.js'
import { isObject, object, onlyKeys, parseNodes, parseTimeSpec } from './file-fields.js'

export function parseExpectation (value: unknown, number: number, swarm: TimelineSwarm, steps: readonly TimelineStep[], file: string): Expectation {
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
