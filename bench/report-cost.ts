/**
 * Report cost: N real libp2p nodes (createNode: own key, TCP, Noise,
 * gossipsub, monitor) in ONE process, each dialling up to 3 random earlier
 * ones; once every node has heard from every other and the swarm settled,
 * the process's CPU over a window divided by the reports accepted by all its
 * nodes: µs of CPU per report received. Variants of the per-report work are
 * compared side by side, each in a fresh child process of the benchmark (no
 * JIT or GC state carried from one to the next):
 *
 *   baseline    every optimisation below off
 *   keys        imported Ed25519 public keys cached per signer
 *   memo        keys, and a signature verified once per process for all its nodes
 *   shared      one event-loop probe (local health) per process instead of one per node
 *   all         keys + memo + shared
 *   a+b         any '+'-joined set of keys, memo, shared, all, and semi<MB> (the child's
 *               --max-semi-space-size, V8's young generation; default V8's own)
 *
 *   node dist/bench/report-cost.js [--nodes 50] [--interval 1s] [--warmup 10s] [--duration 30s]
 *     [--variants baseline,all] [--rounds 1] [--seed 1] [--exec-argv "<node flags>"] [--json] [--out file] [--help]
 */
import { spawn } from 'node:child_process'
import { PerformanceObserver } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from '../src/config-error.js'
import { defaultTtlMs } from '../src/constants.js'
import { createNode, type PeermonNode } from '../src/libp2p/node.js'
import { processVerificationCache } from '../src/libp2p/verification-cache.js'
import { planSwarm } from '../src/swarm/launch/topology.js'
import { seededRandom } from '../src/swarm/launch/random.js'
import { runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { fmt, mb, pct, renderText, type Table } from './lib/table.js'

const FEATURES = ['keys', 'memo', 'shared'] as const
type Feature = typeof FEATURES[number]
/** `semi<MB>` in a variant: the child runs with --max-semi-space-size=<MB> (V8's young generation). */
const SEMI = /^semi(\d+)$/

/** Environment variable that makes this script the child running one variant. */
const CHILD_ENV = 'PEERMON_REPORT_COST_CHILD'
const RESULT_PREFIX = 'report-cost-result '

export interface ChildOptions {
  variant: string
  nodes: number
  intervalMs: number
  warmupMs: number
  windowMs: number
  seed: number
}

export interface ReportCostResult {
  variant: string
  nodes: number
  intervalMs: number
  formedS: number
  windowS: number
  /** Reports accepted by all nodes in the window. */
  accepted: number
  /** Accepted / (published by all × (N − 1)) in the window: roughly the share delivered. */
  delivered: number
  /** Process CPU over the window, cores. */
  cores: number
  /** Process CPU per accepted report, µs. */
  usPerReport: number
  rssBytes: number
  heapUsedBytes: number
  /** Alerts from formation to the end of the window (nobody fails, so all false). */
  falseAlerts: number
  /** Local-health `degraded` events in the same span. */
  degraded: number
  /** Time in garbage-collection pauses over the window, per accepted report, µs (main thread). */
  gcUsPerReport: number
  /** Signature checks through the process's cache over the whole run, and the share answered by its memo. */
  cacheChecks: number
  memoHitShare: number
}

/** Node.js flags a variant adds to its child. */
export function variantExecArgv (variant: string): string[] {
  return variant.split('+').flatMap((part) => {
    const semi = SEMI.exec(part)
    return semi === null ? [] : [`--max-semi-space-size=${semi[1]}`]
  })
}

/** The features a variant name turns on; throws ConfigError on an unknown name. */
export function variantFeatures (variant: string): Set<Feature> {
  if (variant === 'baseline') return new Set()
  if (variant === 'all') return new Set(FEATURES)
  const parts = variant.split('+').filter((part) => !SEMI.test(part))
  for (const part of parts) {
    if (part === 'all' || part === 'baseline') continue
    if (!(FEATURES as readonly string[]).includes(part)) {
      throw new ConfigError(`--variants: unknown variant ${JSON.stringify(variant)}; expected baseline, all, or a '+'-joined set of ${FEATURES.join(', ')}`)
    }
  }
  const features = new Set(parts.includes('all') ? FEATURES : parts as Feature[])
  if (features.has('memo')) features.add('keys')
  return features
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** The child: runs one variant in this process and prints its result. */
async function runChild (options: ChildOptions): Promise<ReportCostResult> {
  const features = variantFeatures(options.variant)
  const log = (line: string): void => { process.stderr.write(`report-cost [${options.variant}]: ${line}\n`) }
  const plan = planSwarm({ nodes: options.nodes, degree: 3 }, seededRandom(options.seed))
  const nodes: PeermonNode[] = []
  let alerts = 0
  let degraded = 0
  let counting = false
  const startedAt = performance.now()
  try {
    for (const batch of plan.batches) {
      await Promise.all(batch.map(async (i) => {
        const node = await createNode({
          verificationCache: features.has('keys') ? { memo: features.has('memo') } : false,
          monitor: { interval: options.intervalMs, ttl: defaultTtlMs(options.intervalMs), sharedLoopProbe: features.has('shared') }
        })
        node.services.monitor.addEventListener('alert', () => { if (counting) alerts++ })
        node.services.monitor.addEventListener('degraded', () => { if (counting) degraded++ })
        nodes[i] = node
        for (const j of plan.bootstraps[i]) {
          await node.dial(multiaddr(nodes[j].getMultiaddrs()[0].toString())).catch((err) => { log(`dial ${i} -> ${j}: ${String(err)}`) })
        }
      }))
    }
    const formedBy = Date.now() + 120_000 + options.nodes * 2000
    while (nodes.some((node) => node.services.monitor.peers().length < options.nodes - 1)) {
      if (Date.now() > formedBy) throw new Error(`not formed: ${nodes.filter((n) => n.services.monitor.peers().length < options.nodes - 1).length} nodes have not heard from every other`)
      await sleep(250)
    }
    const formedS = (performance.now() - startedAt) / 1000
    log(`formed in ${fmt(formedS)} s; warming up ${options.warmupMs / 1000} s`)
    counting = true
    await sleep(options.warmupMs)
    const accepted = (): number => nodes.reduce((sum, node) => sum + node.services.monitor.counters().accepted, 0)
    const published = (): number => nodes.reduce((sum, node) => sum + node.services.monitor.published, 0)
    const accepted0 = accepted()
    const published0 = published()
    let gcMs = 0
    const gc = new PerformanceObserver((list) => { for (const entry of list.getEntries()) gcMs += entry.duration })
    gc.observe({ entryTypes: ['gc'] })
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await sleep(options.windowMs)
    const cpu = process.cpuUsage(cpu0)
    gc.disconnect()
    const windowS = (performance.now() - t0) / 1000
    const acceptedN = accepted() - accepted0
    const publishedN = published() - published0
    const memory = process.memoryUsage()
    const cpuUs = cpu.user + cpu.system
    const cacheStats = features.has('keys') ? processVerificationCache(features.has('memo')).stats() : { checks: 0, memoHits: 0 }
    return {
      variant: options.variant,
      nodes: options.nodes,
      intervalMs: options.intervalMs,
      formedS,
      windowS,
      accepted: acceptedN,
      delivered: acceptedN / Math.max(1, publishedN * (options.nodes - 1)),
      cores: cpuUs / 1e6 / windowS,
      usPerReport: cpuUs / Math.max(1, acceptedN),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      gcUsPerReport: gcMs * 1000 / Math.max(1, acceptedN),
      falseAlerts: alerts,
      degraded,
      cacheChecks: cacheStats.checks,
      memoHitShare: cacheStats.memoHits / Math.max(1, cacheStats.checks)
    }
  } finally {
    counting = false
    await Promise.all(nodes.map(async (node) => { await node.stop() }))
  }
}

/** Runs one variant as a fresh child process of this script; resolves to its result. */
async function runVariant (options: ChildOptions, execArgv: string[]): Promise<ReportCostResult> {
  const script = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, [...execArgv, ...variantExecArgv(options.variant), '--import', fileURLToPath(new URL('../src/polyfills.js', import.meta.url)), script], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => { out += chunk })
  const code = await new Promise<number | null>((resolve) => { child.on('exit', (c) => { resolve(c) }) })
  const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
  if (code !== 0 || line === undefined) throw new Error(`variant ${options.variant}: child exited with ${String(code)} and no result`)
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as ReportCostResult
}

export function reportCostTable (results: ReportCostResult[]): Table {
  const base = results.find((r) => r.variant === 'baseline')
  return {
    title: `CPU per report received, ${results[0]?.nodes ?? '?'} nodes in one process, interval ${fmt((results[0]?.intervalMs ?? 0) / 1000, 0)} s`,
    columns: ['variant', 'formed s', 'window s', 'accepted', 'delivered', 'cores', 'µs/report', 'vs baseline', 'GC µs/report', 'RSS MB', 'heap MB', 'false alerts', 'degraded', 'memo hits'],
    rows: results.map((r) => [
      r.variant, fmt(r.formedS), fmt(r.windowS, 0), r.accepted, pct(r.delivered, 2), fmt(r.cores, 2), fmt(r.usPerReport, 0),
      base === undefined ? '–' : `${fmt((r.usPerReport / base.usPerReport - 1) * 100, 0)} %`, fmt(r.gcUsPerReport, 0), mb(r.rssBytes), mb(r.heapUsedBytes), r.falseAlerts, r.degraded, r.cacheChecks === 0 ? '–' : pct(r.memoHitShare, 1)
    ])
  }
}

const BENCH: Bench = {
  name: 'report-cost',
  command: 'node dist/bench/report-cost.js',
  flags: ['nodes', 'interval', 'warmup', 'duration', 'seconds', 'variants', 'rounds', 'seed', 'exec-argv', 'json', 'out'],
  help: `Usage: node dist/bench/report-cost.js [options]

N libp2p nodes (createNode) in one process on 127.0.0.1, each dialling up to
3 random earlier ones: once every node has heard from every other, the
process's CPU over a window per report accepted by all its nodes. Each
variant runs in a fresh child process; the table compares them side by side.

Variants: baseline (every optimisation off), keys (imported public keys cached
per signer), memo (keys + each signature verified once per process), shared
(one event-loop probe per process instead of one per node), all, or a
'+'-joined set such as keys+shared; semi<MB> in a set runs that child with
--max-semi-space-size=<MB> (e.g. all+semi32).

Options:
  --nodes <n>               nodes in the process (default: 50)
  --interval <duration>     report interval; the TTL is 3 intervals (default: 1s)
  --warmup <duration>       settling time after formation (default: 10s)
  --duration <duration>     measurement window (default: 30s; --seconds <n> is the older spelling)
  --variants <name,...>     variants, run in this order (default: baseline,keys,memo,shared,all)
  --rounds <n>              run the list this many times, interleaved (default: 1)
  --seed <n>                seed of the topology (default: 1)
  --exec-argv "<flags>"     Node.js flags of the children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --json                    also print one JSON object with every result
  --out <file>              write the JSON result to this file
  -h, --help                show this help

Durations: 500ms, 2s, 1m; a bare number is seconds.
`
}

async function main (args: BenchArgs): Promise<void> {
  const variants = args.variants ?? ['baseline', 'keys', 'memo', 'shared', 'all']
  for (const variant of variants) variantFeatures(variant)
  const nodes = args.nodes?.[0] ?? 50
  const log = (line: string): void => { process.stderr.write(`report-cost: ${line}\n`) }
  log(machineLine())
  const results: ReportCostResult[] = []
  for (let round = 0; round < (args.rounds ?? 1); round++) {
    for (const variant of variants) {
      log(`${variant}: ${nodes} nodes${(args.rounds ?? 1) > 1 ? `, round ${round + 1}` : ''}`)
      const result = await runVariant({
        variant,
        nodes,
        intervalMs: args.intervalMs ?? 1000,
        warmupMs: args.warmupMs ?? 10_000,
        windowMs: args.durationMs ?? 30_000,
        seed: args.seed
      }, args.execArgv ?? [])
      results.push(result)
      process.stdout.write(renderText(reportCostTable([result])))
    }
  }
  process.stdout.write('\n' + renderText(reportCostTable(results)))
  writeResults(args, 'report-cost', results)
}

const childOptions = process.env[CHILD_ENV]
if (childOptions !== undefined) {
  runChild(JSON.parse(childOptions) as ChildOptions).then((result) => {
    process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n')
    process.exit(0)
  }, (err) => {
    process.stderr.write(`report-cost child: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  })
} else if (process.argv[1]?.endsWith('report-cost.js') === true) {
  runBench(BENCH, main)
}
