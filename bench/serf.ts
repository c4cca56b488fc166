/**
 * Serf beside peermon (issue 18, item 7): HashiCorp Serf agents and peermon
 * daemons, N members each on this host, one system after the other under the
 * same faults at the same offsets (crash, hang, whole-host stall, hub loss,
 * seeded churn, a quiet minute). For each: every survivor's time from the
 * fault to its failure report about the victim (Serf: member-failed; peermon:
 * alert), false failures, missed detections, and CPU per member.
 *
 *   node dist/bench/serf.js [--members 10] [--only crash,hang,stall,hub,churn,quiet] [--seed 1] [--churn-duration 150s] [--interval 1s] [--ttl 3s] [--json out.json]
 */
import os from 'node:os'
import { ConfigError } from '../src/config-error.js'
import { onlyOf, runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { churnSchedule, type ChurnStep } from './lib/churn.js'
import { tallyFailures, type FailureReport, type Outage, type Tally } from './lib/failure-tally.js'
import { machineLine, describeMachine } from './lib/machine.js'
import type { MemberCluster, Topology } from './lib/member-cluster.js'
import { PeermonCluster } from './lib/peermon-cluster.js'
import { sampleProcesses } from './lib/proc.js'
import { SERF_SETTINGS, SerfCluster, serfVersion } from './lib/serf-cluster.js'
import { fmt, renderText, type Table } from './lib/table.js'
import { sleep } from './lib/traced-swarm.js'
import { seededRandom } from '../src/swarm/launch/random.js'

export const FAULTS = ['crash', 'hang', 'stall', 'hub', 'churn', 'quiet'] as const
export type Fault = typeof FAULTS[number]
const SYSTEMS = ['serf', 'peermon'] as const
type System = typeof SYSTEMS[number]

/** After the cluster formed, before the fault: both systems settle (peermon's warm-up, Serf's first push-pulls). */
const SETTLE_MS = 10_000
/** How long a crashed or lost member is watched for: past Serf's longest suspicion (6 × 4 s × log10 N). */
const OBSERVE_MS = 30_000
/** How long a hung member stays stopped. */
const HANG_MS = 15_000
/** The whole-host stall. */
const STALL_MS = 5000
/** Hub: the second member is killed this long after the hub. */
const HUB_SECOND_MS = 10_000
const QUIET_MS = 60_000
/** A report this long after its member came back still belongs to the outage. */
export const GRACE_MS = 2000

interface FaultRun {
  fault: Fault
  system: System
  members: number
  load1: number
  /** Measured window (fault start to end of observation), s. */
  windowS: number
  tally?: Tally
  /** CPU seconds per member per minute of the window. */
  cpuPerMemberMin?: number
  outages: Outage[]
  /** Why the run did not complete. */
  error?: string
}

interface RunOptions {
  members: number
  seed: number
  churnMs: number
  intervalMs: number
  ttlMs: number
  binPath?: string
  log: (line: string) => void
}

/** Every cluster running now: stopped on Ctrl-C, killed on exit. */
const running = new Set<MemberCluster>()

/**
 * CPU of a changing set of processes: utime+stime sampled every second (and
 * on demand, e.g. just before a SIGKILL); a process's CPU counts from the
 * first sample (or from its start, for one started during the window) to its
 * last.
 */
class CpuMeter {
  private readonly first = new Map<number, number>()
  private readonly last = new Map<number, number>()
  private timer: NodeJS.Timeout | undefined
  private started = false

  constructor (private readonly pids: () => number[]) {}

  start (): void {
    this.sample()
    this.started = true
    this.timer = setInterval(() => { this.sample() }, 1000)
  }

  sample (): void {
    for (const [pid, s] of sampleProcesses(this.pids())) {
      if (!this.first.has(pid)) this.first.set(pid, this.started ? 0 : s.cpuSeconds)
      this.last.set(pid, s.cpuSeconds)
    }
  }

  stop (): number {
    this.sample()
    clearInterval(this.timer)
    let total = 0
    for (const [pid, last] of this.last) total += last - (this.first.get(pid) ?? 0)
    return total
  }
}

/** The victim of a crash or hang, and the second member lost in the hub fault: seeded, never member 0. */
function victimOf (options: RunOptions, salt: number): number {
  return 1 + seededRandom(options.seed * 31 + salt).int(options.members - 1)
}

export async function runFault (fault: Fault, system: System, options: RunOptions): Promise<FaultRun> {
  const { members, log } = options
  const topology: Topology = fault === 'hub' ? 'hub' : 'mesh'
  const clusterLog = (line: string): void => { log(`${fault}/${system}: ${line}`) }
  const cluster: MemberCluster = system === 'serf'
    ? new SerfCluster({ members, topology, log: clusterLog })
    : new PeermonCluster({ members, topology, intervalMs: options.intervalMs, ttlMs: options.ttlMs, binPath: options.binPath, log: clusterLog })
  running.add(cluster)
  const load1 = os.loadavg()[0]
  const run: FaultRun = { fault, system, members, load1, windowS: 0, outages: [] }
  try {
    log(`${fault}/${system}: starting ${members} members (${topology}; load ${load1.toFixed(2)})`)
    await cluster.start(60_000 + members * 5000)
    const reports: FailureReport[] = []
    cluster.onReport((report) => { reports.push(report) })
    log(`${fault}/${system}: formed; settling ${SETTLE_MS / 1000} s`)
    await sleep(SETTLE_MS)
    const cpu = new CpuMeter(() => cluster.pids())
    cpu.start()
    const from = Date.now()
    const act = (index: number, signal: NodeJS.Signals): void => {
      cpu.sample()
      if (!cluster.signal(index, signal)) log(`${fault}/${system}: ${signal} to member ${index}: not running`)
    }
    run.outages = await FAULT_RUNS[fault](cluster, act, options, (line) => { log(`${fault}/${system}: ${line}`) })
    const to = Date.now()
    const cpuSeconds = cpu.stop()
    run.windowS = (to - from) / 1000
    run.cpuPerMemberMin = cpuSeconds / members / ((to - from) / 60_000)
    run.tally = tallyFailures({ members, outages: run.outages, reports, from, to, graceMs: GRACE_MS })
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err)
    log(`${fault}/${system}: ${run.error}`)
  } finally {
    await cluster.stop()
    running.delete(cluster)
  }
  return run
}

