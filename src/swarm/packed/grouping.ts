/**
 * Which nodes of a swarm share a process. Pure: indices in, groups out.
 *
 * A process of its own per node costs ~16 ms of CPU per second in fixed
 * runtime work (timers, GC, the JIT warming up the same code once per
 * process) and ~60 MB; nodes packed in one process share all of that
 * (docs/benchmarks.md: ~4.5 ms/s per packed node). One process is one
 * JavaScript thread, so a swarm is spread over two processes per core: both
 * cores are used, and no process is a saturated thread whose queueing delay
 * turns into propagation delay. Fewer, larger processes measured better than
 * more, smaller ones (100 nodes at 2 s: 4 processes of 25 formed in 31 s with
 * 2.3 GB in all; 8 of 13 in 50-56 s with 2.7-3.3 GB; the same CPU).
 */

/** Packed processes per core the default packing aims at. */
export const PROCESSES_PER_CORE = 2

/**
 * The default number of nodes per process for a swarm of `nodes` on `cores`
 * cores: 1 (a process per node, every signal real) while the swarm has at most
 * PROCESSES_PER_CORE processes per core, more beyond (100 nodes on 2 cores: 25).
 */
export function defaultPerProcess (nodes: number, cores: number): number {
  const processes = Math.max(1, Math.floor(cores)) * PROCESSES_PER_CORE
  return Math.max(1, Math.ceil(nodes / processes))
}

/**
 * The processes of a swarm: each an array of node indices. Nodes in `solo`
 * get one each (the targets of a crash, hang or leave: their signals must
 * reach them alone; with network namespaces also the targets of a loss or
 * rate fault: a process's nodes share one namespace and its link). `apart`
 * lists groupings of nodes (a partition's or a split's groups, each grouping a
 * list of node groups) that no process may straddle: nodes share a process
 * only when every grouping puts them in the same group, or both in none, so a
 * fault on a namespace holds exactly the nodes the grouping names. Within
 * that, nodes are dealt round-robin into packs of at most `perProcess`, so
 * every process gets some early, well-connected nodes and some late ones. A
 * pack of one node is a process of its own like a solo one.
 */
export function assignProcesses (nodes: number, perProcess: number, solo: Iterable<number> = [], apart: ReadonlyArray<ReadonlyArray<readonly number[]>> = []): number[][] {
  if (!Number.isInteger(perProcess) || perProcess < 1) throw new RangeError(`perProcess must be a positive integer, got ${perProcess}`)
  const alone = new Set([...solo].filter((i) => Number.isInteger(i) && i >= 0 && i < nodes))
  const classes = new Map<string, number[]>()
  for (let i = 0; i < nodes; i++) {
    if (alone.has(i)) continue
    // The node's group in each grouping (-1: in none of its groups); equal keys may share a process.
    const key = apart.map((groups) => groups.findIndex((group) => group.includes(i))).join(',')
    const members = classes.get(key)
    if (members === undefined) classes.set(key, [i])
    else members.push(i)
  }
  const groups: number[][] = []
  for (const members of classes.values()) {
    const packs = Math.ceil(members.length / perProcess)
    const dealt: number[][] = Array.from({ length: packs }, () => [])
    members.forEach((index, k) => { dealt[k % packs].push(index) })
    groups.push(...dealt)
  }
  return [...[...alone].sort((a, b) => a - b).map((i) => [i]), ...groups]
}

/**
 * A partition of nodes (`groups`: its sides) as the same partition of the
 * hosts (network namespaces) they run in, `hostOf[node]` being node's host.
 * Throws a RangeError naming the nodes when a host holds nodes of two sides,
 * or of a side and of none: a fault on that namespace would cut nodes the
 * partition does not mean to (assignProcesses' `apart` prevents it).
 */
export function hostGroupsOf (groups: ReadonlyArray<readonly number[]>, hostOf: readonly number[]): number[][] {
  const sideOfHost = new Map<number, number>()
  const hostOfNode = (node: number): number => {
    const host = hostOf[node]
    if (host === undefined) throw new RangeError(`partition: no node ${node}`)
    return host
  }
  const nodesOn = (host: number): string => hostOf.flatMap((h, node) => h === host ? [node] : []).join(', ')
  groups.forEach((group, side) => {
    for (const node of group) {
      const host = hostOfNode(node)
      const before = sideOfHost.get(host)
      if (before !== undefined && before !== side) throw new RangeError(`partition: nodes ${nodesOn(host)} share a process and its network namespace, and the partition puts them on different sides`)
      sideOfHost.set(host, side)
    }
  })
  const named = new Set(groups.flat())
  for (const host of sideOfHost.keys()) {
    if (hostOf.some((h, node) => h === host && !named.has(node))) throw new RangeError(`partition: nodes ${nodesOn(host)} share a process and its network namespace, and the partition names only some of them`)
  }
  return groups.map((_, side) => [...sideOfHost].filter(([, s]) => s === side).map(([host]) => host).sort((a, b) => a - b))
}
