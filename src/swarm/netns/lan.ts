/**
 * A virtual LAN of network namespaces, one per host (for a swarm: one per
 * process, whose nodes share it): a bridge of its own, a veth pair from each
 * host's namespace into it, one IPv4 address per host
 * (10.77.0.0/16, on this bridge only: the host gets no address and no route,
 * so nothing reaches or leaves the LAN), and faults on each node's link
 * (link-faults.ts says what each models). Needs root (CAP_NET_ADMIN and
 * CAP_SYS_ADMIN), `ip`, `tc` and `nft`.
 *
 * ```ts
 * const lan = await NetnsLan.create({ hosts: 4 })
 * try {
 *   spawn(lan.execPrefix(0)[0], [...lan.execPrefix(0).slice(1), 'node', 'server.js', lan.host(0).address])
 *   await lan.cut(2)
 *   await lan.heal(2)
 * } finally {
 *   await lan.destroy()
 * }
 * ```
 *
 * Everything it creates is named after the launcher's pid (names.ts) and
 * removed by destroy(), by a process 'exit' handler, and on SIGINT, SIGTERM and
 * SIGHUP when nobody else handles them (the signal is raised again afterwards,
 * so the process still ends the way it would have). The leftovers of a
 * launcher that could not clean up (SIGKILL) are removed by the next create()
 * on the machine, processes still running in them included. A host with
 * br_netfilter loaded and a FORWARD policy of drop (Docker sets one) also
 * filters bridged traffic: the nodes would not reach each other.
 */
import { removeLeftovers, removeOwnedBy, removeOwnedBySync } from './cleanup.js'
import { bridgeName, hostName, MAX_LAN_HOSTS } from './names.js'
import { assertNetnsAvailable, runTool } from './tools.js'
import { checkLossPercent, checkRate, DEFAULT_QUEUE_MS, FAULT_TABLE, linkCounters, NO_FAULTS, nftScript, tbfArgs, type LinkCounters, type LinkFaults, type LossDirection } from './link-faults.js'

/** The node's interface towards the bridge, inside its namespace. */
export const LAN_IFACE = 'eth0'
/** The LAN's prefix: private, on the LAN's own bridge only. */
export const LAN_PREFIX = '10.77'
export const LAN_PREFIX_LENGTH = 16

const EXIT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export interface LanHost {
  index: number
  /** Its network namespace, e.g. `pm-4242-0`. */
  namespace: string
  /** Its IPv4 address on the LAN, e.g. `10.77.0.1`. */
  address: string
  /** The host end of its veth pair, plugged into the bridge (same name as the namespace). */
  link: string
}

export interface NetnsLanOptions {
  /** Namespaces to make now (more with addHost()). */
  hosts: number
}

/** Node `index`'s address: 10.77.0.1 for node 0, and on (10.77.1.0 is node 255). */
export function lanAddress (index: number): string {
  const n = index + 1
  return `${LAN_PREFIX}.${Math.floor(n / 256)}.${n % 256}`
}

export class NetnsLan {
  /** One LAN per process at a time: the names carry only the pid. */
  private static current: NetnsLan | undefined

  /** Pid of the launcher whose names these are. */
  readonly owner = process.pid
  readonly bridge = bridgeName(process.pid)
  readonly hosts: LanHost[] = []

