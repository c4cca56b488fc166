/** What a Swarm (launcher.ts) can be asked for, and its defaults. */

/** Bootstrap peers each node dials, at most. */
export const DEFAULT_DEGREE = 3
/** How long one node may take to print its listening line. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000

export interface SwarmOptions {
  /** Number of daemons (>= 1). */
  nodes: number
  /** Publish interval passed to each daemon (ms). */
  intervalMs: number
  /** Metric TTL passed to each daemon (ms). */
  ttlMs: number
  /** Bootstrap addresses per node, at most (default 3). */
  degree?: number
  /** `star`: every node bootstraps to node 0 alone (a hub); default `random` (topology.ts). */
  topology?: 'random' | 'star'
  /** Seed of every random choice (default: random). */
  seed?: number
  /** Largest start batch (default 4; packed: one node per packed process, at least 4). */
  maxBatch?: number
  /** How long each node may take to print `listening` (default 30 s). */
  readyTimeoutMs?: number
  /** Extra daemon arguments for node `index`, e.g. `['--tag', 'zone=a']`. */
  nodeArgs?: (index: number) => string[]
  /** Path of bin/peermon.js (default: this package's). */
  binPath?: string
  /** Node.js / V8 flags of every daemon (default DAEMON_EXEC_ARGV). */
  execArgv?: string[]
  /** The children's environment (default: ours without PEERMON_* settings). */
  env?: NodeJS.ProcessEnv
  /** Extra environment of node `index` (e.g. its own PEERMON_TRACE file), over `env`. */
  nodeEnv?: (index: number) => Record<string, string>
  /** Called with each stderr line of each node (-1: a packed process's own line). */
  onStderr?: (index: number, line: string) => void
  /**
   * Nodes per process: 1 runs each daemon in a process of its own; more packs
   * that many real libp2p nodes into one process (../packed/packed-process.ts). Default:
   * defaultPerProcess(nodes, cores): 1 up to 2 processes per core, then packed.
   */
  perProcess?: number
  /** Nodes that get a process of their own whatever the packing (the targets of signals and link faults). */
  solo?: number[]
  /**
   * Groupings of nodes (each a list of node groups, e.g. a split's sides)
   * that no process may straddle (../packed/grouping.ts: assignProcesses), so that a
   * partition of namespaces is exactly the partition of nodes asked for.
   */
  apart?: number[][][]
  /** Node.js / V8 flags of packed processes (default PACKED_EXEC_ARGV). */
  packedExecArgv?: string[]
  /**
   * Each process in a network namespace of its own, with one address on the
   * LAN (NetnsLan; needs root): a solo node alone, a packed process's nodes
   * together, each on a port of its own. `swarm.lan` can then cut, partition,
   * slow down or make lossy a namespace's link, which is every node of that
   * process: hostOf(), processMates() and hostGroups() translate nodes to
   * namespaces; keepAlone() and keepApart() make a fault's namespaces hold
   * just the nodes it means. Default false: every node on 127.0.0.1. The
   * packing is the same either way (perProcess).
   */
  netns?: boolean
  /**
   * With `netns`: nodes whose TCP connections the launcher relays from the
   * start, so `swarm.latency` can delay what they send (../netns/latency.ts).
   * The relay tells destinations apart by address, so every node then runs in
   * a process and namespace of its own (perProcess 1; a larger one is refused).
   */
  latencyNodes?: number[]
}

export interface WaitOptions {
  timeoutMs?: number
  signal?: AbortSignal
}
