/**
 * Churn: a swarm whose nodes are crashed, hung or stopped and brought back
 * all the time (a scenario file's `churn` block, src/swarm/scenario/churn.ts), once
 * with a process per node and once packed. Per run: alerts no step explains
 * (false), crashes and hangs some node up did not alert on (missed) or alerted
 * on later than ttl + 1.5 s (late), and the time until a returning node is
 * heard again, with no alert open, by every node up (heal). Prints numbers,
 * not pass or fail: scenarios/churn.json holds the thresholds.
 *
 *   node dist/bench/churn.js [--nodes 10] [--interval 500ms] [--ttl 2s] [--duration 150s] [--seed 1] [--pack 1,auto] [--json] [--out file]
 */
import os from 'node:os'
import { formatDuration } from '../src/duration.js'
import type { Verdict } from '../src/swarm/scenario/expectations.js'
import { percentile } from '../src/swarm/scenario/assessment.js'
import { parseTimeline } from '../src/swarm/scenario/timeline-file.js'
import { runTimeline, timelineSwarm, type TimelineReport } from '../src/swarm/scenario/timeline.js'
import { defaultTimeoutMs } from '../src/swarm/flags.js'
import { runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { fmt, renderText, type Table } from './lib/table.js'

/** A node goes down every EVERY_MS, for 4-12 s, at most 3 at once. */
const EVERY_MS = 5000
/** A returning node must be heard by all within this to count as healed. */
const HEAL_WINDOW = '10s'

const BENCH: Bench = {
  name: 'churn',
  command: 'node dist/bench/churn.js',
  flags: ['nodes', 'interval', 'ttl', 'duration', 'seed', 'pack', 'json', 'out'],
  help: `Usage: node dist/bench/churn.js [options]

Runs a seeded churn on a local swarm: every 5 s one node that is up is crashed
(kill), hung (SIGSTOP, then SIGCONT) or stopped gracefully (leave), and brought
back 4-12 s later (restart on the same identity and port, or resume), at most
3 down at once. Once with a process per node, once packed (several daemons per
process; there a node is only crashed or stopped, since a hang needs a process
of its own). Prints per run: false alerts (no step explains them), missed and
late detections (a crash or hang that a node up did not alert on within
ttl + 1.5 s), and the time to heal (from a returning node's start until every
node up hears it with no alert open; not healed: not within ${HEAL_WINDOW}).

Options:
  --nodes <n>             daemons (default 10)
  --interval <duration>   daemons' publish interval (default 500ms)
  --ttl <duration>        daemons' metric TTL (default 2s)
  --duration <duration>   how long the churn goes on (default 150s; then 10 s more)
  --seed <n>              seed of the churn and the bootstrap graph (default 1)
  --pack <1|auto|n,...>   nodes per process of each run (default 1,auto: a process
                          per node, then the launcher's default packing)
  --json                  also print one JSON object with every result
  --out <file>            write the JSON result to this file
  -h, --help              show this help
`
}

export interface ChurnRun {
  pack: number | 'auto'
  packing: string
  nodes: number
  intervalMs: number
  ttlMs: number
  seed: number
  episodes: number
  load1: number
  alerts: number
  falseAlerts: number
  /** (observer, crash or hang) pairs judged. */
  detections: number
  missed: number
  late: number
  detectionP50Ms?: number
  detectionMaxMs?: number
  /** Restarts and resumes judged (not those whose node went down again within the window). */
  returns: number
  /** Returns not heard by every node up within the window (or down again). */
  notHealed: number
  healP50Ms?: number
  healMaxMs?: number
  report: TimelineReport
}

async function main (args: BenchArgs): Promise<void> {
  const log = (line: string): void => { process.stderr.write(`churn: ${line}\n`) }
  const nodes = args.nodes?.[0] ?? 10
  const intervalMs = args.intervalMs ?? 500
  const ttlMs = args.ttlMs ?? 2000
  const durationMs = args.durationMs ?? 150_000
  const runs: ChurnRun[] = []
  for (const pack of args.pack ?? [1, 'auto']) {
    const episodes = Math.max(1, Math.floor((durationMs - EVERY_MS) / EVERY_MS) + 1)
    const timeline = parseTimeline(JSON.stringify({
      name: `churn (${pack === 1 ? 'a process per node' : `packed: ${pack}`})`,
      swarm: { nodes, interval: `${intervalMs}ms`, ttl: `${ttlMs}ms`, seed: args.seed },
      churn: { seed: args.seed, episodes, every: `${EVERY_MS}ms`, down: ['4s', '12s'], maxDown: Math.min(3, nodes - 1), actions: pack === 1 ? ['kill', 'hang', 'leave'] : ['kill', 'leave'] },
      steps: [{ after: '10s', stop: true }],
      expect: [{ detected: { within: 'ttl+1.5s' } }, { returned: { within: HEAL_WINDOW } }, { noFalseAlerts: true }]
    }), 'bench/churn')
    const swarm = timelineSwarm(timeline, pack === 'auto' ? {} : { perProcess: pack })
    const load1 = os.loadavg()[0]
    log(`${nodes} nodes, interval ${formatDuration(intervalMs)}, ttl ${formatDuration(ttlMs)}, ${episodes} episodes, pack ${pack} (load ${load1.toFixed(1)})`)
    let report: TimelineReport
    try {
      report = await runTimeline(swarm, timeline, { timeoutMs: defaultTimeoutMs(nodes, ttlMs), log: (line) => { log(`pack ${pack}: ${line}`) } })
    } finally {
      await swarm.stop()
    }
    const verdict = (kind: Verdict['kind']): Verdict | undefined => report.verdicts.find((v) => v.kind === kind)
    const detected = verdict('detected')
    const returned = verdict('returned')
    const detections = detected?.samples ?? []
    const heals = returned?.samples ?? []
    runs.push({
      pack,
      packing: report.packing,
      nodes,
      intervalMs,
      ttlMs,
      seed: swarm.seed,
      episodes: timeline.steps.filter((s) => s.action === 'kill' || s.action === 'hang' || s.action === 'leave').length,
      load1,
      alerts: report.alerts,
      falseAlerts: verdict('noFalseAlerts')?.counts?.falseAlerts ?? 0,
      detections: detected?.counts?.judged ?? 0,
      missed: detected?.counts?.missed ?? 0,
      late: detected?.counts?.late ?? 0,
      ...(detections.length === 0 ? {} : { detectionP50Ms: percentile(detections, 50), detectionMaxMs: Math.max(...detections) }),
      returns: returned?.counts?.returns ?? 0,
      notHealed: (returned?.counts?.returns ?? 0) - (returned?.counts?.healed ?? 0),
      ...(heals.length === 0 ? {} : { healP50Ms: percentile(heals, 50), healMaxMs: Math.max(...heals) }),
      report
    })
  }
  process.stdout.write(`${machineLine()}\n\n${renderText(churnTable(runs))}\n`)
  writeResults(args, 'churn', runs)
}

export function churnTable (runs: ChurnRun[]): Table {
  const s = (ms: number | undefined): string => fmt(ms === undefined ? undefined : ms / 1000, 2)
  return {
    title: 'Churn: a node down every 5 s for 4-12 s (kill, hang, leave; packed: kill, leave), at most 3 at once',
    columns: ['packing', 'nodes', 'interval', 'ttl', 'episodes', 'alerts', 'false alerts', 'detections', 'missed', 'late', 'detect p50 s', 'detect max s', 'returns', 'not healed', 'heal p50 s', 'heal max s'],
    rows: runs.map((r) => [r.packing, r.nodes, formatDuration(r.intervalMs), formatDuration(r.ttlMs), r.episodes, r.alerts, r.falseAlerts, r.detections, r.missed, r.late, s(r.detectionP50Ms), s(r.detectionMaxMs), r.returns, r.notHealed, s(r.healP50Ms), s(r.healMaxMs)]),
    notes: [
      `late: alerted after ttl + 1.5 s; heal: from a returning node's start until every node up hears it with no alert open (not healed: not within ${HEAL_WINDOW})`,
      ...runs.map((r) => `${r.packing}: seed ${r.seed}, load ${r.load1.toFixed(1)} at its start`)
    ]
  }
}

runBench(BENCH, main)
