/**
 * HTTP API latency: many concurrent clients of `GET /api/v0/peers` (or another
 * path) on a daemon-like API that monitors N peers. The server runs in a child
 * process (the API server of the daemon, fed by a MonitorCore that receives N
 * synthetic peers' reports every second, with full windows), so the clients
 * do not share its event loop. Prints latency percentiles and requests/s.
 *
 *   node dist/bench/api.js [--peers 50] [--clients 100] [--duration 10s] [--warmup 2s]
 *     [--path /api/v0/peers] [--json] [--help]
 *   npm run bench:api -- --clients 100
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildApiServer } from '../src/api/server.js'
import type { ApiMonitor } from '../src/api/routes.js'
import { MonitorCore } from '../src/monitor/monitor.js'
import { REPORT_VERSION, encodeReport } from '../src/monitor/report.js'
import type { Metric } from '../src/monitor/types.js'
import { runBench, type Bench, type BenchArgs } from './lib/args.js'
import { formatDuration } from '../src/duration.js'
import { canonicalPeerId } from '../src/libp2p/peer-id.js'
import { percentile } from './lib/stats.js'

interface Options {
  peers: number
  clients: number
  /** Measurement window (ms). */
  durationMs: number
  /** Warm-up before it (ms). */
  warmupMs: number
  path: string
  json: boolean
}

const BENCH: Bench = {
  name: 'bench/api',
  command: 'node dist/bench/api.js',
  flags: ['peers', 'clients', 'duration', 'seconds', 'warmup', 'path', 'json'],
  help: `Usage: node dist/bench/api.js [options]   (npm run bench:api -- [options])

Many concurrent clients of one API path on a daemon-like API server (in a
child process) that monitors N synthetic peers: latency percentiles, requests/s
and the server's CPU.

Options:
  --peers <n>             monitored peers (default: 50)
  --clients <n>           concurrent clients (default: 100)
  --duration <duration>   measurement window (default: 10s; --seconds <n> is the older spelling)
  --warmup <duration>     load before the window, not measured (default: 2s)
  --path <path>           the path asked for (default: /api/v0/peers)
  --json                  print the result as one JSON object
  -h, --help              show this help

Durations: 500ms, 2s, 1m; a bare number is seconds.
`
}

function optionsOf (args: BenchArgs): Options {
  return {
    peers: args.peers ?? 50,
    clients: args.clients ?? 100,
    durationMs: args.durationMs ?? 10_000,
    warmupMs: args.warmupMs ?? 2000,
    path: args.path ?? '/api/v0/peers',
    json: args.json
  }
}

// ---------------------------------------------------------------- server side

/** What a peer publishes: the built-in metrics, a tag and two custom metrics, like a daemon with one sidecar. */
function metricsOf (i: number, seq: number): Metric[] {
  return [
    { name: 'ping', value: seq, ttlMs: 3000 },
    { name: 'load', value: 0.5 + (i % 7) / 10 + (seq % 5) / 100, ttlMs: 3000 },
    { name: 'memory', value: 8e9 - seq * 4096, ttlMs: 3000 },
    { name: 'freespace', value: 1.2e11 + i, ttlMs: 3000 },
    { name: 'peers', value: 3 + (i % 5), ttlMs: 3000 },
    { name: 'tag:zone', value: ['eu-west', 'us-east', 'ap-south'][i % 3], ttlMs: 3000 },
    { name: 'queue_depth', value: (i * 13 + seq) % 100, ttlMs: 3000 },
    { name: 'version', value: '0.1.0', ttlMs: 3000 }
  ]
}

async function serve (opts: Options): Promise<void> {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const peers: string[] = []
  for (let i = 0; i < opts.peers; i++) peers.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
  const core = new MonitorCore({ self, onEvent: () => {} })
  const epoch = Date.now()
  let seq = 0
  const feed = (intervalMs: number): void => {
    seq++
    for (const [i, peer] of peers.entries()) {
      const report = { version: REPORT_VERSION, kind: 'metrics' as const, peer, epoch, seq, sentAt: Date.now(), intervalMs, metrics: metricsOf(i, seq) }
      const result = core.handleMessage(peer, encodeReport(report))
      if (!result.accepted) throw new Error(`synthetic report dropped: ${result.reason}`)
    }
  }
  // Fill every window (25 reports) quickly at a declared 100 ms interval, then report every second as a swarm does.
  for (let round = 0; round < 26; round++) {
    feed(100)
    await new Promise(resolve => setTimeout(resolve, 110))
  }
  const steady = setInterval(() => { feed(1000) }, 1000)

  const monitor: ApiMonitor = {
    peers: () => core.peers().map(p => ({ ...p, connected: true })),
    peer: (id) => { const p = core.peer(id); return p === undefined ? undefined : { ...p, connected: true } },
    latest: (name) => core.latest(name),
    metricNames: () => core.metricNames(),
    counters: () => core.counters(),
    setMetric: () => {},
    deleteMetric: () => false,
    published: 0,
    localCondition: core.localCondition
  }
  const api = await buildApiServer({
    monitor,
    canonicalPeerId,
    identity: () => ({ peer: self, addrs: [`/ip4/127.0.0.1/tcp/4011/p2p/${self}`], version: 'bench', topic: 'peermon/v1', intervalMs: 1000, ttlMs: 3000, windowSize: 25 })
  })
  await api.app.listen({ host: '127.0.0.1', port: 0 })
  const address = api.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  process.send?.({ port: address.port })
  process.once('disconnect', () => {
    clearInterval(steady)
    core.stop()
    void api.app.close().then(() => { process.exit(0) })
  })
}

