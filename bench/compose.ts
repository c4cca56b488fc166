/**
 * Compose: the image and deploy/compose/compose.yaml at a size, with podman
 * and podman-compose on this machine. Builds the image on a local base (cold,
 * then again warm), starts a seed and --peers replicas at compose.yaml's
 * defaults (2 s interval, so a 6 s TTL), and measures: the time until every
 * daemon monitors every other; false alerts while nothing happens for
 * --duration; the time from `podman kill` of one replica to each survivor's
 * alert; memory and CPU per container; and, with the seed killed, that the
 * replicas keep monitoring each other (one alert each, nothing else). Prints
 * numbers, not pass or fail; removes everything it made. Root, podman,
 * podman-compose and busybox-static needed.
 *
 *   node dist/bench/compose.js [--peers 20] [--duration 5m] [--json] [--out file]
 */
import { existsSync, readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { formatDuration } from '../src/duration.js'
import { percentile } from '../src/swarm/scenario/assessment.js'
import { PODMAN_ENV, REPO, buildImage, podman, podmanOk, run } from '../test/helpers/containers.js'
import { freePort } from '../test/helpers/daemons.js'
import { sleep } from '../test/helpers/wait.js'
import { runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { fmt, renderText, type Table } from './lib/table.js'

const PROJECT = 'peermon-bench'
const COMPOSE_DIR = join(REPO, 'deploy', 'compose')
const TOKEN_FILE = join(COMPOSE_DIR, 'api-token')
/** compose.yaml's default interval (2 s) and so the TTL (3 × interval). */
const TTL_MS = 6_000

const BENCH: Bench = {
  name: 'compose',
  command: 'node dist/bench/compose.js',
  flags: ['peers', 'duration', 'json', 'out'],
  help: `Usage: node dist/bench/compose.js [options]

Builds the image with podman on a local base (deploy/podman/local-image.sh),
starts deploy/compose/compose.yaml with podman-compose (a seed and --peers
replicas, 2 s interval, 6 s TTL), and prints: build time (cold, warm) and image
size; the time until every daemon monitors every other; false alerts in
--duration of quiet; each survivor's delay from podman kill of a replica to its
alert; memory and CPU per container; after the seed is killed, alerts other than
the seed's and whether the replicas still monitor each other. Removes every
container, network and image it made. Needs root, podman, podman-compose, busybox-static.

Options:
  --peers <n>             replicas of the peer service (default 20)
  --duration <duration>   quiet time watched for false alerts (default 5m)
  --json                  also print one JSON object with every result
  --out <file>            write the JSON result to this file
  -h, --help              show this help
`
}

interface Health { peer: string, peers: { alive: number, alerting: number, left: number } }
interface EventLine { ts: string, event: string, peer?: string }

export interface ComposeResult {
  peers: number
  buildColdSeconds: number
  buildWarmSeconds: number
  imageMB: number
  baseMB: number
  convergedSeconds: number | null
  quietSeconds: number
  falseAlerts: number
  detectionMs: { p50: number, max: number, survivors: number, alerted: number, withinTtlPlus1s: number }
  memoryMB: { median: number, max: number }
  cpuPercent: { median: number, max: number }
  seedKilled: { alertedOnSeed: number, otherAlerts: number, stillMonitoring: number, of: number }
}

async function main (args: BenchArgs): Promise<void> {
  const replicas = args.peers ?? 20
  const quietMs = args.durationMs ?? 300_000
  console.error(machineLine())
  const createdToken = !existsSync(TOKEN_FILE)
  if (createdToken) await writeFile(TOKEN_FILE, `${randomBytes(16).toString('hex')}\n`)
  const token = readFileSync(TOKEN_FILE, 'utf8').trim()
  const cold = await buildImage('bench-compose')
  const warm = await buildImage('bench-compose')
  const env = { ...PODMAN_ENV, PEERMON_IMAGE: cold.image, PEERMON_PEERS: String(replicas), PEERMON_DASHBOARD_PORT: String(await freePort()) }
  const compose = async (...rest: string[]): Promise<void> => {
    const result = await run('podman-compose', ['-p', PROJECT, '-f', 'compose.yaml', ...rest], { env, cwd: COMPOSE_DIR, timeoutMs: 600_000 })
    if (result.code !== 0) throw new Error(`podman-compose ${rest.join(' ')}: ${result.stderr.slice(-1000)}`)
  }
  const names = [`${PROJECT}_seed_1`, ...Array.from({ length: replicas }, (_, i) => `${PROJECT}_peer_${i + 1}`)]
  try {
    const sizeOf = async (image: string): Promise<number> => Number((await podmanOk(['image', 'inspect', image, '--format', '{{.Size}}'])).trim()) / 1e6
    const upAt = Date.now()
    await compose('up', '-d')
    const ips = new Map<string, string>()
    for (const name of names) ips.set(name, (await podmanOk(['inspect', name, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'])).trim())
    const api = async <T>(name: string, path: string): Promise<T | undefined> => {
      try {
        const res = await fetch(`http://${ips.get(name) ?? ''}:5011/api/v0/${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) })
        return res.ok ? await res.json() as T : undefined
      } catch {
        return undefined
      }
    }
    const healthOf = async (list: string[]): Promise<Array<Health | undefined>> => await Promise.all(list.map(async n => await api<Health>(n, 'health')))
    const alertsOf = async (name: string): Promise<EventLine[]> => (await api<{ events: EventLine[] }>(name, 'alerts'))?.events ?? []

    let convergedSeconds: number | null = null
    const convergeDeadline = Date.now() + 180_000
    while (Date.now() < convergeDeadline) {
      const all = await healthOf(names)
      if (all.every(h => h?.peers.alive === replicas)) { convergedSeconds = (Date.now() - upAt) / 1000; break }
      await sleep(500)
    }
    console.error(`compose: ${names.length} daemons ${convergedSeconds === null ? 'did not all' : `all`} monitor each other${convergedSeconds === null ? ' within 180 s' : ` ${convergedSeconds.toFixed(1)} s after podman-compose up began`}`)
    const ids = new Map<string, string>()
    for (const [i, h] of (await healthOf(names)).entries()) ids.set(names[i], h?.peer ?? '')

    console.error(`compose: watching ${formatDuration(quietMs)} for false alerts`)
    await sleep(quietMs)
    const stats = JSON.parse(await podmanOk(['stats', '--no-stream', '--format', 'json', ...names])) as Array<{ name: string, mem_usage: string, cpu_percent: string }>
    const memory = stats.map(s => megabytes(s.mem_usage.split('/')[0]))
    const cpu = stats.map(s => Number.parseFloat(s.cpu_percent))
    let falseAlerts = 0
    for (const name of names) falseAlerts += (await alertsOf(name)).filter(e => e.event === 'alert').length

    const victim = names[names.length - 1]
    const survivors = names.filter(n => n !== victim)
    const before = Date.now()
    await podmanOk(['kill', victim])
    const killedAt = (before + Date.now()) / 2
    const delays = new Map<string, number>()
    const detectDeadline = Date.now() + TTL_MS + 30_000
    while (Date.now() < detectDeadline && delays.size < survivors.length) {
      for (const name of survivors) {
        if (delays.has(name)) continue
        const alert = (await alertsOf(name)).find(e => e.event === 'alert' && e.peer === ids.get(victim))
        if (alert !== undefined) delays.set(name, Date.parse(alert.ts) - killedAt)
      }
      await sleep(250)
    }
    const delayList = [...delays.values()]

    const seed = names[0]
    const replicasLeft = survivors.filter(n => n !== seed)
    const countsBefore = new Map<string, number>()
    for (const name of replicasLeft) countsBefore.set(name, (await alertsOf(name)).filter(e => e.event === 'alert').length)
    await podmanOk(['kill', seed])
    await sleep(4 * TTL_MS)
    let alertedOnSeed = 0
    let otherAlerts = 0
    let stillMonitoring = 0
    for (const name of replicasLeft) {
      const fresh = (await alertsOf(name)).filter(e => e.event === 'alert').slice(countsBefore.get(name) ?? 0)
      if (fresh.filter(e => e.peer === ids.get(seed)).length === 1) alertedOnSeed++
      otherAlerts += fresh.filter(e => e.peer !== ids.get(seed)).length
      const h = (await healthOf([name]))[0]
      if (h?.peers.alive === replicasLeft.length - 1) stillMonitoring++
    }

    const result: ComposeResult = {
      peers: replicas,
      buildColdSeconds: cold.buildSeconds,
      buildWarmSeconds: warm.buildSeconds,
      imageMB: await sizeOf(cold.image),
      baseMB: await sizeOf(cold.base),
      convergedSeconds,
      quietSeconds: quietMs / 1000,
      falseAlerts,
      detectionMs: {
        p50: percentile(delayList, 50),
        max: Math.max(...delayList),
        survivors: survivors.length,
        alerted: delayList.length,
        withinTtlPlus1s: delayList.filter(d => d <= TTL_MS + 1_000).length
      },
      memoryMB: { median: percentile(memory, 50), max: Math.max(...memory) },
      cpuPercent: { median: percentile(cpu, 50), max: Math.max(...cpu) },
      seedKilled: { alertedOnSeed, otherAlerts, stillMonitoring, of: replicasLeft.length }
    }
    print(result)
    writeResults(args, 'compose', result)
  } finally {
    await run('podman-compose', ['-p', PROJECT, '-f', 'compose.yaml', 'down'], { env, cwd: COMPOSE_DIR, timeoutMs: 600_000 })
    const left = (await podman(['ps', '--all', '--format', '{{.Names}}'])).stdout.split('\n').filter(n => n.startsWith(`${PROJECT}_`))
    if (left.length > 0) await podman(['rm', '--force', ...left])
    await podman(['network', 'rm', `${PROJECT}_default`])
    await cold.remove()
    if (createdToken) await rm(TOKEN_FILE, { force: true })
  }
}

function print (r: ComposeResult): void {
  const table: Table = {
    title: `Compose: a seed and ${r.peers} replicas, 2 s interval, 6 s TTL (podman-compose)`,
    columns: ['measure', 'figure'],
    rows: [
      ['image build (cold, warm)', `${fmt(r.buildColdSeconds, 1)} s, ${fmt(r.buildWarmSeconds, 1)} s`],
      ['image size (base)', `${fmt(r.imageMB, 0)} MB (${fmt(r.baseMB, 0)} MB)`],
      ['every daemon monitors every other', r.convergedSeconds === null ? 'not within 180 s' : `${fmt(r.convergedSeconds, 1)} s after up`],
      [`false alerts in ${fmt(r.quietSeconds, 0)} s`, String(r.falseAlerts)],
      ['killed replica: survivors alerted', `${r.detectionMs.alerted}/${r.detectionMs.survivors}, ${r.detectionMs.withinTtlPlus1s} within TTL + 1 s`],
      ['kill to alert (p50, max)', `${fmt(r.detectionMs.p50 / 1000, 2)} s, ${fmt(r.detectionMs.max / 1000, 2)} s`],
      ['memory per container (median, max)', `${fmt(r.memoryMB.median, 0)} MB, ${fmt(r.memoryMB.max, 0)} MB`],
      ['CPU per container (median, max)', `${fmt(r.cpuPercent.median, 1)} %, ${fmt(r.cpuPercent.max, 1)} %`],
      ['seed killed: replicas alerting once on it', `${r.seedKilled.alertedOnSeed}/${r.seedKilled.of}`],
      ['seed killed: other alerts', String(r.seedKilled.otherAlerts)],
      ['seed killed: replicas still monitoring all others', `${r.seedKilled.stillMonitoring}/${r.seedKilled.of}`]
    ]
  }
  process.stdout.write(renderText(table))
}

/** `42.1MB`, `1.2GB`, `800kB` (podman stats) → MB. */
function megabytes (text: string): number {
  const match = /^([\d.]+)\s*([kMG]?B)$/i.exec(text.trim())
  if (match === null) return NaN
  const scale: Record<string, number> = { b: 1e-6, kb: 1e-3, mb: 1, gb: 1e3 }
  return Number(match[1]) * (scale[match[2].toLowerCase()] ?? NaN)
}

await runBench(BENCH, main)
