/**
 * Network faults on a swarm of daemons in network namespaces (needs root,
 * `ip`, `tc`, `nft`): one node's link cut, lossy or narrow for a while, or the
 * swarm split in two halves; then healed. Per node: its alerts across the
 * fault (for peers the fault lies between it and) and its false alerts (for
 * peers it still had a healthy path to), lost peers it never alerted for, the
 * time to its first alert, and the recovery after the heal. What each fault
 * models: src/swarm/netns/link-faults.ts.
 *
 *   node dist/bench/netfaults.js --fault cut|loss|rate|split [--nodes 6] [--interval 1s] [--ttl 3s]
 *     [--for 20s] [--loss 10] [--direction both] [--kbit 64] [--node <i>] [--seed 1] [--json]
 */
import { ConfigError } from '../src/config-error.js'
import { defaultTtlMs } from '../src/constants.js'
import { choiceValue, durationValue, parseFlags, wantsHelp, wholeNumberValue } from '../src/flags.js'
import type { NodeEvent } from '../src/swarm/nodes/daemon-child.js'
import { Swarm } from '../src/swarm/launch/launcher.js'
import { LOSS_DIRECTIONS, type LinkCounters, type LossDirection } from '../src/swarm/netns/link-faults.js'
import { netnsUnavailableReason } from '../src/swarm/netns/tools.js'
import { seededRandom } from '../src/swarm/launch/random.js'
import { adjacencyOf, removableNodes } from '../src/swarm/launch/topology.js'
import { machineLine } from './lib/machine.js'
import { fmt, renderText, type Table } from './lib/table.js'

const HELP = `Usage: node dist/bench/netfaults.js --fault cut|loss|rate|split [options]

Starts N daemons, each in its own network namespace, waits until every node
hears every other and 2 TTLs more, then cuts one node's link (every packet
dropped, both ways), makes it lossy or narrow, or splits the swarm in two
halves (split: no traffic between them), for --for; heals it and watches until
everything recovered (at most 3 TTLs + 10 s). Prints per node the alerts raised.
Needs root, ip, tc and nft.

Options:
  --fault <cut|loss|rate|split>  the fault (required)
  --nodes <n>              daemons (default 6)
  --interval <duration>    daemons' publish interval (default 1s)
  --ttl <duration>         daemons' metric TTL (default 3 x interval)
  --for <duration>         how long the fault lasts (default: cut 20s, loss 60s)
  --loss <percent>         loss: whole percent of packets dropped (default 10)
  --direction <in|out|both>  loss: which way (default both, each drawn on its own)
  --kbit <n>               rate: the link's capacity each way, kbit/s (default 64;
                           a 200 ms queue in front)
  --node <i>               the faulty node (default: one whose loss keeps the
                           bootstrap graph connected, chosen by the seed)
  --seed <n>               seed of the bootstrap graph and the choice (default 1)
  --per-process <n>        daemons per process, one network namespace per process
                           (default 1; the faulty node, or each half of a split,
                           is packed apart from the rest)
  --local-health <on|off>  the daemons' --local-health (default on)
  --json                   one JSON object after the tables
  -h, --help               this help
`

const FLAGS = {
  fault: { value: '<cut|loss|rate|split>' },
  nodes: { value: '<n>' },
  interval: { value: '<duration>' },
  ttl: { value: '<duration>' },
  for: { value: '<duration>' },
  loss: { value: '<percent>' },
  direction: { value: '<in|out|both>' },
  kbit: { value: '<n>' },
  node: { value: '<i>' },
  seed: { value: '<n>' },
  'per-process': { value: '<n>' },
  'local-health': { value: '<on|off>' },
  json: {},
  help: { short: 'h' }
} as const

interface Options {
  fault: 'cut' | 'loss' | 'rate' | 'split'
  nodes: number
  intervalMs: number
  ttlMs: number
  forMs: number
  percent: number
  direction: LossDirection
  kbit: number
  node?: number
  seed: number
  perProcess: number
  /** The daemons' --local-health. */
  localHealth: 'on' | 'off'
  json: boolean
}