// ---------------------------------------------------------------- client side

interface Result {
  peers: number
  clients: number
  seconds: number
  path: string
  requests: number
  errors: number
  reqPerS: number
  bytesPerResponse: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  serverCpuPct: number
  machine: string
}

async function startServer (): Promise<{ child: ChildProcess, port: number }> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', ...process.argv.slice(2)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (msg) => { resolve((msg as { port: number }).port) })
    child.once('exit', (code) => { reject(new Error(`bench server exited (${String(code)}) before listening`)) })
  })
  return { child, port }
}

function get (agent: Agent, port: number, path: string): Promise<{ status: number, bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}


/** CPU time (user + system, ms) of a process so far, from /proc; NaN elsewhere. */
async function cpuMs (pid: number | undefined): Promise<number> {
  try {
    const { readFile } = await import('node:fs/promises')
    const fields = (await readFile(`/proc/${String(pid)}/stat`, 'utf8')).split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / 100
  } catch {
    return NaN
  }
}

async function run (opts: Options): Promise<Result> {
  const { child, port } = await startServer()
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients })
  try {
    const first = await get(agent, port, opts.path)
    if (first.status !== 200) throw new Error(`GET ${opts.path}: ${first.status}`)
    const latencies: number[] = []
    let errors = 0
    let bytes = 0
    let measuring = false
    let stop = false
    const client = async (): Promise<void> => {
      while (!stop) {
        const start = performance.now()
        // Only requests that start and end in the window count: connection set-up belongs to the warm-up.
        const inWindow = measuring
        try {
          const res = await get(agent, port, opts.path)
          if (res.status !== 200) errors++
          if (inWindow && measuring) { latencies.push(performance.now() - start); bytes += res.bytes }
        } catch {
          errors++
        }
      }
    }
    const clients = Array.from({ length: opts.clients }, async () => { await client() })
    await new Promise(resolve => setTimeout(resolve, opts.warmupMs))
    measuring = true
    const cpuBefore = await cpuMs(child.pid)
    const started = performance.now()
    await new Promise(resolve => setTimeout(resolve, opts.durationMs))
    measuring = false
    const elapsed = performance.now() - started
    const cpuAfter = await cpuMs(child.pid)
    stop = true
    await Promise.all(clients)
    latencies.sort((a, b) => a - b)
    const round = (n: number): number => Math.round(n * 100) / 100
    return {
      peers: opts.peers,
      clients: opts.clients,
      seconds: opts.durationMs / 1000,
      path: opts.path,
      requests: latencies.length,
      errors,
      reqPerS: Math.round(latencies.length / (elapsed / 1000)),
      bytesPerResponse: Math.round(bytes / Math.max(1, latencies.length)),
      p50Ms: round(percentile(latencies, 50)),
      p90Ms: round(percentile(latencies, 90)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1] ?? NaN),
      serverCpuPct: Math.round((cpuAfter - cpuBefore) / elapsed * 100),
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load ${os.loadavg()[0].toFixed(2)}, node ${process.version}`
    }
  } finally {
    agent.destroy()
    child.disconnect()
    await new Promise(resolve => child.once('exit', resolve))
  }
}

async function main (args: BenchArgs): Promise<void> {
  const opts = optionsOf(args)
  if (serving) {
    await serve(opts)
    return
  }
  const result = await run(opts)
  if (opts.json) {
    process.stdout.write(JSON.stringify(result) + '\n')
  } else {
    process.stdout.write([
      `GET ${result.path}: ${result.clients} concurrent clients, ${result.peers} monitored peers, ${formatDuration(opts.durationMs)} (after ${formatDuration(opts.warmupMs)} warm-up)`,
      `  requests   ${result.requests} (${result.reqPerS} req/s), errors ${result.errors}, ${result.bytesPerResponse} bytes per response`,
      `  latency    p50 ${result.p50Ms} ms   p90 ${result.p90Ms} ms   p99 ${result.p99Ms} ms   max ${result.maxMs} ms`,
      `  server CPU ${result.serverCpuPct} % of one core`,
      `  machine    ${result.machine}`,
      ''
    ].join('\n'))
  }
}

/** The child this benchmark forks runs with `--serve` and the parent's flags. */
const serving = process.argv.includes('--serve')
runBench(BENCH, main, process.argv.slice(2).filter(arg => arg !== '--serve'))