type Act = (index: number, signal: NodeJS.Signals) => void
type FaultRunner = (cluster: MemberCluster, act: Act, options: RunOptions, log: (line: string) => void) => Promise<Outage[]>

const FAULT_RUNS: Record<Fault, FaultRunner> = {
  crash: async (_cluster, act, options, log) => {
    const victim = victimOf(options, 1)
    log(`SIGKILL member ${victim}`)
    const outage: Outage = { member: victim, from: Date.now() }
    act(victim, 'SIGKILL')
    await sleep(OBSERVE_MS)
    return [outage]
  },
  hang: async (_cluster, act, options, log) => {
    const victim = victimOf(options, 2)
    log(`SIGSTOP member ${victim} for ${HANG_MS / 1000} s`)
    const outage: Outage = { member: victim, from: Date.now() }
    act(victim, 'SIGSTOP')
    await sleep(HANG_MS)
    act(victim, 'SIGCONT')
    outage.to = Date.now()
    await sleep(OBSERVE_MS / 2)
    return [outage]
  },
  stall: async (_cluster, act, options, log) => {
    log(`SIGSTOP every member for ${STALL_MS / 1000} s`)
    const from = Date.now()
    for (let i = 0; i < options.members; i++) act(i, 'SIGSTOP')
    await sleep(STALL_MS)
    for (let i = 0; i < options.members; i++) act(i, 'SIGCONT')
    const to = Date.now()
    await sleep(OBSERVE_MS / 2)
    return Array.from({ length: options.members }, (_, member) => ({ member, from, to }))
  },
  hub: async (_cluster, act, options, log) => {
    const second = victimOf(options, 3)
    log(`SIGKILL member 0 (the hub), member ${second} ${HUB_SECOND_MS / 1000} s later`)
    const hub: Outage = { member: 0, from: Date.now() }
    act(0, 'SIGKILL')
    await sleep(HUB_SECOND_MS)
    const other: Outage = { member: second, from: Date.now() }
    act(second, 'SIGKILL')
    await sleep(OBSERVE_MS)
    return [hub, other]
  },
  churn: async (cluster, act, options, log) => {
    const steps = churnSchedule({ seed: options.seed, members: options.members, durationMs: options.churnMs })
    log(`${steps.length} faults over ${options.churnMs / 1000} s`)
    return await runChurn(cluster, act, steps, log)
  },
  quiet: async () => {
    await sleep(QUIET_MS)
    return []
  }
}

