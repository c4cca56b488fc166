/**
 * The faults of one node's network link, as state, and the rules that make
 * them: an nftables ruleset for the node's own namespace (cut, partition,
 * loss) and `tc` token-bucket filters for a narrow link (rate). Pure: the LAN
 * (lan.ts) runs what these functions write. What each fault models, and what
 * it does not:
 *
 * - **cut**: the node's network goes dark beyond its interface, as when the
 *   cable is pulled at the switch or the switch port dies. Every packet in and
 *   out of its interface is dropped silently, ARP included; loopback still works.
 *   The node's interface keeps its carrier and nothing tells its stack: no RST,
 *   no ICMP, no error on send. Open TCP connections retransmit with growing
 *   back-off and time out on their own (Linux: tcp_retries2, about 15 minutes)
 *   unless the application gives up first; new connections hang in SYN-SENT.
 *   After a heal, the retransmissions go through: how soon depends on the
 *   back-off reached (seconds after a 20 s cut). It does not model a carrier
 *   loss the node could see (`ip link set ... down` would).
 * - **partition**: the node can neither reach nor hear the addresses listed (a
 *   firewall between groups of nodes, e.g. both sides of a split brain): IPv4
 *   packets from and to them are dropped silently, both ways. ARP still works
 *   across it; the node still talks to everyone not listed. Connections the
 *   latency relay carries are dropped at the node that opened them, by their
 *   original destination.
 * - **loss**: each IPv4 packet of the node's link is dropped with probability
 *   `percent` %, independently (nftables `numgen random`), in the direction(s)
 *   chosen: `in` (received), `out` (sent) or `both`, each direction drawing on
 *   its own, so `both` at 10 % loses about 19 % of request-reply pairs. It does
 *   not model burst losses (Gilbert-Elliott), reordering, duplication or
 *   corruption; ARP is not affected.
 * - **rate**: the link carries at most `kbit` kbit/s each way, with a FIFO of
 *   `queueMs` in front (tc tbf on both ends of the veth pair): a queue builds
 *   and delay grows only while the node sends or receives faster than that,
 *   and packets beyond the queue are dropped (tail drop). It does not add a fixed
 *   propagation delay or jitter: this kernel has no `netem` qdisc, so no fault
 *   here adds latency to an idle link; the latency relay does, for TCP
 *   (latency.ts).
 */

export type LossDirection = 'in' | 'out' | 'both'
export const LOSS_DIRECTIONS: readonly LossDirection[] = ['in', 'out', 'both']

export interface LinkLoss {
  /** Whole percent of packets dropped, 1..100. */
  percent: number
  direction: LossDirection
}

export interface LinkRate {
  /** Link capacity each way, in kbit/s (1000 bit/s), >= 8. */
  kbit: number
  /** How long a packet may wait in the link's queue before it is dropped instead (ms). */
  queueMs: number
}

/** Every fault of one node's link; NO_FAULTS is a healthy link. */
export interface LinkFaults {
  cut: boolean
  /** IPv4 addresses the node can neither reach nor hear. */
  blocked: readonly string[]
  loss?: LinkLoss
  rate?: LinkRate
}

export const NO_FAULTS: LinkFaults = Object.freeze({ cut: false, blocked: Object.freeze([]) as readonly string[] })

/** The nftables tables a LAN owns inside a node's namespace. */
export const FAULT_TABLE = 'peermon_faults'

/** Default queue of a narrow link: packets wait up to this long. */
export const DEFAULT_QUEUE_MS = 200

/** The smallest token bucket: one full-size Ethernet frame and then some. */
const MIN_BURST_BYTES = 3000

/** Throws a RangeError unless `percent` is a whole number from 1 to 100. */
export function checkLossPercent (percent: number): void {
  if (!(Number.isInteger(percent) && percent >= 1 && percent <= 100)) throw new RangeError(`loss: expected a whole percent from 1 to 100, got ${percent}`)
}

/** Throws a RangeError unless `rate` is a link tbf can make. */
export function checkRate (rate: LinkRate): void {
  if (!(Number.isInteger(rate.kbit) && rate.kbit >= 8 && rate.kbit <= 10_000_000)) throw new RangeError(`rate: expected whole kbit/s from 8 to 10000000, got ${rate.kbit}`)
  if (!(Number.isInteger(rate.queueMs) && rate.queueMs >= 1 && rate.queueMs <= 60_000)) throw new RangeError(`rate: expected a queue of 1 to 60000 ms, got ${rate.queueMs}`)
}

/**
 * The nft script that replaces the LAN's tables in a node's namespace with
 * those `faults` need, atomically (`nft -f -` applies a script as one
 * transaction): no table at all for a healthy link. `iface` is the node's
 * interface towards the bridge.
 */