function parse (argv: readonly string[]): Options {
  const { values } = parseFlags(argv, FLAGS, { help: 'node dist/bench/netfaults.js --help' })
  if (values.fault === undefined) throw new ConfigError('--fault: required, cut, loss, rate or split')
  const fault = choiceValue('--fault', values.fault, ['cut', 'loss', 'rate', 'split'] as const)
  const nodes = values.nodes === undefined ? 6 : wholeNumberValue('--nodes', values.nodes, 2, 200)
  const intervalMs = values.interval === undefined ? 1000 : durationValue('--interval', values.interval, { min: 100, max: 3_600_000 })
  const ttlMs = values.ttl === undefined ? defaultTtlMs(intervalMs) : durationValue('--ttl', values.ttl, { min: 1.5 * intervalMs })
  if (values.loss !== undefined && fault !== 'loss') throw new ConfigError('--loss: only applies to --fault loss')
  if (values.direction !== undefined && fault !== 'loss') throw new ConfigError('--direction: only applies to --fault loss')
  if (values.kbit !== undefined && fault !== 'rate') throw new ConfigError('--kbit: only applies to --fault rate')
  if (values.node !== undefined && fault === 'split') throw new ConfigError('--node: does not apply to --fault split')
  const node = values.node === undefined ? undefined : wholeNumberValue('--node', values.node, 0, nodes - 1)
  return {
    fault,
    nodes,
    intervalMs,
    ttlMs,
    forMs: values.for === undefined ? (fault === 'cut' ? 20_000 : 60_000) : durationValue('--for', values.for, { min: 1 }),
    percent: values.loss === undefined ? 10 : wholeNumberValue('--loss', values.loss, 1, 100),
    direction: values.direction === undefined ? 'both' : choiceValue('--direction', values.direction, LOSS_DIRECTIONS),
    kbit: values.kbit === undefined ? 64 : wholeNumberValue('--kbit', values.kbit, 8, 10_000_000),
    ...(node === undefined ? {} : { node }),
    seed: values.seed === undefined ? 1 : wholeNumberValue('--seed', values.seed, 0, 2 ** 32 - 1),
    perProcess: values['per-process'] === undefined ? 1 : wholeNumberValue('--per-process', values['per-process'], 1, 200),
    localHealth: values['local-health'] === undefined ? 'on' : choiceValue('--local-health', values['local-health'], ['on', 'off'] as const),
    json: values.json === true
  }
}

export interface NodeAlerts {
  node: number
  /** Its side of a split (0 or 1), or whether it is the faulty node. */
  role: string
  /** Alerts for peers the fault is between it and (cut: the faulty node and everyone; split: the other side). */
  across: number
  /** Alerts for peers it still had a healthy path to: false alerts. */
  within: number
  /** Peers across the fault it never alerted for (cut, split). */
  missed: number
  /** From the fault to its first alert across it (ms). */
  firstAlertMs?: number
  /** Its own `isolated` and `degraded` events across the fault (local health). */
  isolated: number
  degraded: number
  /** Alerts still open when the run ended. */
  unrecovered: number
}

export interface NetFaultResult {
  fault: string
  /** The faulty node, or the two sides of a split. */
  where: string
  nodes: number
  intervalMs: number
  ttlMs: number
  forMs: number
  seed: number
  localHealth: 'on' | 'off'
  /** Whether the fault takes paths away (cut, split) rather than degrading them (loss, rate). */
  severs: boolean
  /** The faulty node's link: IPv4 packets seen and dropped during the fault (cut and loss). */
  counters?: LinkCounters
  /** Alerts raised after formation, before the fault, all nodes. */
  alertsBefore: number
  /** Peer alerts still open when the link was healed, all nodes. */
  openAtHeal: number
  perNode: NodeAlerts[]
  /** From the heal to the last `recovered` (ms); undefined if something never recovered. */
  recoveredAfterHealMs?: number
  machine: string
}