async function runChurn (cluster: MemberCluster, act: Act, steps: ChurnStep[], log: (line: string) => void): Promise<Outage[]> {
  const start = Date.now()
  const outages: Outage[] = []
  const returns: Array<Promise<void>> = []
  const timeline = steps.flatMap((step) => [{ at: step.at, step, up: false }, { at: step.at + step.downMs, step, up: true }]).sort((a, b) => a.at - b.at)
  const outageOf = new Map<ChurnStep, Outage>()
  for (const { at, step, up } of timeline) {
    await sleep(Math.max(0, start + at - Date.now()))
    if (!up) {
      const outage: Outage = { member: step.member, from: Date.now(), graceful: step.action === 'SIGINT' }
      outageOf.set(step, outage)
      outages.push(outage)
      act(step.member, step.action)
      log(`+${(at / 1000).toFixed(1)} s: ${step.action} member ${step.member} for ${(step.downMs / 1000).toFixed(1)} s`)
      continue
    }
    const outage = outageOf.get(step) as Outage
    if (step.action === 'SIGSTOP') {
      act(step.member, 'SIGCONT')
      outage.to = Date.now()
      continue
    }
    // A stopped process is started anew on the same name, key and port once it has ended.
    returns.push(cluster.restart(step.member).then(() => { outage.to = Date.now() }))
  }
  await Promise.all(returns)
  await sleep(OBSERVE_MS / 2)
  return outages
}

export function serfTable (runs: FaultRun[], options: RunOptions): Table {
  const rows = runs.map((r) => {
    const t = r.tally
    if (t === undefined) return [r.fault, r.system, r.error ?? 'failed', '', '', '', '', '', '']
    const detected = t.expected === 0 ? '–' : `${t.expected - t.missed}/${t.expected}`
    const falseCell = t.falseByReturning > 0 ? `${t.falseFailures} (${t.falseByReturning})` : String(t.falseFailures)
    // No samples: '–' (NaN becomes null in a JSON result read back).
    const seconds = (ms: number): string => t.detection.count === 0 ? '–' : fmt(ms / 1000, 2)
    return [r.fault, r.system, seconds(t.detection.p50), seconds(t.detection.max), detected, t.missed, falseCell,
      fmt(r.cpuPerMemberMin, 2), fmt(r.load1, 2)]
  })
  return {
    title: `Serf beside peermon: ${options.members} members each, one system at a time on this host`,
    columns: ['fault', 'system', 'detect p50 s', 'detect max s', 'detected', 'missed', 'false failures', 'CPU s/min/member', 'load'],
    rows,
    notes: [
      'detect: fault (signal sent) → each survivor\'s first failure report about the victim (Serf: member-failed log line; peermon: alert on ping).',
      `false failures: reports about a member that was up (not down, hung or within ${GRACE_MS / 1000} s of coming back); in parentheses, those made by a member itself just back.`,
      'missed: survivor × outage pairs never reported until the member came back (+ grace) or the observation ended; churn SIGINTs count a leave report as detected but are not in the detect times.',
      'CPU: utime+stime of the members\' processes over the fault window (restarts included), per member per minute. load: 1-minute load when the run began.'
    ]
  }
}