export function nftScript (faults: LinkFaults, iface: string): string {
  const lines = [
    // Create then delete: removes the tables whether or not they exist.
    `add table inet ${FAULT_TABLE}`,
    `delete table inet ${FAULT_TABLE}`,
    `add table arp ${FAULT_TABLE}`,
    `delete table arp ${FAULT_TABLE}`
  ]
  const input: string[] = []
  const output: string[] = []
  const dev = JSON.stringify(iface)
  if (faults.cut) {
    input.push(`iifname ${dev} counter drop`)
    output.push(`oifname ${dev} counter drop`)
  } else {
    if (faults.blocked.length > 0) {
      const set = `{ ${faults.blocked.map(checkAddress).join(', ')} }`
      input.push(`iifname ${dev} ip saddr ${set} counter drop`)
      output.push(`oifname ${dev} ip daddr ${set} counter drop`)
      // A connection the latency relay carries (latency.ts) leaves for the relay's address: its original destination decides.
      output.push(`oifname ${dev} ct original ip daddr ${set} counter drop`)
    }
    if (faults.loss !== undefined) {
      checkLossPercent(faults.loss.percent)
      const rule = `numgen random mod 100 < ${faults.loss.percent} counter drop`
      if (faults.loss.direction !== 'out') input.push(`iifname ${dev} ${rule}`)
      if (faults.loss.direction !== 'in') output.push(`oifname ${dev} ${rule}`)
    }
  }
  if (input.length + output.length > 0) {
    // Each chain's first rule counts every IPv4 packet of the interface; the drop rules count theirs (linkCounters).
    lines.push(`table inet ${FAULT_TABLE} {`,
      ...chain('input', [`iifname ${dev} counter`, ...input]),
      ...chain('output', [`oifname ${dev} counter`, ...output]),
      '}')
  }
  if (faults.cut) {
    lines.push(`table arp ${FAULT_TABLE} {`,
      ...chain('input', [`iifname ${dev} drop`]),
      ...chain('output', [`oifname ${dev} drop`]),
      '}')
  }
  return `${lines.join('\n')}\n`
}

/** IPv4 packets a node's link saw and dropped since its fault rules were last set (0 without faults). */
export interface LinkCounters {
  seenIn: number
  droppedIn: number
  seenOut: number
  droppedOut: number
}

/**
 * The counters of the LAN's table in `nft -j list table inet <FAULT_TABLE>`
 * output: the first rule of a chain counts every packet, the others the packets
 * they dropped.
 */
export function linkCounters (nftJson: string): LinkCounters {
  const counters: LinkCounters = { seenIn: 0, droppedIn: 0, seenOut: 0, droppedOut: 0 }
  let items: unknown[] = []
  try {
    items = (JSON.parse(nftJson) as { nftables?: unknown[] }).nftables ?? []
  } catch {
    return counters
  }
  const firstSeen = new Set<string>()
  for (const item of items) {
    const rule = (item as { rule?: { chain?: string, expr?: Array<{ counter?: { packets?: number } }> } }).rule
    if (rule === undefined || (rule.chain !== 'input' && rule.chain !== 'output')) continue
    const packets = rule.expr?.find((e) => e.counter !== undefined)?.counter?.packets ?? 0
    const way = rule.chain === 'input' ? 'In' : 'Out'
    if (!firstSeen.has(rule.chain)) {
      firstSeen.add(rule.chain)
      counters[`seen${way}`] += packets
    } else {
      counters[`dropped${way}`] += packets
    }
  }
  return counters
}

function chain (hook: 'input' | 'output', rules: string[]): string[] {
  return [
    `  chain ${hook} {`,
    `    type filter hook ${hook} priority filter; policy accept;`,
    ...rules.map((rule) => `    ${rule}`),
    '  }'
  ]
}

/**
 * `tc` arguments that put a token bucket of `rate` on `dev`'s egress (the
 * LAN puts one on each end of a node's veth pair: both directions), or remove
 * it when `rate` is undefined.
 */
export function tbfArgs (dev: string, rate: LinkRate | undefined): string[] {
  if (rate === undefined) return ['qdisc', 'del', 'dev', dev, 'root']
  checkRate(rate)
  // The bucket holds at least one frame (tbf drops larger packets) and 20 ms of traffic at the rate.
  const burstBytes = Math.max(MIN_BURST_BYTES, Math.ceil(rate.kbit * 1000 / 8 / 50))
  return ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${rate.kbit}kbit`, 'burst', `${burstBytes}`, 'latency', `${rate.queueMs}ms`]
}

function checkAddress (address: string): string {
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(address)) throw new RangeError(`partition: expected an IPv4 address, got ${JSON.stringify(address)}`)
  return address
}
