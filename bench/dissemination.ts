/**
 * Dissemination: swarms of N daemons (separate processes on 127.0.0.1) at a
 * 1 s interval (`--interval` to change it; the TTL is 3 intervals). Per size: share of reports delivered, propagation latency
 * (publish → acceptance at each node, from the daemons' traces), CPU of the
 * whole swarm, RSS per daemon, bytes read per node per interval against the
 * ideal (N−1 reports × report size), and alerts (all false: nobody fails).
 *
 *   node dist/bench/dissemination.js [--full] [--nodes 10,50] [--duration 1m] [--interval 1s]
 *     [--gossipsub stock|<json>] [--exec-argv "--max-semi-space-size=1 ..."] [--json] [--out file] [--help]
 */
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { gossipsubOverrides, runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { sampleProcesses, type ProcSample } from './lib/proc.js'
import { summarize, median } from './lib/stats.js'
import { fmt, mb, pct, renderText, type Table } from './lib/table.js'
import { TracedSwarm, alertsIn, sleep, type TracedSwarmOptions } from './lib/traced-swarm.js'
import { trafficRates, type NodeTrace } from './lib/trace.js'
import type { NodeEvent } from '../src/swarm/nodes/daemon-child.js'
import { defaultTtlMs } from '../src/constants.js'

/** The daemons' default interval; the TTL is always 3 intervals (the daemon's default ratio). */
export const INTERVAL_MS = 1000
/** Reports published in the last this-many ms of the window are not judged (still in flight at stop). */
const IN_FLIGHT_MS = 2000

export interface DisseminationOptions {
  nodes: number
  /** Measurement window (s), after formation and settling. */
  seconds: number
  /** Quiet time after formation before the window (s). */
  settleSeconds: number
  /** Report interval of every daemon (default 1000 ms); the TTL is 3 intervals. */
  intervalMs?: number
  gossipsub?: TracedSwarmOptions['gossipsub']
  execArgv?: string[]
  /** Nodes per process: 1 (default) or 'auto', the launcher's packing. */
  perProcess?: number | 'auto'
  seed?: number
  log?: (line: string) => void
}

export interface DisseminationResult {
  nodes: number
  intervalMs: number
  /** Processes the swarm ran in, and the most nodes in one. */
  processes: number
  perProcess: number
  config: string
  load1: number
  formedS: number
  windowS: number
  reports: number
  /** Share of (report, receiver) pairs delivered. */
  delivered: number
  /** Share of reports that reached every other node. */
  deliveredToAll: number
  latencyP50: number
  latencyP99: number
  latencyMax: number
  /** CPU seconds per second of all daemons together. */
  swarmCores: number
  /** CPU of the benchmark process itself (reading events), cores. */
  benchCores: number
  rssMedianBytes: number
  rssMaxBytes: number
  /** RSS of all the swarm's processes together. */
  rssTotalBytes: number
  /** Swarm CPU per report accepted (first copies, all nodes), µs. */
  usPerReport: number
  /** Median private anonymous memory (RssAnon) and proportional set size (PSS) per daemon. */
  anonMedianBytes: number
  pssMedianBytes: number
  /** Bytes read per node per interval (rchar: sockets plus a few /proc reads). */
  readPerInterval: number
  /** (N−1) × mean encoded report size. */
  idealPerInterval: number
  reportBytes: number
  falseAlertsForming: number
  falseAlertsWindow: number
  /** Per node per second, mean over nodes: gossipsub messages received (all copies) and sent, IHAVE ids received, RPCs received and sent. */
  msgsIn: number
  msgsOut: number
  ihaveIdsIn: number
  rpcsIn: number
  rpcsOut: number
  /** Accepted (unique) reports per node per second. */
  acceptedPerSecond: number
  /** Every false alert: the alerting node's age, how often it had heard the peer before, and the alert's fields. */
  falseAlertDetails: FalseAlert[]
  exited: number
}

export async function runDissemination (options: DisseminationOptions): Promise<DisseminationResult> {
  const log = options.log ?? (() => {})
  const load1 = os.loadavg()[0]
  const intervalMs = options.intervalMs ?? INTERVAL_MS
  const traced = new TracedSwarm({
    nodes: options.nodes,
    intervalMs,
    ttlMs: defaultTtlMs(intervalMs),
    seed: options.seed,
    gossipsub: options.gossipsub,
    execArgv: options.execArgv,
    perProcess: options.perProcess
  })
  const { swarm } = traced
  const startedAt = Date.now()
  let traces: NodeTrace[] = []
  let before = new Map<number, ProcSample>()
  let after = new Map<number, ProcSample>()
  let windowStart = 0
  let windowEnd = 0
  let formedAt = 0
  let benchCpu = 0
  try {
    log(`${options.nodes} nodes: starting in ${swarm.processGroups.length} processes (load ${load1.toFixed(2)})`)
    await swarm.start()
    try {
      await swarm.waitFormed(60_000 + options.nodes * 1000)
      formedAt = Date.now()
      log(`${options.nodes} nodes: formed in ${((formedAt - startedAt) / 1000).toFixed(1)} s; settling ${options.settleSeconds} s`)
    } catch (err) {
      // An overloaded swarm may never have every node hear every other: measure it anyway.
      formedAt = NaN
      log(`${options.nodes} nodes: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}; measuring anyway`)
    }
    await sleep(options.settleSeconds * 1000)
    const cpu0 = process.cpuUsage()
    before = sampleProcesses(swarm.pids)
    windowStart = Date.now()
    const t0 = performance.now()
    log(`${options.nodes} nodes: measuring ${options.seconds} s`)
    await sleep(options.seconds * 1000)
    after = sampleProcesses(swarm.pids)
    windowEnd = windowStart + (performance.now() - t0)
    const cpu = process.cpuUsage(cpu0)
    benchCpu = (cpu.user + cpu.system) / 1e6
    await swarm.stop()
    traces = traced.traces()
  } finally {
    await traced.dispose()
    const left = [...sampleProcesses(swarm.pids).keys()]
    if (left.length > 0) log(`WARNING: daemons still running: ${left.join(', ')}`)
  }
  const windowS = (windowEnd - windowStart) / 1000
  const judged = { from: windowStart, to: windowEnd - IN_FLIGHT_MS }
  const delivery = measureDelivery(traces, judged.from, judged.to)

  let cpuSeconds = 0
  let readBytes = 0
  const rss: number[] = []
  const anon: number[] = []
  const pss: number[] = []
  for (const [pid, end] of after) {
    const start = before.get(pid)
    if (start === undefined) continue
    cpuSeconds += end.cpuSeconds - start.cpuSeconds
    readBytes += end.readBytes - start.readBytes
    rss.push(end.rssBytes)
    anon.push(end.anonBytes)
    pss.push(end.pssBytes)
  }
  const reportBytes = delivery.meanReportBytes
  const rates = traces.map((t) => trafficRates(t, windowStart, windowEnd)).filter((r) => r !== undefined)
  const meanRate = (pick: (r: NonNullable<typeof rates[number]>) => number): number => rates.length === 0 ? NaN : rates.reduce((sum, r) => sum + pick(r), 0) / rates.length
  const accepted = traces.reduce((n, t) => n + t.received.filter((r) => r.recvAt >= windowStart && r.recvAt < windowEnd).length, 0)
  return {
    nodes: options.nodes,
    intervalMs,
    processes: swarm.processGroups.length,
    perProcess: Math.max(...swarm.processGroups.map((g) => g.length)),
    config: describeConfig(options),
    load1,
    formedS: (formedAt - startedAt) / 1000, // NaN: never formed
    windowS,
    reports: delivery.reports,
    delivered: delivery.pairs === 0 ? NaN : delivery.deliveredPairs / delivery.pairs,
    deliveredToAll: delivery.reports === 0 ? NaN : delivery.reachedAll / delivery.reports,
    latencyP50: delivery.latency.p50,
    latencyP99: delivery.latency.p99,
    latencyMax: delivery.latency.max,
    swarmCores: cpuSeconds / windowS,
    benchCores: benchCpu / windowS,
    rssMedianBytes: median(rss),
    rssMaxBytes: Math.max(...rss),
    rssTotalBytes: rss.reduce((sum, b) => sum + b, 0),
    usPerReport: accepted === 0 ? NaN : cpuSeconds * 1e6 / accepted,
    anonMedianBytes: median(anon),
    pssMedianBytes: median(pss),
    readPerInterval: traces.length === 0 ? NaN : readBytes / traces.length / windowS * (intervalMs / 1000),
    idealPerInterval: (options.nodes - 1) * reportBytes,
    reportBytes,
    msgsIn: meanRate((r) => r.in[1]),
    msgsOut: meanRate((r) => r.out[1]),
    ihaveIdsIn: meanRate((r) => r.in[2]),
    rpcsIn: meanRate((r) => r.in[0]),
    rpcsOut: meanRate((r) => r.out[0]),
    acceptedPerSecond: traces.length === 0 ? NaN : accepted / traces.length / windowS,
    falseAlertDetails: explainAlerts(alertsIn(traced.events), traces, startedAt),
    falseAlertsForming: alertsIn(traced.events, -Infinity, windowStart).length,
    falseAlertsWindow: alertsIn(traced.events, windowStart, windowEnd).length,
    exited: swarm.nodes.filter((child) => child.exit !== undefined && child.exit.signal !== 'SIGTERM' && child.exit.code !== 0).length
  }
}

export interface FalseAlert {
  /** ms since the alerting daemon started (its trace opened). */
  nodeAgeMs: number
  /** Reports of that peer the node had accepted before the alert. */
  receiptsBefore: number
  silentMs: number
  lagMs: number
  /** ms since the swarm's first node started. */
  swarmAgeMs: number
}

/** Explains the first `limit` alerts (none is expected: nobody fails) from the traces. */
export function explainAlerts (alerts: NodeEvent[], traces: NodeTrace[], swarmStart: number, limit = 2000): FalseAlert[] {
  const byNode = new Map(traces.map((t) => [t.node, t]))
  // Receipt times by (receiving node, sender), in order, to count receipts before an alert by binary search.
  const receipts = new Map<number, Map<string, number[]>>()
  const timesOf = (node: number, sender: string): number[] => {
    let bySender = receipts.get(node)
    if (bySender === undefined) {
      bySender = new Map()
      for (const r of byNode.get(node)?.received ?? []) {
        const times = bySender.get(r.sender)
        if (times === undefined) bySender.set(r.sender, [r.recvAt])
        else times.push(r.recvAt)
      }
      for (const times of bySender.values()) times.sort((x, y) => x - y)
      receipts.set(node, bySender)
    }
    return bySender.get(sender) ?? []
  }
  return alerts.slice(0, limit).map((a) => {
    const trace = byNode.get(a.node)
    const times = timesOf(a.node, String(a.event.peer))
    let lo = 0
    let hi = times.length
    while (lo < hi) { const mid = (lo + hi) >> 1; if (times[mid] <= a.at) lo = mid + 1; else hi = mid }
    const before = trace === undefined ? NaN : lo
    return {
      nodeAgeMs: trace === undefined ? NaN : a.at - trace.startedAt,
      receiptsBefore: before,
      silentMs: Number(a.event.silentMs),
      lagMs: Number(a.event.lagMs),
      swarmAgeMs: a.at - swarmStart
    }
  })
}

interface Delivery {
  reports: number
  pairs: number
  deliveredPairs: number
  reachedAll: number
  meanReportBytes: number
  latency: ReturnType<typeof summarize>
}

/** Judges every report published in [from, to) against every other node's receipts. */
export function measureDelivery (traces: NodeTrace[], from: number, to: number): Delivery {
  const receivedBy = traces.map((t) => new Set(t.received.map((r) => `${r.sender} ${r.seq}`)))
  const latencies: number[] = []
  for (const t of traces) {
    for (const r of t.received) if (r.sentAt >= from && r.sentAt < to) latencies.push(r.recvAt - r.sentAt)
  }
  let reports = 0
  let pairs = 0
  let deliveredPairs = 0
  let reachedAll = 0
  let bytes = 0
  traces.forEach((sender, s) => {
    for (const p of sender.published) {
      if (p.sentAt < from || p.sentAt >= to) continue
      reports++
      bytes += p.bytes
      let got = 0
      receivedBy.forEach((set, r) => { if (r !== s && set.has(`${sender.peer} ${p.seq}`)) got++ })
      pairs += traces.length - 1
      deliveredPairs += got
      if (got === traces.length - 1) reachedAll++
    }
  })
  return { reports, pairs, deliveredPairs, reachedAll, meanReportBytes: reports === 0 ? NaN : bytes / reports, latency: summarize(latencies) }
}

function describeConfig (options: DisseminationOptions): string {
  const gossipsub = options.gossipsub === undefined ? 'tuned' : options.gossipsub === 'stock' ? 'stock' : JSON.stringify(options.gossipsub)
  return options.execArgv === undefined ? gossipsub : `${gossipsub} ${options.execArgv.join(' ')}`.trim()
}

export function disseminationTable (results: DisseminationResult[], title = 'Dissemination (TTL 3 intervals)'): Table {
  return {
    title,
    columns: ['nodes', 'interval s', 'processes', 'gossipsub', 'load', 'formed s', 'window s', 'delivered', 'to all', 'p50 ms', 'p99 ms', 'max ms', 'swarm cores', 'µs/report', 'RSS total MB', 'RSS med MB', 'RSS max MB', 'anon med MB', 'PSS med MB', 'read/node/interval', 'ideal', 'x ideal', 'copies/report', 'msgs out/s', 'IHAVE ids in/s', 'RPCs in/s', 'RPCs out/s', 'false alerts forming', 'false alerts window'],
    rows: results.map((r) => [
      r.nodes, fmt((r.intervalMs ?? INTERVAL_MS) / 1000, 0), r.processes === undefined ? '' : `${r.processes} × ≤${r.perProcess}`, r.config, fmt(r.load1, 2), fmt(r.formedS), fmt(r.windowS, 0), pct(r.delivered, 3), pct(r.deliveredToAll, 2),
      fmt(r.latencyP50, 0), fmt(r.latencyP99, 0), fmt(r.latencyMax, 0), fmt(r.swarmCores, 2), fmt(r.usPerReport, 0), mb(r.rssTotalBytes),
      mb(r.rssMedianBytes), mb(r.rssMaxBytes), mb(r.anonMedianBytes), mb(r.pssMedianBytes), `${fmt(r.readPerInterval / 1024, 1)} KiB`, `${fmt(r.idealPerInterval / 1024, 1)} KiB`,
      fmt(r.readPerInterval / r.idealPerInterval, 1), fmt(r.msgsIn / r.acceptedPerSecond, 2), fmt(r.msgsOut, 0), fmt(r.ihaveIdsIn, 0), fmt(r.rpcsIn, 0), fmt(r.rpcsOut, 0), r.falseAlertsForming, r.falseAlertsWindow
    ])
  }
}

const BENCH: Bench = {
  name: 'dissemination',
  command: 'node dist/bench/dissemination.js',
  flags: ['full', 'nodes', 'pack', 'duration', 'seconds', 'interval', 'gossipsub', 'exec-argv', 'seed', 'json', 'out'],
  help: `Usage: node dist/bench/dissemination.js [options]

Swarms of N daemons on 127.0.0.1: share of reports delivered, propagation
latency, CPU (in all and per report received), memory and traffic per node,
and (false) alerts.

Options:
  --full                    a process per node vs packed at 20 and 50 nodes at 1s, packed
                            at 100 nodes at 2s and 200 at 5s; 1m each, 5m at 100
                            (default: 10,20 nodes, a process each, 15s)
  --nodes <n,n,...>         swarm sizes
  --pack <1|auto|n,...>     nodes per process, each run side by side: 1 a process per
                            daemon, auto the launcher's packing (default: 1; with --full
                            it picks runs of the matrix)
  --duration <duration>     measurement window per size (--seconds <n> is the older spelling)
  --interval <duration>     the daemons' report interval, 100ms..1h; the TTL is 3 intervals (default: 1s)
  --gossipsub <stock|json>  gossipsub's own parameters, or overrides of peermon's, e.g. '{"D":4}'
  --exec-argv "<flags>"     the daemons' Node.js flags, e.g. "--max-semi-space-size=4"
  --seed <n>                seed of the topology (default: 1)
  --json                    also print one JSON object with every result
  --out <file>              write the JSON result to this file
  -h, --help                show this help

Durations: 500ms, 2s, 1m; a bare number is seconds.
`
}

/** One run of the benchmark: a swarm size, its interval and its packing. */
interface Run { nodes: number, intervalMs: number, perProcess: number | 'auto' }

/**
 * The full matrix (issue 11): a process per node against packed at 20 and 50
 * nodes at 1 s, packed at 100 nodes at 2 s and 200 at 5 s.
 */
export const FULL_RUNS: readonly Run[] = [
  { nodes: 20, intervalMs: 1000, perProcess: 1 },
  { nodes: 20, intervalMs: 1000, perProcess: 'auto' },
  { nodes: 50, intervalMs: 1000, perProcess: 1 },
  { nodes: 50, intervalMs: 1000, perProcess: 'auto' },
  { nodes: 100, intervalMs: 2000, perProcess: 'auto' },
  { nodes: 200, intervalMs: 5000, perProcess: 'auto' }
]

async function main (args: BenchArgs): Promise<void> {
  const gossipsub = gossipsubOverrides(args.gossipsub)
  const execArgv = args.execArgv
  const log = (line: string): void => { process.stderr.write(`dissemination: ${line}\n`) }
  log(machineLine())
  const packs = args.pack ?? [1]
  const runs: Run[] = args.full && args.nodes === undefined
    ? FULL_RUNS.filter((run) => args.pack === undefined || args.pack.includes(run.perProcess)).map((run) => ({ ...run, intervalMs: args.intervalMs ?? run.intervalMs }))
    : (args.nodes ?? [10, 20]).flatMap((nodes) => packs.map((perProcess) => ({ nodes, intervalMs: args.intervalMs ?? INTERVAL_MS, perProcess })))
  const results: DisseminationResult[] = []
  for (const run of runs) {
    // 5 minutes at 100 nodes: the false-alert target is over 5 minutes.
    const seconds = args.durationMs !== undefined ? args.durationMs / 1000 : args.full ? (run.nodes === 100 ? 300 : 60) : 15
    results.push(await runDissemination({ ...run, seconds, settleSeconds: args.full ? 10 : 5, gossipsub, execArgv, seed: args.seed, log }))
    process.stdout.write(renderText(disseminationTable(results.slice(-1))))
  }
  if (results.length > 1) process.stdout.write(renderText(disseminationTable(results)))
  writeResults(args, 'dissemination', results)
}

if (process.argv[1]?.endsWith('dissemination.js') === true) runBench(BENCH, main)