const BENCH: Bench = {
  name: 'serf',
  command: 'node dist/bench/serf.js',
  flags: ['members', 'only', 'seed', 'churn-duration', 'interval', 'ttl', 'bin', 'json', 'out'],
  jsonToFile: true,
  help: `Usage: node dist/bench/serf.js [options]

HashiCorp Serf agents beside peermon daemons on this host, one system after the
other, under the same faults: each survivor's detection time, false failures,
missed detections and CPU per member. Needs \`serf\` (apt-get install -y serf).

Faults: crash (SIGKILL one member), hang (SIGSTOP ${HANG_MS / 1000} s), stall (SIGSTOP every
member ${STALL_MS / 1000} s), hub (all join member 0; kill it, another ${HUB_SECOND_MS / 1000} s later),
churn (seeded: about every 5 s a SIGKILL, SIGSTOP or SIGINT, back 4-12 s later,
at most 3 down), quiet (${QUIET_MS / 1000} s, false failures only).

Options:
  --members <n>              members of each cluster (default: 10)
  --only <fault,...>         only these faults: ${FAULTS.join(', ')}
  --seed <n>                 seed of the victims and the churn (default: 1)
  --churn-duration <d>       how long the churn lasts (default: 150s)
  --interval <duration>      peermon's report interval (default: 1s)
  --ttl <duration>           peermon's TTL (default: 3 × interval)
  --bin <peermon.js>         another build's bin/peermon.js for the daemons
  --json <file>              write every result as JSON to this file
  --out <file>               the same
  -h, --help                 show this help

Durations: 500ms, 2s, 1m; a bare number is seconds. Exit codes: 0 done, 2 bad
flags or serf not installed.
`
}

async function main (args: BenchArgs): Promise<void> {
  const log = (line: string): void => { process.stderr.write(`serf: ${line}\n`) }
  const faults = onlyOf(args, FAULTS)
  const version = serfVersion()
  if (version === undefined) {
    process.stderr.write('serf: HashiCorp Serf is not installed (no `serf` on PATH); install it with: apt-get install -y serf\n')
    process.exitCode = 2
    return
  }
  const intervalMs = args.intervalMs ?? 1000
  const ttlMs = args.ttlMs ?? 3 * intervalMs
  if (ttlMs < 1.5 * intervalMs) throw new ConfigError(`--ttl: must be at least 1.5 × --interval (${1.5 * intervalMs} ms), got ${ttlMs} ms`)
  const options: RunOptions = { members: args.members ?? 10, seed: args.seed, churnMs: args.churnMs ?? 150_000, intervalMs, ttlMs, binPath: args.bin, log }
  if (options.members < 4) throw new ConfigError('--members: at least 4 (the hub fault loses two), got ' + String(options.members))
  const peermonSettings = new PeermonCluster({ ...options, topology: 'mesh' }).settings
  const settings = { serf: `${version}; ${SERF_SETTINGS}`, peermon: peermonSettings }
  log(machineLine())
  log(`Serf: ${settings.serf}`)
  log(`peermon: ${settings.peermon}`)
  const stopAll = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping ${running.size} cluster(s)`)
    void Promise.allSettled([...running].map(async (c) => { await c.stop() })).then(() => { process.exit(130) })
  }
  process.once('SIGINT', stopAll)
  process.once('SIGTERM', stopAll)
  process.once('exit', () => { for (const c of running) c.killNow() })
  const runs: FaultRun[] = []
  for (const fault of faults) {
    for (const system of SYSTEMS) runs.push(await runFault(fault, system, options))
    process.stdout.write(renderText(serfTable(runs.slice(-2), options)))
  }
  const table = serfTable(runs, options)
  table.notes = [...table.notes ?? [], `Serf: ${settings.serf}`, `peermon: ${settings.peermon}`, `Machine: ${machineLine()}`]
  process.stdout.write('\n' + renderText(table))
  writeResults(args, 'serf', { machine: describeMachine(), settings, options: { ...options, log: undefined }, runs })
}

if (process.argv[1]?.endsWith('serf.js') === true) runBench(BENCH, main)