  private readonly faults: LinkFaults[] = []
  /** Per host: the fault changes in flight, one after another. */
  private readonly applying: Array<Promise<void>> = []
  private destroyed = false
  private readonly onExit = (): void => { this.destroySync() }
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    // Someone else handles the signal (e.g. `peermon swarm`): they stop and destroy() in their own time.
    if (process.listenerCount(signal) > 1) return
    this.destroySync()
    process.kill(process.pid, signal)
  }

  private constructor () {}

  /**
   * Checks root and the tools (NetnsUnavailableError: one line for the
   * operator), removes the leftovers of dead launchers, and makes the bridge
   * and `hosts` namespaces. What was made is removed again if a step fails.
   */
  static async create (options: NetnsLanOptions): Promise<NetnsLan> {
    assertNetnsAvailable()
    if (NetnsLan.current !== undefined) throw new Error('a network-namespace LAN is already running in this process; destroy() it first')
    const lan = new NetnsLan()
    NetnsLan.current = lan
    process.on('exit', lan.onExit)
    for (const signal of EXIT_SIGNALS) process.on(signal, lan.onSignal)
    try {
      await removeLeftovers()
      // Our own pid's names can only be a LAN of this process that failed to clean up.
      await removeOwnedBy(lan.owner)
      await runTool('ip', ['-batch', '-'], [
        `link add ${lan.bridge} type bridge`,
        `link set ${lan.bridge} addrgenmode none`,
        `link set ${lan.bridge} up`
      ].join('\n'))
      for (let i = 0; i < options.hosts; i++) await lan.addHost()
    } catch (err) {
      await lan.destroy()
      throw err
    }
    return lan
  }

  /** Makes the next node's namespace, veth pair and address; resolves with it. */
  async addHost (): Promise<LanHost> {
    if (this.destroyed) throw new Error('the LAN was destroyed')
    const index = this.hosts.length
    if (index >= MAX_LAN_HOSTS) throw new RangeError(`a LAN holds at most ${MAX_LAN_HOSTS} nodes`)
    const name = hostName(this.owner, index)
    const host: LanHost = { index, namespace: name, address: lanAddress(index), link: name }
    this.hosts.push(host)
    this.faults.push(NO_FAULTS)
    this.applying.push(Promise.resolve())
    // No IPv6 link-local addresses anywhere (addrgenmode none): no DAD, no router solicitations, IPv4 only.
    await runTool('ip', ['-batch', '-'], [
      `netns add ${name}`,
      `link add ${name} type veth peer name ${LAN_IFACE} netns ${name}`,
      `link set ${name} addrgenmode none`,
      `link set ${name} master ${this.bridge} up`
    ].join('\n'))
    await runTool('ip', ['-n', name, '-batch', '-'], [
      'link set lo up',
      `link set ${LAN_IFACE} addrgenmode none`,
      `addr add ${host.address}/${LAN_PREFIX_LENGTH} dev ${LAN_IFACE}`,
      `link set ${LAN_IFACE} up`
    ].join('\n'))
    return host
  }

  host (index: number): LanHost {
    const host = this.hosts[index]
    if (host === undefined) throw new RangeError(`no node ${index} on the LAN`)
    return host
  }

  /**
   * The command prefix that runs a program in node `index`'s namespace:
   * `ip netns exec <namespace>`, which enters it and executes the program in
   * its own place (same pid, so signals reach the program).
   */
  execPrefix (index: number): string[] {
    return ['ip', 'netns', 'exec', this.host(index).namespace]
  }

  /** The faults on node `index`'s link now. */
  faultsOf (index: number): LinkFaults {
    this.host(index)
    return this.faults[index]
  }

  /** Cuts node `index` off: every packet of its link dropped, both ways (link-faults.ts: cut). */
  async cut (index: number): Promise<void> {
    await this.change(index, (f) => ({ ...f, cut: true }))
  }

  /** Random loss of `percent` % of node `index`'s packets, in `direction` (default both; link-faults.ts: loss). */
  async loss (index: number, percent: number, direction: LossDirection = 'both'): Promise<void> {
    checkLossPercent(percent)
    await this.change(index, (f) => ({ ...f, loss: { percent, direction } }))
  }

  /** Narrows node `index`'s link to `kbit` kbit/s each way, with a queue of `queueMs` (link-faults.ts: rate). */
  async rate (index: number, kbit: number, queueMs = DEFAULT_QUEUE_MS): Promise<void> {
    checkRate({ kbit, queueMs })
    await this.change(index, (f) => ({ ...f, rate: { kbit, queueMs } }))
  }

  /**
   * Splits the LAN: a node of one group can neither reach nor hear the nodes
   * of the other groups (link-faults.ts: partition); nodes in no group reach
   * everyone. Replaces the previous partition; `partition([])` ends it.
   */
  async partition (groups: ReadonlyArray<readonly number[]>): Promise<void> {
    const groupOf = new Map<number, number>()
    groups.forEach((group, g) => {
      for (const index of group) {
        this.host(index)
        if (groupOf.has(index)) throw new RangeError(`partition: node ${index} is in more than one group`)
        groupOf.set(index, g)
      }
    })
    await Promise.all(this.hosts.map(async ({ index }) => {
      const own = groupOf.get(index)
      const blocked = own === undefined
        ? []
        : this.hosts.filter((h) => groupOf.has(h.index) && groupOf.get(h.index) !== own).map((h) => h.address)
      await this.change(index, (f) => ({ ...f, blocked }))
    }))
  }

  /**
   * Heals node `index`'s link (its cut, loss and rate; a partition stays), or
   * with no index every link and the partition.
   */
  async heal (index?: number): Promise<void> {
    if (index !== undefined) {
      await this.change(index, (f) => ({ ...NO_FAULTS, blocked: f.blocked }))
      return
    }
    await Promise.all(this.hosts.map(async (h) => { await this.change(h.index, () => NO_FAULTS) }))
  }

  /** IPv4 packets node `index`'s link saw and dropped since its faults were last changed (zeros on a healthy link). */
  async counters (index: number): Promise<LinkCounters> {
    const host = this.host(index)
    await this.applying[index].catch(() => {})
    const faults = this.faults[index]
    if (!faults.cut && faults.blocked.length === 0 && faults.loss === undefined) return linkCounters('')
    return linkCounters(await runTool('ip', ['netns', 'exec', host.namespace, 'nft', '-j', 'list', 'table', 'inet', FAULT_TABLE]))
  }

  /**
   * Removes the bridge, every namespace (killing what still runs in it) and
   * veth pair; their fault rules and queues go with them. Safe to call more
   * than once. Stop the programs running in the namespaces first to let them
   * end cleanly.
   */
  async destroy (): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    this.release()
    await Promise.allSettled(this.applying)
    await removeOwnedBy(this.owner)
  }

  /** destroy(), synchronously: for exit and signal handlers. */
  destroySync (): void {
    if (this.destroyed) return
    this.destroyed = true
    this.release()
    removeOwnedBySync(this.owner)
  }

  private release (): void {
    process.off('exit', this.onExit)
    for (const signal of EXIT_SIGNALS) process.off(signal, this.onSignal)
    if (NetnsLan.current === this) NetnsLan.current = undefined
  }

  /** Sets node `index`'s faults to `update(current)` and applies them, after any change in flight for it. */
  private async change (index: number, update: (faults: LinkFaults) => LinkFaults): Promise<void> {
    const host = this.host(index)
    if (this.destroyed) throw new Error('the LAN was destroyed')
    const before = this.faults[index]
    const after = update(before)
    this.faults[index] = after
    const step = this.applying[index].catch(() => {}).then(async () => {
      await runTool('ip', ['netns', 'exec', host.namespace, 'nft', '-f', '-'], nftScript(after, LAN_IFACE))
      if (!sameRate(before, after)) {
        // Both ends of the veth pair: the node's sending side and its receiving side.
        await runTool('tc', ['-n', host.namespace, ...tbfArgs(LAN_IFACE, after.rate)])
        await runTool('tc', tbfArgs(host.link, after.rate))
      }
    })
    this.applying[index] = step
    await step
  }
}

function sameRate (a: LinkFaults, b: LinkFaults): boolean {
  return a.rate?.kbit === b.rate?.kbit && a.rate?.queueMs === b.rate?.queueMs
}
