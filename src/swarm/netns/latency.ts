/**
 * Latency and jitter on the links of a network-namespace LAN (lan.ts) whose
 * kernel has no `netem` qdisc: the launcher relays every TCP connection to or
 * from the slowed nodes through a LatencyRelay (latency-relay.ts) of its own,
 * which holds back what a node sends by its delay ± jitter.
 *
 * How: the bridge gets one address, RELAY_ADDRESS, on which the relay listens
 * (a port per destination node); in each node's namespace, an nftables rule
 * per destination rewrites new TCP connections to it (output hook, DNAT) to
 * the relay's port for that node: in a slowed node's namespace for every
 * other node, in the others' for each slowed node. The relay dials the
 * destination from RELAY_ADDRESS. The rules must be in place before the nodes
 * connect (DNAT acts on new connections only): create() comes before they
 * start, with no delay until setDelay().
 *
 * What it models: a one-way delay (and jitter, uniform in ± jitter) on every
 * byte a slowed node sends over TCP, as netem on its link would add, except
 * that bytes are never reordered (a chunk that drew a short delay waits for
 * the one before it, like netem with a rate). What it does not: each TCP
 * connection becomes two, node to relay and relay to node, each with a
 * sub-millisecond round trip: retransmissions, congestion windows and RTT
 * estimates never see the delay (a real 200 ms path grows windows slowly and
 * retransmits after 200+ ms); connection set-up is not delayed (the relay
 * accepts at once, and dials on), and a destination that cannot be reached
 * shows as a reset instead of a hanging SYN; UDP and other protocols are not
 * relayed; the relay runs in the launcher and costs its CPU (docs/benchmarks.md);
 * nodes added after create() are not relayed; one LAN with a relay per machine at
 * a time (the host routes the LAN's addresses to its bridge). The nodes see the relay's
 * address as the remote end of connections it dialled to them. Cut, loss and
 * rate act on each half of a relayed connection at the node's end; a partition
 * drops relayed connections at the dialling node (link-faults.ts matches
 * their original destination).
 *
 * A host with netem could delay the node's veth instead (`tc qdisc add dev
 * <veth> root netem delay 200ms 50ms`), with real TCP dynamics; this relay is
 * the path that works without it.
 */
import { LatencyRelay, type RelayTarget } from './latency-relay.js'
import { NO_DELAY, type LinkDelay } from './delay-queue.js'
import { LAN_PREFIX, LAN_PREFIX_LENGTH, type NetnsLan } from './lan.js'
import { runTool } from './tools.js'

/** The bridge's own address while a relay runs (far from node addresses: node 65533 would have it). */
export const RELAY_ADDRESS = `${LAN_PREFIX}.255.254`
/** The nftables table of the relay rules in a node's namespace. */
export const LATENCY_TABLE = 'peermon_latency'

/**
 * The nft script for one namespace: new TCP connections to each address of
 * `redirect` go to the relay's port for it; no other connection to the
 * relay's address can be opened from the namespace (the host's other services
 * stay out of the LAN's reach).
 */
export function relayNftScript (redirect: ReadonlyArray<{ address: string, port: number }>, relayAddress: string, relayPorts: readonly number[]): string {
  const check = (address: string): string => {
    if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(address)) throw new RangeError(`latency: expected an IPv4 address, got ${JSON.stringify(address)}`)
    return address
  }
  const port = (p: number): number => {
    if (!(Number.isInteger(p) && p > 0 && p < 65536)) throw new RangeError(`latency: expected a port, got ${p}`)
    return p
  }
  const relay = check(relayAddress)
  return [
    `add table ip ${LATENCY_TABLE}`,
    `delete table ip ${LATENCY_TABLE}`,
    `table ip ${LATENCY_TABLE} {`,
    '  chain relay {',
    '    type nat hook output priority -100; policy accept;',
    ...redirect.map((r) => `    ip daddr ${check(r.address)} meta l4proto tcp dnat to ${relay}:${port(r.port)}`),
    '  }',
    '  chain guard {',
    '    type filter hook output priority filter; policy accept;',
    // The node's side of connections the relay dialled to it: replies, not new connections.
    `    ip daddr ${relay} ct state established,related accept`,
    ...(relayPorts.length > 0 ? [`    ip daddr ${relay} tcp dport { ${relayPorts.map(port).join(', ')} } accept`] : []),
    `    ip daddr ${relay} drop`,
    '  }',
    '}',
    ''
  ].join('\n')
}

