/**
 * The bootstrap graph of a local swarm: which earlier nodes each node dials,
 * and in which batches nodes are started. Pure: plain indices, a seeded
 * generator, no processes.
 *
 * Nodes start in batches; a node only bootstraps to nodes of earlier batches
 * (their addresses are known by then). Batch sizes double up to `maxBatch`
 * (1, 1, 2, 4, 4, ...), and each node dials up to `degree` randomly chosen
 * earlier nodes, so the graph is connected, and from four nodes on it is
 * not a star around node 0, unless `star` asks for one (every node dials
 * node 0 alone: the hub whose crash a scenario may study).
 */
import type { Random } from './random.js'

export interface SwarmPlanOptions {
  /** Number of nodes (>= 1). */
  nodes: number
  /** Bootstrap addresses per node, at most (>= 1). */
  degree: number
  /** Largest number of nodes started at once (default 4). */
  maxBatch?: number
  /** Every node bootstraps to node 0 alone, a hub (degree is then 1). Default false. */
  star?: boolean
}

export interface SwarmPlan {
  /** Node indices in start order, grouped into batches started in parallel. */
  batches: number[][]
  /** `bootstraps[i]`: the indices node i dials at start (empty for node 0). */
  bootstraps: number[][]
}

export const DEFAULT_MAX_BATCH = 4

export function planSwarm (options: SwarmPlanOptions, random: Random): SwarmPlan {
  const { nodes, degree } = options
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH)
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${nodes}`)
  if (!Number.isInteger(degree) || degree < 1) throw new RangeError(`degree must be a positive integer, got ${degree}`)

  const batches: number[][] = []
  const bootstraps: number[][] = []
  let started = 0
  while (started < nodes) {
    const size = Math.min(Math.max(1, Math.min(started, maxBatch)), nodes - started)
    const earlier = Array.from({ length: started }, (_, i) => i)
    const batch: number[] = []
    for (let i = started; i < started + size; i++) {
      batch.push(i)
      bootstraps[i] = options.star === true ? earlier.slice(0, 1) : random.sample(earlier, degree).sort((a, b) => a - b)
    }
    batches.push(batch)
    started += size
  }
  return { batches, bootstraps }
}

/** Undirected adjacency of the plan's graph: `adjacency[i]` is the set of i's neighbours. */
export function adjacencyOf (plan: SwarmPlan): Array<Set<number>> {
  const adjacency = plan.bootstraps.map(() => new Set<number>())
  plan.bootstraps.forEach((targets, i) => {
    for (const j of targets) {
      adjacency[i].add(j)
      adjacency[j].add(i)
    }
  })
  return adjacency
}

/** Whether the graph is connected, optionally with one node removed. */
export function isConnected (adjacency: ReadonlyArray<ReadonlySet<number>>, without?: number): boolean {
  const remaining = adjacency.length - (without === undefined ? 0 : 1)
  if (remaining <= 1) return true
  const start = without === 0 ? 1 : 0
  const seen = new Set<number>([start])
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.pop() as number
    for (const next of adjacency[node]) {
      if (next === without || seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  }
  return seen.size === remaining
}

/**
 * Nodes whose removal leaves the rest connected: the safe victims of a crash,
 * hang or leave, since the survivors must still hear each other.
 */
export function removableNodes (adjacency: ReadonlyArray<ReadonlySet<number>>): number[] {
  return adjacency.map((_, i) => i).filter((i) => isConnected(adjacency, i))
}

/** Whether every edge touches one single node (a hub): what the plan avoids. */
export function isStar (adjacency: ReadonlyArray<ReadonlySet<number>>): boolean {
  return adjacency.some((neighbours, hub) =>
    adjacency.every((others, i) => i === hub || [...others].every((j) => j === hub)) && neighbours.size > 0)
}