async function run (options: Options): Promise<NetFaultResult> {
  const reason = netnsUnavailableReason()
  if (reason !== undefined) throw new ConfigError(reason)
  const log = (line: string): void => { process.stderr.write(`netfaults: ${line}\n`) }
  const swarm = new Swarm({
    nodes: options.nodes, intervalMs: options.intervalMs, ttlMs: options.ttlMs, seed: options.seed, netns: true, readyTimeoutMs: 120_000, perProcess: options.perProcess,
    nodeArgs: () => ['--local-health', options.localHealth]
  })
  const events: NodeEvent[] = []
  const KEPT = new Set(['alert', 'recovered', 'isolated', 'reconnected', 'degraded'])
  swarm.onEvent((event) => { if (KEPT.has(event.event.event)) events.push(event) })
  const stop = (): void => { void swarm.stop().finally(() => { process.exit(130) }) }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  // A fault acts on a namespace, i.e. on every node of a process: the faulty node runs alone, each half of a split packed apart.
  const faulty = options.node ?? seededRandom(options.seed ^ 0x5eed).pick(removableNodes(adjacencyOf(swarm.plan)))
  const half = Math.ceil(options.nodes / 2)
  const sideOf = (i: number): number => i < half ? 0 : 1
  const all = Array.from({ length: options.nodes }, (_, i) => i)
  const sides = [all.filter((i) => sideOf(i) === 0), all.filter((i) => sideOf(i) === 1)]
  if (options.fault === 'split') swarm.keepApart(sides)
  else swarm.keepAlone(faulty)
  try {
    log(`starting ${options.nodes} daemons in network namespaces (interval ${options.intervalMs} ms, ttl ${options.ttlMs} ms, seed ${options.seed})`)
    await swarm.start()
    await swarm.waitFormed(60_000 + 5000 * options.nodes)
    const formedAt = Date.now()
    await sleep(2 * options.ttlMs)
    const lan = swarm.lan
    if (lan === undefined) throw new Error('no LAN')
    const host = swarm.hostOf(faulty).index
    /** Whether the fault lies on the path between nodes a and b. */
    const across = (a: number, b: number): boolean => options.fault === 'split' ? sideOf(a) !== sideOf(b) : a === faulty || b === faulty
    /** Whether the fault takes the path between a and b away entirely (cut, split), rather than degrading it. */
    const severs = options.fault === 'cut' || options.fault === 'split'
    const where = options.fault === 'split' ? `nodes 0-${half - 1} | ${half}-${options.nodes - 1}` : `node ${faulty}`

    const faultAt = Date.now()
    const alertsBefore = events.filter((e) => e.event.event === 'alert' && e.at >= formedAt).length
    if (options.fault === 'cut') await lan.cut(host)
    else if (options.fault === 'loss') await lan.loss(host, options.percent, options.direction)
    else if (options.fault === 'rate') await lan.rate(host, options.kbit)
    else await lan.partition(swarm.hostGroups(sides))
    const what = { cut: 'cut', loss: `${options.percent} % loss (${options.direction})`, rate: `${options.kbit} kbit/s`, split: 'split' }[options.fault]
    log(`${what} on ${where} for ${options.forMs} ms`)
    await sleep(options.forMs)
    const counters = options.fault === 'split' ? undefined : await lan.counters(host)
    await lan.heal()
    const healAt = Date.now()
    const openAtHeal = swarm.tables.reduce((sum, t) => sum + t.alerting.size, 0)
    log('healed; waiting for every alert to recover')
    const quietBy = healAt + 3 * options.ttlMs + 10_000
    while (Date.now() < quietBy && swarm.tables.some((t) => t.alerting.size > 0)) await sleep(200)
    await sleep(options.intervalMs)

    const indexOf = new Map(swarm.nodes.map((child) => [child.peer as string, child.index]))
    const after = events.filter((e) => e.at >= faultAt - options.intervalMs)
    const perNode = all.map((node): NodeAlerts => {
      const alerts = after.filter((e) => e.node === node && e.event.event === 'alert')
      const isAcross = (e: NodeEvent): boolean => across(node, indexOf.get(e.event.peer ?? '') ?? -1)
      const alerted = new Set(alerts.filter(isAcross).map((e) => e.event.peer))
      const first = alerts.find(isAcross)
      return {
        node,
        role: options.fault === 'split' ? `side ${sideOf(node)}` : node === faulty ? 'faulty' : '',
        across: alerts.filter(isAcross).length,
        within: alerts.filter((e) => !isAcross(e)).length,
        missed: severs ? all.filter((j) => j !== node && across(node, j) && !alerted.has(swarm.node(j).peer)).length : 0,
        ...(first === undefined ? {} : { firstAlertMs: first.at - faultAt }),
        isolated: after.filter((e) => e.node === node && e.event.event === 'isolated').length,
        degraded: after.filter((e) => e.node === node && e.event.event === 'degraded').length,
        unrecovered: swarm.tables[node].alerting.size
      }
    })
    const recoveries = after.filter((e) => e.event.event === 'recovered' && e.at >= healAt)
    const allRecovered = perNode.every((n) => n.unrecovered === 0)
    return {
      fault: what,
      where,
      nodes: options.nodes,
      intervalMs: options.intervalMs,
      ttlMs: options.ttlMs,
      forMs: options.forMs,
      seed: options.seed,
      localHealth: options.localHealth,
      severs,
      ...(counters === undefined ? {} : { counters }),
      alertsBefore,
      perNode,
      openAtHeal,
      ...(allRecovered ? { recoveredAfterHealMs: recoveries.length === 0 ? 0 : Math.max(...recoveries.map((e) => e.at)) - healAt } : {}),
      machine: machineLine()
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await swarm.stop()
  }
}

function netFaultTable (r: NetFaultResult): Table {
  const sum = (key: 'across' | 'within' | 'missed'): number => r.perNode.reduce((s, n) => s + n[key], 0)
  return {
    title: `${r.fault} on ${r.where} for ${fmt(r.forMs / 1000, 0)} s, ${r.nodes} daemons at ${r.intervalMs} ms / ${r.ttlMs} ms, local health ${r.localHealth} (seed ${r.seed})`,
    columns: ['node', '', 'alerts across the fault', 'false alerts (healthy path)', 'peers lost, no alert', 'first alert after fault (s)', 'isolated', 'degraded', 'unrecovered at end'],
    rows: r.perNode.map((n) => [n.node, n.role, n.across, n.within, n.missed, fmt(n.firstAlertMs === undefined ? undefined : n.firstAlertMs / 1000, 2), n.isolated, n.degraded, n.unrecovered]),
    notes: [
      `alerts across the fault: ${sum('across')}; false alerts: ${sum('within')}; lost peers never alerted for: ${sum('missed')}; ` +
        `alerts after formation, before the fault: ${r.alertsBefore}`,
      ...(r.severs ? [] : [`${r.fault} degrades paths but takes none away: all ${sum('across') + sum('within')} alerts are false`]),
      ...(r.counters === undefined || r.counters.seenIn + r.counters.seenOut === 0
        ? []
        : [`the faulty link dropped ${dropped(r.counters.droppedIn, r.counters.seenIn)} packets received, ${dropped(r.counters.droppedOut, r.counters.seenOut)} sent`]),
      r.recoveredAfterHealMs === undefined
        ? 'not everything recovered after the heal'
        : r.openAtHeal === 0
          ? 'no alert open at the heal'
          : `${r.openAtHeal} alerts open at the heal, the last recovered ${fmt(r.recoveredAfterHealMs / 1000, 2)} s after it`,
      r.machine
    ]
  }
}

function dropped (count: number, of: number): string {
  return `${count}/${of} (${fmt(of === 0 ? NaN : 100 * count / of, 1)} %)`
}

async function main (argv: readonly string[]): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(HELP)
    return
  }
  const options = parse(argv)
  const result = await run(options)
  process.stdout.write(renderText(netFaultTable(result)))
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`)
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`netfaults: ${err.message}\n`)
    process.exitCode = 2
  } else {
    process.stderr.write(`netfaults: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exitCode = 1
  }
})
