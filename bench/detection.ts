/**
 * Detection: in a swarm of N daemons (default 50 with --full), round after
 * round one node is SIGKILLed (crash) or SIGSTOPped (hang, resumed later), a
 * new node joins, or a node leaves (SIGTERM). For every survivor: the alert's lag after the victim's ping expired
 * (the alert event's lagMs), the time from the failure to the alert, missed
 * detections, and false alerts across the run. Side by side, from the same
 * receipts (the daemons' traces): a 15 s ticker checker, IPFS Cluster's way,
 * which alerts at its first tick after the expiry. The whole run is repeated
 * with gossipsub's stock parameters and with peermon's.
 *
 *   node dist/bench/detection.js [--full] [--nodes 50] [--rounds 10] [--interval 1s] [--gossipsub stock|tuned|both] [--out file] [--help]
 */
import os from 'node:os'
import { runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { choiceValue } from '../src/flags.js'
import { defaultTtlMs } from '../src/constants.js'
import { machineLine } from './lib/machine.js'
import { summarize, type Summary } from './lib/stats.js'
import { fmt, renderText, type Table } from './lib/table.js'
import { TracedSwarm, alertsIn, sleep } from './lib/traced-swarm.js'
import type { NodeTrace } from './lib/trace.js'
import { adjacencyOf } from '../src/swarm/launch/topology.js'
import type { NodeEvent } from '../src/swarm/nodes/daemon-child.js'
import { explainAlerts, type FalseAlert } from './dissemination.js'

/** The daemons' default interval; the TTL is 3 intervals. */
const INTERVAL_MS = 1000
/** IPFS Cluster's default check interval. */
const TICKER_MS = 15_000

/** A run's durations, from the daemons' interval. */
function timing (intervalMs: number): { ttl: number, hang: number, alertWait: number } {
  const ttl = defaultTtlMs(intervalMs)
  // A hung victim stays stopped past its TTL; after an action, every survivor's alert has had time to come.
  return { ttl, hang: ttl + 3 * intervalMs, alertWait: ttl + 3 * intervalMs }
}
/** Between rounds. */
const PAUSE_MS = 3000

type Kind = 'SIGKILL' | 'SIGSTOP'
type Action = Kind | 'join' | 'leave'
const ACTIONS: Action[] = ['SIGKILL', 'SIGSTOP', 'join', 'leave']
/** A joining node dials this many running nodes. */
const JOIN_DEGREE = 3

interface Round {
  kind: Action
  victim: number
  victimPeer: string
  actionAt: number
  /** SIGSTOP: when SIGCONT was sent. */
  resumedAt?: number
  endAt: number
  survivors: number[]
}

export interface DetectionResult {
  config: 'stock' | 'tuned'
  nodes: number
  intervalMs: number
  load1: number
  rounds: number
  byKind: Record<Kind | 'all', {
    expected: number
    detected: number
    /** Alert lag after expiry (ms), ours: the alert events' lagMs. */
    lag: Summary
    /** A 15 s ticker over the same receipts. */
    tickerLag: Summary
    /** From the failure (signal sent) to the alert. */
    sinceFailure: Summary
  }>
  /** Alerts for peers that did not fail, from formation on (the victim's own excluded). */
  falseAlerts: number
  /** Alerts raised while the swarm formed (before the first round). */
  falseAlertsForming: number
  /** Alerts the hung victims raised themselves after SIGCONT. */
  resumedVictimAlerts: number
  /** Nodes that joined the running swarm, and the false alerts during their rounds (theirs and others'). */
  joins: number
  falseAlertsJoin: number
  /** Graceful leaves, survivors that reported `left` (of those expected), and false alerts during those rounds. */
  leaves: number
  leftSeen: string
  falseAlertsLeave: number
  /** Why the swarm never formed (every node hearing every other), if it did not. */
  neverFormed?: string
  /** The false alerts, each with the alerting node's age and how often it had heard the peer. */
  falseAlertDetails: FalseAlert[]
}

export interface DetectionOptions {
  nodes: number
  rounds: number
  config: 'stock' | 'tuned'
  /** Report interval of every daemon (default 1000 ms); the TTL is 3 intervals. */
  intervalMs?: number
  seed?: number
  log?: (line: string) => void
}

export async function runDetection (options: DetectionOptions): Promise<DetectionResult> {
  const log = options.log ?? (() => {})
  const load1 = os.loadavg()[0]
  const intervalMs = options.intervalMs ?? INTERVAL_MS
  const { ttl, hang, alertWait } = timing(intervalMs)
  const traced = new TracedSwarm({
    nodes: options.nodes,
    intervalMs,
    ttlMs: ttl,
    seed: options.seed,
    gossipsub: options.config === 'stock' ? 'stock' : undefined
  })
  const { swarm } = traced
  const rounds: Round[] = []
  let traces: NodeTrace[] = []
  let firstActionAt = Infinity
  let neverFormed: string | undefined
  try {
    log(`${options.config}: starting ${options.nodes} nodes (load ${load1.toFixed(2)})`)
    await swarm.start()
    try {
      await swarm.waitFormed(60_000 + options.nodes * 1000)
      log(`${options.config}: formed; settling`)
    } catch (err) {
      // Gossipsub's stock parameters may never get every node to hear every other (docs/benchmarks.md).
      neverFormed = err instanceof Error ? err.message.slice(0, 200) : String(err)
      log(`${options.config}: ${neverFormed}; going on`)
    }
    await sleep(2 * ttl)
    const adjacency = adjacencyOf(swarm.plan)
    const dead = new Set<number>()
    const used = new Set<number>([0])
    for (let r = 0; r < options.rounds; r++) {
      const kind = ACTIONS[r % ACTIONS.length]
      if (kind === 'join') {
        const alive = swarm.nodes.map((c) => c.index).filter((i) => !dead.has(i) && swarm.node(i).state === 'running')
        const targets = alive.sort(() => Math.random() - 0.5).slice(0, JOIN_DEGREE)
        const actionAt = Date.now()
        firstActionAt = Math.min(firstActionAt, actionAt)
        const child = await swarm.addNode(targets)
        log(`${options.config}: round ${r + 1}/${options.rounds}: node ${child.index} joins via ${targets.join(', ')}`)
        used.add(child.index)
        await sleep(alertWait + ttl)
        rounds.push({ kind, victim: child.index, victimPeer: child.peer as string, actionAt, endAt: Date.now(), survivors: [] })
        adjacency.splice(0, adjacency.length, ...adjacencyOf(swarm.plan))
        await sleep(PAUSE_MS)
        continue
      }
      const victim = pickVictim(adjacency, dead, used)
      if (victim === undefined) { log('no more victims that keep the rest connected'); break }
      used.add(victim)
      const child = swarm.node(victim)
      const survivors = swarm.nodes.map((c) => c.index).filter((i) => i !== victim && !dead.has(i))
      const actionAt = Date.now()
      firstActionAt = Math.min(firstActionAt, actionAt)
      child.signal(kind === 'leave' ? 'SIGTERM' : kind)
      log(`${options.config}: round ${r + 1}/${options.rounds}: ${kind} node ${victim}`)
      const round: Round = { kind, victim, victimPeer: child.peer as string, actionAt, endAt: 0, survivors }
      if (kind === 'SIGKILL' || kind === 'leave') {
        dead.add(victim)
        await sleep(alertWait)
      } else {
        await sleep(hang)
        child.resume()
        round.resumedAt = Date.now()
        await sleep(ttl)
      }
      round.endAt = Date.now()
      rounds.push(round)
      await sleep(PAUSE_MS)
    }
    await swarm.stop()
    traces = traced.traces()
  } finally {
    await traced.dispose()
  }
  return { ...judge({ ...options, intervalMs }, load1, rounds, traced.events, traces, swarm.nodes.map((c) => ({ peer: c.peer })), firstActionAt), neverFormed }
}

/** A node whose loss, with the dead ones, leaves the rest connected. */
function pickVictim (adjacency: Array<Set<number>>, dead: Set<number>, used: Set<number>): number | undefined {
  for (let i = adjacency.length - 1; i >= 0; i--) {
    const candidate = (i * 7919) % adjacency.length // spread over the start order
    if (used.has(candidate) || dead.has(candidate)) continue
    if (connectedWithout(adjacency, new Set([...dead, candidate]))) return candidate
  }
  return undefined
}

function connectedWithout (adjacency: Array<Set<number>>, removed: Set<number>): boolean {
  const start = adjacency.findIndex((_, i) => !removed.has(i))
  if (start === -1) return true
  const seen = new Set([start])
  const queue = [start]
  while (queue.length > 0) {
    for (const next of adjacency[queue.pop() as number]) {
      if (removed.has(next) || seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  }
  return seen.size === adjacency.length - removed.size
}

function judge (options: DetectionOptions & { intervalMs: number }, load1: number, rounds: Round[], events: NodeEvent[],
  traces: NodeTrace[], members: Array<{ peer: string | undefined }>, firstActionAt: number): DetectionResult {
  const { ttl } = timing(options.intervalMs)
  const traceOf = new Map(traces.map((t) => [t.peer, t]))
  const samples: Record<Kind, { lag: number[], ticker: number[], since: number[], expected: number, detected: number }> = {
    SIGKILL: { lag: [], ticker: [], since: [], expected: 0, detected: 0 },
    SIGSTOP: { lag: [], ticker: [], since: [], expected: 0, detected: 0 }
  }
  const expectedAlerts = new Set<NodeEvent>()
  for (const round of rounds) {
    if (round.kind === 'join' || round.kind === 'leave') continue
    const s = samples[round.kind]
    for (const survivor of round.survivors) {
      s.expected++
      const alert = events.find((e) => e.node === survivor && e.event.event === 'alert' && e.event.peer === round.victimPeer &&
        e.event.metric === 'ping' && e.at >= round.actionAt && e.at <= round.endAt)
      if (alert === undefined) continue
      expectedAlerts.add(alert)
      s.detected++
      s.lag.push(alert.event.lagMs as number)
      s.since.push(alert.at - round.actionAt)
      const trace = traceOf.get(members[survivor].peer ?? '')
      if (trace === undefined) continue
      // The survivor's last receipt of the victim's reports before the alert: the expiry the ticker judges too.
      let last = -Infinity
      for (const r of trace.received) if (r.sender === round.victimPeer && r.recvAt <= alert.at && r.recvAt > last) last = r.recvAt
      if (last === -Infinity) continue
      const expiry = last + ttl
      const phase = trace.startedAt
      const tick = phase + Math.ceil((expiry - phase) / TICKER_MS) * TICKER_MS
      s.ticker.push(tick - expiry)
    }
  }
  const alerts = alertsIn(events)
  const victimAlertsAfterResume = alerts.filter((e) => rounds.some((r) => r.kind === 'SIGSTOP' && e.node === r.victim && e.at >= (r.resumedAt ?? Infinity) && e.at <= r.endAt + PAUSE_MS))
  const excused = new Set([...expectedAlerts, ...victimAlertsAfterResume])
  // Alerts about a round's victim within its round are detections (a second one from the same node is not).
  const falseAlerts = alerts.filter((e) => !excused.has(e) && e.at >= firstActionAt)
  const forming = alerts.filter((e) => e.at < firstActionAt)
  const during = (kind: Action): number => falseAlerts.filter((e) => rounds.some((r) => r.kind === kind && e.at >= r.actionAt && e.at <= r.endAt)).length
  const leaves = rounds.filter((r) => r.kind === 'leave')
  let leftExpected = 0
  let leftSeen = 0
  for (const r of leaves) {
    for (const survivor of r.survivors) {
      leftExpected++
      if (events.some((e) => e.node === survivor && e.event.event === 'left' && e.event.peer === r.victimPeer && e.at >= r.actionAt)) leftSeen++
    }
  }
  const all = { lag: [...samples.SIGKILL.lag, ...samples.SIGSTOP.lag], ticker: [...samples.SIGKILL.ticker, ...samples.SIGSTOP.ticker], since: [...samples.SIGKILL.since, ...samples.SIGSTOP.since] }
  const kindResult = (s: { lag: number[], ticker: number[], since: number[] }, expected: number, detected: number): DetectionResult['byKind']['all'] =>
    ({ expected, detected, lag: summarize(s.lag), tickerLag: summarize(s.ticker), sinceFailure: summarize(s.since) })
  const swarmStart = Math.min(...traces.map((t) => t.startedAt))
  return {
    falseAlertDetails: explainAlerts([...forming, ...falseAlerts], traces, swarmStart),
    config: options.config,
    nodes: options.nodes,
    intervalMs: options.intervalMs,
    load1,
    rounds: rounds.length,
    byKind: {
      SIGKILL: kindResult(samples.SIGKILL, samples.SIGKILL.expected, samples.SIGKILL.detected),
      SIGSTOP: kindResult(samples.SIGSTOP, samples.SIGSTOP.expected, samples.SIGSTOP.detected),
      all: kindResult(all, samples.SIGKILL.expected + samples.SIGSTOP.expected, samples.SIGKILL.detected + samples.SIGSTOP.detected)
    },
    falseAlerts: falseAlerts.length,
    falseAlertsForming: forming.length,
    resumedVictimAlerts: victimAlertsAfterResume.length,
    joins: rounds.filter((r) => r.kind === 'join').length,
    falseAlertsJoin: during('join'),
    leaves: leaves.length,
    leftSeen: `${leftSeen}/${leftExpected}`,
    falseAlertsLeave: during('leave')
  }
}

export function detectionTable (results: DetectionResult[]): Table {
  const rows: Table['rows'] = []
  for (const r of results) {
    for (const kind of ['SIGKILL', 'SIGSTOP', 'all'] as const) {
      const k = r.byKind[kind]
      rows.push([
        r.config, r.nodes, fmt((r.intervalMs ?? INTERVAL_MS) / 1000, 0), kind, `${k.detected}/${k.expected}`,
        fmt(k.lag.p50, 1), fmt(k.lag.p99, 1), fmt(k.lag.max, 1),
        fmt(k.tickerLag.p50 / 1000, 1), fmt(k.tickerLag.p99 / 1000, 1), fmt(k.tickerLag.max / 1000, 1),
        fmt(k.sinceFailure.p50 / 1000, 2), fmt(k.sinceFailure.p99 / 1000, 2),
        kind === 'all' ? r.falseAlertsForming : '', kind === 'all' ? r.falseAlerts : '', kind === 'all' ? r.resumedVictimAlerts : ''
      ])
    }
  }
  return {
    title: `Detection (TTL 3 intervals; ours vs a ${TICKER_MS / 1000} s ticker over the same receipts)`,
    columns: ['gossipsub', 'nodes', 'interval s', 'failure', 'detected', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'ticker p50 s', 'ticker p99 s', 'ticker max s',
      'failure→alert p50 s', 'p99 s', 'false alerts forming', 'false alerts rounds', 'hung victim own alerts'],
    rows: [...rows, ...results.map((r) => [r.config, r.nodes, fmt((r.intervalMs ?? INTERVAL_MS) / 1000, 0), `${r.joins} joins, ${r.leaves} leaves`, `left ${r.leftSeen}`, '', '', '', '', '', '', '', '', '', `${r.falseAlertsJoin} in joins, ${r.falseAlertsLeave} in leaves`, ''])],
    notes: [...results.filter((r) => r.neverFormed !== undefined).map((r) => `${r.config}: the swarm never formed (${r.neverFormed}); the rounds ran anyway.`),'lag: alert time minus the metric\'s expiry (last receipt + TTL) on the survivor\'s clock; ticker: the first 15 s tick (phase: the survivor\'s start) at or after that expiry, minus the expiry.',
      'false alerts: alerts about peers that did not fail (or repeated ones), from each node; the hung victim\'s own alerts after SIGCONT are counted apart.']
  }
}

const BENCH: Bench = {
  name: 'detection',
  command: 'node dist/bench/detection.js',
  flags: ['full', 'nodes', 'rounds', 'interval', 'gossipsub', 'seed', 'json', 'out'],
  help: `Usage: node dist/bench/detection.js [options]

Rounds of crash, hang, join and leave in a swarm of daemons: each survivor's
alert lag, misses and false alerts, next to a 15 s ticker over the same receipts.

Options:
  --full                  50 nodes and 12 rounds (default: 20 nodes, 4 rounds)
  --nodes <n>             swarm size
  --rounds <n>            failure rounds
  --interval <duration>   the daemons' report interval, 100ms..1h; the TTL is 3 intervals (default: 1s)
  --gossipsub <which>     stock, tuned or both (default: both)
  --seed <n>              seed of the topology and victims (default: 1)
  --json                  also print one JSON object with every result
  --out <file>            write the JSON result to this file
  -h, --help              show this help

Durations: 500ms, 2s, 1m; a bare number is seconds.
`
}

async function main (args: BenchArgs): Promise<void> {
  const log = (line: string): void => { process.stderr.write(`detection: ${line}\n`) }
  const nodes = args.nodes?.[0] ?? (args.full ? 50 : 20)
  const rounds = args.rounds ?? (args.full ? 12 : 4)
  const which = choiceValue('--gossipsub', args.gossipsub ?? 'both', ['stock', 'tuned', 'both'])
  const configs: Array<'stock' | 'tuned'> = which === 'both' ? ['tuned', 'stock'] : [which]
  log(machineLine())
  const results: DetectionResult[] = []
  for (const config of configs) {
    results.push(await runDetection({ nodes, rounds, config, intervalMs: args.intervalMs, seed: args.seed, log }))
    process.stdout.write(renderText(detectionTable(results.slice(-1))))
  }
  if (results.length > 1) process.stdout.write(renderText(detectionTable(results)))
  writeResults(args, 'detection', results)
}

if (process.argv[1]?.endsWith('detection.js') === true) runBench(BENCH, main)