/** The nodes whose connections with `index` go through the relay: all others if `index` is slowed, else the slowed ones. */
export function relayedPeers (index: number, slowed: ReadonlySet<number>, hosts: number): number[] {
  const all = Array.from({ length: hosts }, (_, i) => i).filter((i) => i !== index)
  return slowed.has(index) ? all : all.filter((i) => slowed.has(i))
}

export class LanLatency {
  private constructor (
    readonly relay: LatencyRelay,
    /** The nodes whose connections are relayed, and can be slowed. */
    readonly nodes: ReadonlySet<number>,
    private readonly lan: NetnsLan
  ) {}

  /**
   * Relays every TCP connection of `nodes` (node indices of `lan`, whose
   * nodes have not started yet) through a relay of this process; `target`
   * says where a node listens, once it does. No delay until setDelay().
   */
  static async create (lan: NetnsLan, nodes: readonly number[], target: (index: number) => Promise<RelayTarget | undefined>): Promise<LanLatency> {
    const slowed = new Set(nodes)
    for (const index of slowed) lan.host(index)
    // Every LAN uses the same addresses: the host can route them to one bridge only.
    const taken = (await runTool('ip', ['-4', '-o', 'addr', 'show', 'to', `${RELAY_ADDRESS}/32`])).trim()
    if (taken !== '') throw new Error(`latency: another LAN on this machine already relays (${RELAY_ADDRESS} is on ${taken.split(/\s+/)[1]}); run one swarm with latency steps at a time`)
    await runTool('ip', ['addr', 'add', `${RELAY_ADDRESS}/${LAN_PREFIX_LENGTH}`, 'dev', lan.bridge])
    const destinations = lan.hosts.map((h) => h.index).filter((i) => relayedPeers(i, slowed, lan.hosts.length).length > 0)
    const relay = await LatencyRelay.listen({ listenAddress: RELAY_ADDRESS, addresses: lan.hosts.map((h) => h.address), target }, destinations)
    const latency = new LanLatency(relay, slowed, lan)
    try {
      const ports = destinations.map((i) => relay.port(i))
      await Promise.all(lan.hosts.map(async (host) => {
        const redirect = relayedPeers(host.index, slowed, lan.hosts.length).map((j) => ({ address: lan.host(j).address, port: relay.port(j) }))
        await runTool('ip', ['netns', 'exec', host.namespace, 'nft', '-f', '-'], relayNftScript(redirect, RELAY_ADDRESS, ports))
      }))
    } catch (err) {
      await latency.close()
      throw err
    }
    return latency
  }

  /** Delays what node `index` sends by `delay` from now on. */
  setDelay (index: number, delay: LinkDelay): void {
    if (!this.nodes.has(index)) throw new RangeError(`latency: node ${index}'s connections are not relayed (only ${[...this.nodes].join(', ')}: name a node before the swarm starts)`)
    this.relay.setDelay(index, delay)
  }

  /** Removes node `index`'s delay, or every node's. */
  heal (index?: number): void {
    for (const i of index === undefined ? this.nodes : [index]) if (this.nodes.has(i)) this.relay.setDelay(i, NO_DELAY)
  }

  /**
   * Stops the relay (its connections reset) and removes the bridge's address.
   * The namespaces' rules go with the namespaces (NetnsLan.destroy()).
   */
  async close (): Promise<void> {
    await this.relay.close()
    await runTool('ip', ['addr', 'del', `${RELAY_ADDRESS}/${LAN_PREFIX_LENGTH}`, 'dev', this.lan.bridge]).catch(() => {})
  }
}
