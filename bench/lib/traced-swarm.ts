/**
 * A local swarm of daemons (src/swarm) whose every node traces its reports
 * (PEERMON_TRACE) into a temporary directory, with the gossipsub options and
 * Node.js flags a benchmark asks for. Every event line is kept.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { daemonEnv } from '../../src/swarm/launch/daemon-process.js'
import type { SwarmOptions } from '../../src/swarm/launch/swarm-options.js'
import type { NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { readTraces, type NodeTrace } from './trace.js'

export interface TracedSwarmOptions {
  nodes: number
  intervalMs: number
  ttlMs: number
  seed?: number
  /** `stock` for gossipsub's own parameters, an object for overrides, undefined for peermon's. */
  gossipsub?: 'stock' | Partial<GossipsubOpts>
  /** Node.js flags of the daemons' processes, packed or not (default: the launcher's). */
  execArgv?: string[]
  /** Nodes per process: 1 (the default) a process per node, as the benchmarks measured before packing; 'auto' the launcher's packing. */
  perProcess?: number | 'auto'
  maxBatch?: number
  onStderr?: SwarmOptions['onStderr']
}

export class TracedSwarm {
  readonly swarm: Swarm
  readonly dir: string
  readonly events: NodeEvent[] = []

  constructor (options: TracedSwarmOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'peermon-bench-'))
    const env: NodeJS.ProcessEnv = daemonEnv(process.env)
    if (options.gossipsub !== undefined) {
      env.PEERMON_GOSSIPSUB = options.gossipsub === 'stock' ? 'stock' : JSON.stringify(options.gossipsub)
    }
    this.swarm = new Swarm({
      nodes: options.nodes,
      intervalMs: options.intervalMs,
      ttlMs: options.ttlMs,
      seed: options.seed,
      maxBatch: options.maxBatch,
      readyTimeoutMs: 120_000,
      execArgv: options.execArgv,
      packedExecArgv: options.execArgv,
      perProcess: options.perProcess === 'auto' ? undefined : options.perProcess ?? 1,
      env,
      // A trace file per node, named by its index: packed nodes share a pid.
      nodeEnv: (index) => ({ PEERMON_TRACE: join(this.dir, `trace-${index}.log`) }),
      onStderr: options.onStderr
    })
    this.swarm.onEvent((event) => { this.events.push(event) })
  }

  /** Reads the traces; call after stop() so every node flushed its last lines. */
  traces (): NodeTrace[] {
    return readTraces(this.dir)
  }

  /** Stops every node and removes the traces. */
  async dispose (): Promise<void> {
    try {
      await this.swarm.stop()
    } finally {
      // BENCH_KEEP_TRACES=1 keeps them for a closer look.
      if (process.env.BENCH_KEEP_TRACES !== '1') rmSync(this.dir, { recursive: true, force: true })
      else process.stderr.write(`traces kept in ${this.dir}\n`)
    }
  }
}

/** Alert events (of `ping` or any metric) in `events`, optionally only from `from` (epoch ms) on. */
export function alertsIn (events: NodeEvent[], from = -Infinity, to = Infinity): NodeEvent[] {
  return events.filter((e) => e.event.event === 'alert' && e.at >= from && e.at < to)
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
