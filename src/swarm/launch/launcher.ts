/**
 * Starting and stopping a local swarm of N daemons on 127.0.0.1 (or, with
 * `netns: true`, each process in a network namespace of its own on a virtual
 * LAN whose links can fail: ../netns/lan.ts), for the `peermon swarm` command, tests
 * and benchmarks. A daemon runs in a child process of its own (../nodes/daemon-child.ts) or
 * with others in a packed process (../packed/packed-process.ts; ../packed/grouping.ts says which).
 *
 * ```ts
 * const swarm = new Swarm({ nodes: 4, intervalMs: 500, ttlMs: 1500, seed: 1 })
 * swarm.onEvent(({ node, event }) => { console.log(node, event.event, event.peer) })
 * try {
 *   await swarm.start()
 *   await swarm.waitFormed(30_000)
 *   swarm.node(2).signal('SIGKILL')
 *   await swarm.waitForEvent(({ node, event }) => node === 0 && event.event === 'alert')
 * } finally {
 *   await swarm.stop()
 * }
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { DaemonChild, describeExit, exitsWithin, type NodeEvent, type SwarmNode } from '../nodes/daemon-child.js'
import { NetnsLan, type LanHost } from '../netns/lan.js'
import { LanLatency } from '../netns/latency.js'
import { PackedProcess } from '../packed/packed-process.js'
import { assignProcesses, defaultPerProcess, hostGroupsOf } from '../packed/grouping.js'
import { PeerTable } from '../nodes/peer-table.js'
import { seededRandom } from './random.js'
import { DEFAULT_MAX_BATCH, planSwarm, type SwarmPlan } from './topology.js'
import { DAEMON_EXEC_ARGV, PACKED_EXEC_ARGV, boundPort, daemonEnv, supportedFlags } from './daemon-process.js'
import { DEFAULT_DEGREE, DEFAULT_READY_TIMEOUT_MS, type SwarmOptions, type WaitOptions } from './swarm-options.js'
import { abortable, waitUntil } from './waiting.js'

export class Swarm {
  readonly options: SwarmOptions
  readonly seed: number
  readonly plan: SwarmPlan
  /** Nodes per packed process (1: a process per node). */
  readonly perProcess: number
  /** The nodes, by index, as they are started. */
  readonly nodes: SwarmNode[] = []
  /** The packed processes, once start() spawned them. */
  readonly packs: PackedProcess[] = []
  /** Per node: the peers it has heard from and those it alerts on, from its events. */
  readonly tables: PeerTable[]

  /** The nodes' network, with `netns: true`, once start() made it. */
  lan: NetnsLan | undefined
  /** The relay that delays the latencyNodes' traffic, once start() made it. */
  latency: LanLatency | undefined

  private readonly listeners = new Set<(event: NodeEvent) => void>()
  private readonly killAllNow = (): void => {
    for (const child of this.nodes) child.killNow()
    for (const pack of this.packs) pack.killNow()
    this.removeKeys()
  }
  /**
   * A folder (mode 0700) of one identity key file per node, made by start():
   * each daemon creates its own at its first start, and restart() brings the
   * node back with it, as a service manager would. Removed by stop().
   */
  private keyDir: string | undefined
  /** Per node: the daemon arguments it was first started with; restart() reuses them with its port pinned. */
  private readonly argsOf: string[][] = []

  private stopping: Promise<void> | undefined
  private readonly solo: Set<number>
  private readonly apart: number[][][]
  /** With netns, once started: the LAN host (namespace) of each node, by index. */
  private readonly hostIndex: number[] = []
  /** Once start() spawned the processes: the nodes of each node's process, by index. */
  private readonly started = new Map<number, readonly number[]>()
  /** The packed process of each packed node, by index. */
  private readonly packOf = new Map<number, PackedProcess>()

  constructor (options: SwarmOptions) {
    this.options = options
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
    // The latency relay tells destinations apart by address: with latencyNodes, a process (and namespace) per node.
    const relayed = (options.latencyNodes ?? []).length > 0
    if (relayed && options.perProcess !== undefined && options.perProcess > 1) throw new RangeError(`latencyNodes need a process (and namespace) per node: perProcess 1, got ${options.perProcess}`)
    this.perProcess = options.perProcess ?? (relayed ? 1 : defaultPerProcess(options.nodes, os.availableParallelism()))
    if (!Number.isInteger(this.perProcess) || this.perProcess < 1) throw new RangeError(`perProcess must be a positive integer, got ${this.perProcess}`)
    this.solo = new Set(options.solo)
    this.apart = (options.apart ?? []).map((groups) => groups.map((group) => [...group]))
    this.plan = planSwarm({
      nodes: options.nodes,
      degree: options.degree ?? DEFAULT_DEGREE,
      star: options.topology === 'star',
      // Starting a packed node costs no process spawn: a batch may hold one node per packed process.
      maxBatch: options.maxBatch ?? (this.perProcess > 1 ? Math.max(DEFAULT_MAX_BATCH, Math.ceil(options.nodes / this.perProcess)) : DEFAULT_MAX_BATCH)
    }, seededRandom(this.seed))
    this.tables = Array.from({ length: options.nodes }, () => new PeerTable())
  }

  /** Gives node `index` a process of its own, so signals reach it alone; before start() only. */
  keepAlone (index: number): void {
    if (this.lan !== undefined || this.nodes.length > 0 || this.packs.length > 0) throw new Error('keepAlone() must be called before start()')
    this.solo.add(index)
  }

  /**
   * Keeps `groups` apart: no process holds nodes of two of them, or of one and
   * of none (a split's sides, a partition's side and the rest); before start() only.
   */
  keepApart (groups: ReadonlyArray<readonly number[]>): void {
    if (this.lan !== undefined || this.nodes.length > 0 || this.packs.length > 0) throw new Error('keepApart() must be called before start()')
    this.apart.push(groups.map((group) => [...group]))
  }

  /** The swarm's processes as groups of node indices (solo nodes first). */
  get processGroups (): number[][] {
    return assignProcesses(this.options.nodes, this.perProcess, this.solo, this.apart)
  }

  /**
   * The nodes that share node `index`'s process (and, with netns, its network
   * namespace and address), itself included, in order; [index] when it runs alone.
   */
  processMates (index: number): number[] {
    const group = this.started.get(index) ?? (this.started.size > 0 ? undefined : this.processGroups.find((g) => g.includes(index)))
    return [...group ?? [index]].sort((a, b) => a - b)
  }

  /** Node `index`'s network namespace and address (netns, once started): its process's, shared by its mates. */
  hostOf (index: number): LanHost {
    const host = this.hostIndex[index]
    if (this.lan === undefined || host === undefined) throw new RangeError(`node ${index} has no network namespace (${this.lan === undefined ? 'the swarm has no LAN' : 'not started'})`)
    return this.lan.host(host)
  }

  /**
   * Node groups (a partition's sides) as LAN host groups for lan.partition():
   * throws if a namespace holds nodes of two groups, or of a group and of none,
   * since the partition would then cut nodes it does not name (keepApart()).
   */
  hostGroups (groups: ReadonlyArray<readonly number[]>): number[][] {
    for (const node of groups.flat()) this.hostOf(node)
    return hostGroupsOf(groups, this.hostIndex)
  }

  /**
   * Spawns the nodes batch by batch, each batch once the previous one is
   * listening. Rejects if a node fails to start or `signal` aborts; the nodes
   * already started keep running until stop(), which the caller must call.
   */
  async start (signal?: AbortSignal): Promise<void> {
    process.on('exit', this.killAllNow)
    this.keyDir ??= mkdtempSync(join(os.tmpdir(), 'peermon-swarm-keys-'))
    if (this.options.netns === true && this.lan === undefined) {
      // A namespace per process, numbered by its first node (a process per node: host i is node i).
      const groups = this.processGroups.map((group) => [...group].sort((a, b) => a - b)).sort((a, b) => a[0] - b[0])
      groups.forEach((group, host) => { for (const node of group) this.hostIndex[node] = host })
      this.lan = await NetnsLan.create({ hosts: groups.length })
    }
    if (this.lan !== undefined && this.latency === undefined && (this.options.latencyNodes ?? []).length > 0) {
      this.latency = await LanLatency.create(this.lan, this.options.latencyNodes ?? [], async (index) => await this.listenTarget(index))
    }
    if (this.packs.length === 0) this.spawnPacks()
    for (const batch of this.plan.batches) {
      signal?.throwIfAborted()
      const children = batch.map((index) => this.spawnNode(index))
      await abortable(Promise.all(children.map(async (child) =>
        await child.whenListening(this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS))), signal)
    }
  }

  /**
   * Starts one more node, after start(), that bootstraps to the nodes listed
   * (they must be listening); resolves once it listens. Its index is the next one.
   */
  async addNode (bootstraps: number[]): Promise<SwarmNode> {
    const index = this.nodes.length
    this.plan.bootstraps[index] = [...bootstraps]
    this.tables[index] = new PeerTable()
    const host = await this.lan?.addHost()
    if (host !== undefined) this.hostIndex[index] = host.index
    const child = this.spawnNode(index)
    await child.whenListening(this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS)
    return child
  }

  /**
   * Starts node `index` again after it ended (killed, stopped or crashed),
   * with the same identity (its key file), listen address and port (the one
   * it bound at its first start, now given explicitly) and bootstrap list, in
   * the same place: its own process, or its packed process. Resolves once it
   * listens; its peer table starts empty, as the daemon does.
   */
  async restart (index: number): Promise<SwarmNode> {
    const old = this.node(index)
    // A kill takes effect at once, but the process (or packed node) may need a moment to let go of its port.
    if (old.exit === undefined && !await exitsWithin(old.exited, 5000)) throw new Error(`node ${index} is still running (${describeExit(old.exit)}): only a node that ended can be restarted`)
    const pack = this.packOf.get(index)
    if (pack !== undefined && pack.exit !== undefined) throw new Error(`node ${index}: its packed process is gone (${describeExit(pack.exit)})`)
    const first = this.argsOf[index]
    const port = first === undefined ? undefined : boundPort(old.addrs, this.lan === undefined ? '127.0.0.1' : this.hostOf(index).address)
    if (first === undefined || port === undefined) throw new Error(`node ${index} never listened: nothing to restart it as`)
    const listen = first.indexOf('--listen') + 1
    const args = first.map((arg, i) => i === listen ? arg.replace(/\/tcp\/0$/, `/tcp/${port}`) : arg)
    this.tables[index] = new PeerTable()
    const child = this.spawnNode(index, args)
    await child.whenListening(this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS)
    return child
  }

  /** Node `index` (throws if it was not started). */
  node (index: number): SwarmNode {
    const child = this.nodes[index]
    if (child === undefined) throw new RangeError(`no node ${index}`)
    return child
  }

  /** Calls `listener` with every node's event lines from now on; returns the unsubscribe function. */
  onEvent (listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Resolves with the first event from now on that satisfies `predicate`. */
  async waitForEvent (predicate: (event: NodeEvent) => boolean, options: WaitOptions = {}): Promise<NodeEvent> {
    return await waitUntil<NodeEvent>((resolve) => this.onEvent((event) => { if (predicate(event)) resolve(event) }),
      options, 'the event')
  }

  /** Whether every node listed (default: all) has heard from every other listed node. */
  isFormed (indices: number[] = this.tables.map((_, i) => i)): boolean {
    const peers = indices.map((i) => this.nodes[i]?.peer)
    if (peers.some((p) => p === undefined)) return false
    return indices.every((i) => this.tables[i].hasAll(peers.filter((p) => p !== this.nodes[i].peer) as string[]))
  }

  /** Resolves once isFormed(); rejects after `timeoutMs` with the nodes that still miss peers. */
  async waitFormed (timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.isFormed()) return
    try {
      await waitUntil<void>((resolve) => this.onEvent(() => { if (this.isFormed()) resolve() }), { timeoutMs, signal }, 'the swarm to form')
    } catch (err) {
      if (signal?.aborted === true) throw err
      throw new Error(`the swarm did not form within ${timeoutMs} ms: ${this.formationGaps()}`)
    }
  }

  /** e.g. "node 3 has 7/9 peers, node 5 has 8/9 peers". */
  formationGaps (): string {
    const expected = this.options.nodes - 1
    const gaps = this.nodes
      .map((child, i) => ({ i, seen: this.tables[i].peers.size, child }))
      .filter(({ seen, child }) => seen < expected || child.exit !== undefined)
      .map(({ i, seen, child }) => child.exit !== undefined ? `node ${i} exited` : `node ${i} has ${seen}/${expected} peers`)
    return gaps.length === 0 ? 'all nodes have all peers' : gaps.join(', ')
  }

  /** Pids of the processes spawned so far, each once (packed nodes share theirs). */
  get pids (): number[] {
    const pids = new Set<number>()
    for (const child of this.nodes) if (child.pid !== undefined) pids.add(child.pid)
    for (const pack of this.packs) if (pack.pid !== undefined) pids.add(pack.pid)
    return [...pids]
  }

  /**
   * Stops every child (SIGCONT, SIGTERM, SIGKILL after 3 s) and waits until
   * all have exited, then removes the LAN, if any. Safe to call more than once
   * and after a failed start().
   */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await Promise.all([
          ...this.nodes.filter((child) => !child.packed).map(async (child) => await child.stop()),
          ...this.packs.map(async (pack) => await pack.stop())
        ])
      } finally {
        process.off('exit', this.killAllNow)
        this.removeKeys()
        await this.latency?.close()
        await this.lan?.destroy()
      }
    })()
    await this.stopping
  }

  /** Where node `index` listens (its LAN address and port), once it does; undefined if it never will. */
  private async listenTarget (index: number): Promise<{ host: string, port: number } | undefined> {
    const host = this.lan?.hosts[index]?.address
    const node = this.nodes[index]
    if (host === undefined || node === undefined) return undefined
    const info = await node.whenListening(this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS).catch(() => undefined)
    const port = info?.addrs.map((a) => /\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(a)).find((m) => m !== null && m[1] === host)?.[2]
    return port === undefined ? undefined : { host, port: Number(port) }
  }

  /** Spawns the packed processes (they load the code while the first nodes start). */
  private spawnPacks (): void {
    for (const group of this.processGroups) {
      for (const index of group) this.started.set(index, group)
      if (group.length < 2) continue
      const host = this.lan === undefined ? undefined : this.hostOf(group[0])
      const pack = new PackedProcess({
        index: this.packs.length,
        binPath: this.options.binPath,
        ...(host === undefined ? {} : { wrap: this.lan?.execPrefix(host.index), dialHost: host.address }),
        execArgv: this.options.packedExecArgv ?? supportedFlags(PACKED_EXEC_ARGV),
        env: this.options.env ?? daemonEnv(process.env),
        onStderr: this.options.onStderr
      })
      this.packs.push(pack)
      for (const index of group) this.packOf.set(index, pack)
    }
  }

  private removeKeys (): void {
    if (this.keyDir !== undefined) rmSync(this.keyDir, { recursive: true, force: true })
    this.keyDir = undefined
  }

  /** Starts node `index` with the daemon arguments of its first start (built here), or `again`'s (restart()). */
  private spawnNode (index: number, again?: string[]): SwarmNode {
    const args = again ?? this.firstArgs(index)
    this.argsOf[index] = args
    const host = this.lan === undefined ? undefined : this.hostOf(index)
    const nodeEnv = this.options.nodeEnv?.(index)
    const pack = this.packOf.get(index)
    const child = pack !== undefined
      ? pack.startNode(index, args, nodeEnv)
      : new DaemonChild({
        index,
        args,
        binPath: this.options.binPath,
        ...(host === undefined ? {} : { wrap: this.lan?.execPrefix(host.index), dialHost: host.address }),
        execArgv: this.options.execArgv ?? supportedFlags(DAEMON_EXEC_ARGV),
        env: { ...this.options.env ?? daemonEnv(process.env), ...nodeEnv },
        onStderr: this.options.onStderr === undefined ? undefined : (line) => { this.options.onStderr?.(index, line) }
      })
    this.nodes[index] = child
    child.onEvent((event) => {
      this.tables[index].apply(event.event)
      for (const listener of [...this.listeners]) listener(event)
    })
    return child
  }

  private firstArgs (index: number): string[] {
    const { intervalMs, ttlMs } = this.options
    const bootstrap = this.plan.bootstraps[index].flatMap((j) => {
      const addr = this.nodes[j]?.dialAddr
      return addr === undefined ? [] : ['--bootstrap', addr]
    })
    const extra = this.options.nodeArgs?.(index) ?? []
    const host = this.lan === undefined ? undefined : this.hostOf(index)
    // A key given by nodeArgs is the node's identity; otherwise one of its own in the swarm's key folder.
    const key = extra.some((arg) => arg === '--key' || arg.startsWith('--key=')) || this.keyDir === undefined ? [] : ['--key', join(this.keyDir, `node-${index}.key`)]
    return [
      '--json',
      '--listen', `/ip4/${host?.address ?? '127.0.0.1'}/tcp/0`,
      '--interval', `${intervalMs}ms`,
      '--ttl', `${ttlMs}ms`,
      // Many daemons on one host: none may take the HTTP API's default port, unless nodeArgs
      // gives a node an API of its own (e.g. `--api 127.0.0.1:0`; a second --api would be refused).
      ...(extra.some(arg => arg === '--api' || arg.startsWith('--api=')) ? [] : ['--api', 'off']),
      ...key,
      ...bootstrap,
      ...extra
    ]
  }
}
