/**
 * The store and the receive path, in one process, no network:
 * - metrics logged per second into (peer, metric) windows (MetricStore.log);
 * - reports handled per second by MonitorCore.handleMessage (decode, validate,
 *   log 5 metrics, move 6 deadlines), i.e. the monitor's own cost per report;
 * - heap bytes per (peer, metric) window filled to capacity 25, for the store
 *   alone and for the whole core (peer records and deadlines included).
 * For 1k and 10k peers. Needs `--expose-gc`.
 *
 *   node --expose-gc dist/bench/store.js [--nodes 1000,10000] [--json] [--out file] [--help]
 */
import { performance } from 'node:perf_hooks'
import { MonitorCore } from '../src/monitor/monitor.js'
import { REPORT_VERSION, encodeReport } from '../src/monitor/report.js'
import { MetricStore } from '../src/monitor/store.js'
import type { Clock } from '../src/monitor/types.js'
import { runBench, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { fmt, renderText, type Table } from './lib/table.js'

const CAPACITY = 25
/** The daemon's built-in metrics. */
const NAMES = ['ping', 'load', 'memory', 'freespace', 'peers']
const TTL_MS = 3000
const INTERVAL_MS = 1000

export interface StoreResult {
  peers: number
  /** MetricStore.log calls per second, windows full (ring overwrite). */
  logsPerSecond: number
  /** MonitorCore.handleMessage reports per second (5 metrics each). */
  reportsPerSecond: number
  /** Heap bytes per full (peer, metric) window, store only (metric objects as the core makes them). */
  storeBytesPerWindow: number
  /** Heap bytes per (peer, metric), whole core: windows, peer records, tracked metrics, deadlines. */
  coreBytesPerWindow: number
}

/** A clock that moves only when told, with timers that never fire (expiry is not measured here). */
class StillClock implements Clock {
  time = 1_000
  now = (): number => this.time
  setTimeout = (): unknown => 0
  clearTimeout = (): void => {}
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('run with node --expose-gc (npm run bench does)')
  collect()
  collect()
}

function peerIds (count: number): string[] {
  // Peer ids as long as real Ed25519 ones (52 characters).
  return Array.from({ length: count }, (_, i) => `12D3KooW${String(i).padStart(44, '0')}`)
}

/** Metric objects as MonitorCore.logMetrics builds them: fresh name strings (decoded), shared peer string. */
function receivedMetric (peer: string, name: string, round: number): { peer: string, name: string, value: number, ttlMs: number, receivedAt: number, expiresAt: number, sentAt: number } {
  const receivedAt = 1_000 + round * INTERVAL_MS + 0.123
  return { peer, name: name.slice(0, 1) + name.slice(1), value: round * 1.5, ttlMs: TTL_MS, receivedAt, expiresAt: receivedAt + TTL_MS, sentAt: 1_700_000_000_000 + round * INTERVAL_MS }
}

function measureLogs (peers: string[]): number {
  const store = new MetricStore({ windowSize: CAPACITY, maxPeers: peers.length })
  for (let round = 0; round < CAPACITY; round++) {
    for (const peer of peers) for (const name of NAMES) store.log(receivedMetric(peer, name, round))
  }
  let logs = 0
  let round = CAPACITY
  const start = performance.now()
  while (performance.now() - start < 1500) {
    for (const peer of peers) for (const name of NAMES) store.log(receivedMetric(peer, name, round))
    logs += peers.length * NAMES.length
    round++
  }
  return logs / ((performance.now() - start) / 1000)
}

function report (peer: string, seq: number): Uint8Array {
  return encodeReport({
    version: REPORT_VERSION,
    kind: 'metrics',
    peer,
    epoch: 1_700_000_000_000,
    seq,
    sentAt: 1_700_000_000_000 + seq * INTERVAL_MS,
    intervalMs: INTERVAL_MS,
    metrics: [
      { name: 'ping', value: seq, ttlMs: TTL_MS },
      { name: 'load', value: 0.42 + seq / 1000, ttlMs: TTL_MS },
      { name: 'memory', value: 21_000_000_000 - seq, ttlMs: TTL_MS },
      { name: 'freespace', value: 400_000_000_000 - seq, ttlMs: TTL_MS },
      { name: 'peers', value: 6, ttlMs: TTL_MS }
    ]
  })
}

function newCore (clock: StillClock, peers: number): MonitorCore {
  return new MonitorCore({ self: 'self', clock, windowSize: CAPACITY, maxPeers: peers, onEvent: () => {} })
}

function measureReports (peers: string[]): number {
  const clock = new StillClock()
  const core = newCore(clock, peers.length)
  // Pre-encoded rounds, so encoding is not timed; reused with rising seqs by re-encoding per round outside the clock.
  let seq = 0
  const roundOf = (): Uint8Array[] => { seq++; return peers.map((p) => report(p, seq)) }
  for (let i = 0; i < 3; i++) {
    const round = roundOf()
    clock.time += INTERVAL_MS
    peers.forEach((p, j) => core.handleMessage(p, round[j]))
  }
  let handled = 0
  let busy = 0
  while (busy < 1500) {
    const round = roundOf()
    clock.time += INTERVAL_MS
    const start = performance.now()
    for (let j = 0; j < peers.length; j++) core.handleMessage(peers[j], round[j])
    busy += performance.now() - start
    handled += peers.length
  }
  const accepted = core.counters().accepted
  if (accepted < handled) throw new Error(`only ${accepted} of ${handled + 3 * peers.length} reports accepted`)
  return handled / (busy / 1000)
}

function measureStoreHeap (peers: string[]): number {
  gc()
  const before = process.memoryUsage().heapUsed
  const store = new MetricStore({ windowSize: CAPACITY, maxPeers: peers.length })
  for (let round = 0; round < CAPACITY; round++) {
    for (const peer of peers) for (const name of NAMES) store.log(receivedMetric(peer, name, round))
  }
  gc()
  const after = process.memoryUsage().heapUsed
  if (store.peers().length !== peers.length) throw new Error('store lost peers')
  return (after - before) / (peers.length * NAMES.length)
}

function measureCoreHeap (peers: string[]): number {
  const clock = new StillClock()
  const encoded: Uint8Array[][] = []
  for (let seq = 1; seq <= CAPACITY; seq++) encoded.push(peers.map((p) => report(p, seq)))
  gc()
  const before = process.memoryUsage().heapUsed
  const core = newCore(clock, peers.length)
  for (const round of encoded) {
    clock.time += INTERVAL_MS
    peers.forEach((p, j) => core.handleMessage(p, round[j]))
  }
  encoded.length = 0
  gc()
  const after = process.memoryUsage().heapUsed
  if (core.counters().accepted !== CAPACITY * peers.length) throw new Error('core refused reports')
  return (after - before) / (peers.length * NAMES.length)
}

export function runStore (peerCounts: number[]): StoreResult[] {
  return peerCounts.map((count) => {
    const peers = peerIds(count)
    return {
      peers: count,
      storeBytesPerWindow: measureStoreHeap(peers),
      coreBytesPerWindow: measureCoreHeap(peers),
      logsPerSecond: measureLogs(peers),
      reportsPerSecond: measureReports(peers)
    }
  })
}

export function storeTable (results: StoreResult[]): Table {
  return {
    title: `Store and receive path (window capacity ${CAPACITY}, ${NAMES.length} metrics per report)`,
    columns: ['peers', 'metrics logged/s', 'reports handled/s', 'µs/report', 'heap B/window (store)', 'heap B/window (core)'],
    rows: results.map((r) => [
      r.peers, fmt(r.logsPerSecond, 0), fmt(r.reportsPerSecond, 0), fmt(1e6 / r.reportsPerSecond, 1),
      fmt(r.storeBytesPerWindow, 0), fmt(r.coreBytesPerWindow, 0)
    ]),
    notes: ['store: MetricStore.log with full windows; core: MonitorCore.handleMessage (decode, validate, 5 metrics logged, deadlines moved).',
      'Heap per window: 25 metrics with their window; "core" adds the peer record, tracked metric and deadline shares.']
  }
}

const BENCH: Bench = {
  name: 'store',
  command: 'node --expose-gc dist/bench/store.js',
  flags: ['nodes', 'json', 'out', 'full'],
  help: `Usage: node --expose-gc dist/bench/store.js [options]

The store and the receive path in one process, no network: MetricStore.log and
MonitorCore.handleMessage per second, and heap bytes per full window.

Options:
  --nodes <n,n,...>   peer counts (default: 1000,10000)
  --json              also print one JSON object with every result
  --out <file>        write the JSON result to this file
  --full              accepted like the other benchmarks; the sizes are the same
  -h, --help          show this help
`
}

async function main (args: BenchArgs): Promise<void> {
  process.stderr.write(`store: ${machineLine()}\n`)
  const counts = args.nodes ?? [1_000, 10_000]
  const results = runStore(counts)
  process.stdout.write(renderText(storeTable(results)))
  if (args.out !== undefined) {
    const { writeFileSync } = await import('node:fs')
    writeFileSync(args.out, JSON.stringify({ benchmark: 'store', results }, null, 2))
  }
  if (args.json) process.stdout.write(JSON.stringify({ benchmark: 'store', results }) + '\n')
}

if (process.argv[1]?.endsWith('store.js') === true) runBench(BENCH, main)
