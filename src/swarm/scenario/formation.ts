/**
 * The first phase of every scenario run (scenario/engine.ts): start the swarm,
 * wait until every node heard from every other, let it settle; and how a run
 * names the swarm's processes in its log and its result.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeExit } from '../nodes/daemon-child.js'
import { formatMs } from '../terminal-view/format.js'
import type { Swarm } from '../launch/launcher.js'

/** One process of a swarm, for results: its nodes and, with network namespaces, the namespace they share. */
export interface ProcessInfo {
  nodes: number[]
  /** e.g. `pm-4242-1` (netns only). */
  namespace?: string
  /** The namespace's address on the LAN, every node of the process on a port of its own (netns only). */
  address?: string
}

/** e.g. "a process per node" or "96 nodes in 8 processes of up to 13, 4 alone". */
export function describePacking (swarm: Pick<Swarm, 'processGroups'>): string {
  const groups = swarm.processGroups
  const packs = groups.filter((g) => g.length > 1)
  if (packs.length === 0) return 'a process per node'
  const packed = packs.reduce((sum, g) => sum + g.length, 0)
  const alone = groups.length - packs.length
  return `${packed} nodes in ${packs.length} processes of up to ${Math.max(...packs.map((g) => g.length))}${alone > 0 ? `, ${alone} alone` : ''}`
}

/** The swarm's processes in order of their first node, with their namespaces once a netns swarm started. */
export function processTable (swarm: Pick<Swarm, 'processGroups' | 'processMates' | 'lan' | 'hostOf'>): ProcessInfo[] {
  const seen = new Set<number>()
  const groups: number[][] = []
  for (const first of swarm.processGroups.flat().sort((a, b) => a - b)) {
    if (seen.has(first)) continue
    const nodes = swarm.processMates(first)
    for (const node of nodes) seen.add(node)
    groups.push(nodes)
  }
  return groups.map((nodes) => {
    if (swarm.lan === undefined) return { nodes }
    const host = swarm.hostOf(nodes[0])
    return { nodes, namespace: host.namespace, address: host.address }
  })
}

/**
 * With network namespaces, which nodes share a process and so a namespace (a
 * network fault on one is on all), for the log; undefined on loopback or when
 * every node runs alone.
 */
export function describeProcesses (swarm: Pick<Swarm, 'processGroups' | 'processMates' | 'lan' | 'hostOf'>): string | undefined {
  const table = processTable(swarm)
  if (swarm.lan === undefined || table.every((p) => p.nodes.length === 1)) return undefined
  return `processes, one network namespace and address each (a network fault acts on a whole process): ${table.map((p) => p.nodes.join(',')).join(' | ')}`
}

/** Starts the swarm and waits until it is formed, all within `timeoutMs`. */
export async function startAndForm (swarm: Swarm, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const startedAt = performance.now()
  const timeout = AbortSignal.timeout(timeoutMs)
  try {
    await swarm.start(signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
  } catch (err) {
    if (timeout.aborted && signal?.aborted !== true) {
      const listening = swarm.nodes.filter((c) => c.peer !== undefined).length
      throw new Error(`the swarm did not start within ${formatMs(timeoutMs)} (--timeout): ${listening}/${swarm.options.nodes} nodes listening`)
    }
    throw err
  }
  const remaining = Math.max(1, timeoutMs - (performance.now() - startedAt))
  try {
    await swarm.waitFormed(remaining, signal)
  } catch (err) {
    if (signal?.aborted === true) throw err
    throw new Error(`the swarm did not form within ${formatMs(timeoutMs)} (--timeout): ${swarm.formationGaps()}`)
  }
}

/**
 * Starts `swarm`, waits until it is formed (startAndForm), logs which nodes
 * share a process, and lets it settle for `settleMs`; throws if a node exited
 * meanwhile, naming what it exited `before`. Resolves with the formation time (ms).
 */
export async function formAndSettle (swarm: Swarm, o: { timeoutMs: number, settleMs: number, signal?: AbortSignal, log: (line: string) => void, before: string }): Promise<number> {
  const startedAt = performance.now()
  await startAndForm(swarm, o.timeoutMs, o.signal)
  const formedMs = performance.now() - startedAt
  const processes = describeProcesses(swarm)
  if (processes !== undefined) o.log(processes)
  o.log(`swarm formed in ${formatMs(formedMs)}; settling for ${formatMs(o.settleMs)}`)
  await sleep(o.settleMs, undefined, { signal: o.signal })
  const gone = swarm.nodes.find((child) => child.exit !== undefined)
  if (gone !== undefined) throw new Error(`node ${gone.index} exited before ${o.before} (${describeExit(gone.exit)})${gone.stderrSummary()}`)
  return formedMs
}
