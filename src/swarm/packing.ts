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
 * reach them alone); the others are dealt round-robin into packs of at most
 * `perProcess`, so every process gets some early, well-connected nodes and
 * some late ones. A pack of one node is a process of its own like a solo one.
 */
export function assignProcesses (nodes: number, perProcess: number, solo: Iterable<number> = []): number[][] {
  if (!Number.isInteger(perProcess) || perProcess < 1) throw new RangeError(`perProcess must be a positive integer, got ${perProcess}`)
  const alone = new Set([...solo].filter((i) => Number.isInteger(i) && i >= 0 && i < nodes))
  const packed = Array.from({ length: nodes }, (_, i) => i).filter((i) => !alone.has(i))
  const packs = Math.ceil(packed.length / perProcess)
  const groups: number[][] = Array.from({ length: packs }, () => [])
  packed.forEach((index, k) => { groups[k % packs].push(index) })
  return [...[...alone].sort((a, b) => a - b).map((i) => [i]), ...groups]
}
