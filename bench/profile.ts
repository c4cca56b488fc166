/**
 * Where a daemon's time goes: runs a swarm whose daemons all run under
 * `--cpu-prof`, keeps the samples of the steady-state window of every
 * profile, and prints the CPU per accepted report split by package and by
 * function (self time).
 *
 *   node dist/bench/profile.js [--nodes 10] [--duration 30s] [--gossipsub stock|<json>] [--top 25] [--out file] [--help]
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gossipsubOverrides, runBench, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { fmt, renderText, type Table } from './lib/table.js'
import { sampleProcesses } from './lib/proc.js'
import { TracedSwarm, sleep } from './lib/traced-swarm.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileResult {
  nodes: number
  windowS: number
  /** Reports accepted in the window, all daemons together. */
  accepted: number
  /** CPU of all daemons per accepted report, µs (from /proc; the profiler's own cost included). */
  usPerReport: number
  /** CPU of the whole swarm in the window, cores. */
  swarmCores: number
  byPackage: Array<{ name: string, share: number, usPerReport: number }>
  byFunction: Array<{ name: string, share: number, usPerReport: number }>
}

/** The package a script belongs to: `@chainsafe/libp2p-gossipsub`, `peermon`, `node:internal`, ... */
export function packageOf (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  if (url.startsWith('node:')) return 'node (internals)'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.includes('/dist/src/')) return `peermon ${url.slice(url.indexOf('/dist/src/') + '/dist/'.length)}`
  return url
}

/** Adds the self time of `profile`'s samples between `from` and `to` (µs, the profile's clock) to `into[k]`, keyed by `keys[k]`. */
function addSelfTimes (profile: CpuProfile, from: number, to: number, keys: Array<(node: ProfileNode) => string>, into: Array<Map<string, number>>): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]
    if (t < from || t > to) continue
    const node = byId.get(profile.samples[i])
    if (node === undefined) continue
    const us = Math.max(0, profile.timeDeltas[i + 1] ?? 0)
    keys.forEach((key, k) => {
      const name = key(node)
      into[k].set(name, (into[k].get(name) ?? 0) + us)
    })
  }
}

export async function runProfile (options: { nodes: number, seconds: number, gossipsub?: 'stock' | Record<string, unknown>, log?: (line: string) => void }): Promise<ProfileResult> {
  const log = options.log ?? (() => {})
  const profDir = mkdtempSync(join(tmpdir(), 'peermon-prof-'))
  const traced = new TracedSwarm({
    nodes: options.nodes,
    intervalMs: 1000,
    ttlMs: 3000,
    gossipsub: options.gossipsub,
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${profDir}`]
  })
  const { swarm } = traced
  let windowStart = 0
  let windowEnd = 0
  let accepted = 0
  let cpuSeconds = 0
  const packages = new Map<string, number>()
  const functions = new Map<string, number>()
  try {
    log(`${options.nodes} nodes under --cpu-prof: starting`)
    await swarm.start()
    await swarm.waitFormed(60_000 + options.nodes * 2000)
    await sleep(5000)
    const before = sampleProcesses(swarm.pids)
    windowStart = Date.now()
    log(`measuring ${options.seconds} s`)
    await sleep(options.seconds * 1000)
    windowEnd = Date.now()
    for (const [pid, end] of sampleProcesses(swarm.pids)) cpuSeconds += end.cpuSeconds - (before.get(pid)?.cpuSeconds ?? end.cpuSeconds)
    await swarm.stop()
    for (const trace of traced.traces()) accepted += trace.received.filter((r) => r.recvAt >= windowStart && r.recvAt < windowEnd).length
    for (const file of readdirSync(profDir)) {
      const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile
      // The window is the last `seconds` before the stop began; the stop takes under a second.
      const stopMs = Date.now() - windowEnd
      const to = profile.endTime - Math.max(stopMs, 1000) * 1000
      const from = to - options.seconds * 1000 * 1000
      const name = (n: ProfileNode): string => {
        const f = n.callFrame
        const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, '')}:${f.lineNumber + 1}`
        return `${f.functionName === '' ? '(anonymous)' : f.functionName}${where}`
      }
      addSelfTimes(profile, from, to, [(n) => packageOf(n.callFrame.url, n.callFrame.functionName), name], [packages, functions])
    }
  } finally {
    await traced.dispose()
    rmSync(profDir, { recursive: true, force: true })
  }
  packages.delete('(idle)')
  for (const k of [...functions.keys()]) if (k.startsWith('(idle)')) functions.delete(k)
  // The profiler samples on a wall clock: a process that is descheduled in the middle
  // of a function is charged for the wait. Shares are kept; the µs are the kernel's CPU time.
  const busy = [...packages.values()].reduce((a, b) => a + b, 0)
  const usPerReport = cpuSeconds * 1e6 / Math.max(1, accepted)
  const rank = (m: Map<string, number>): ProfileResult['byPackage'] => [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ name, share: us / busy, usPerReport: us / busy * usPerReport }))
  const windowS = (windowEnd - windowStart) / 1000
  return {
    nodes: options.nodes,
    windowS,
    accepted,
    usPerReport,
    swarmCores: cpuSeconds / windowS,
    byPackage: rank(packages),
    byFunction: rank(functions)
  }
}

export function profileTables (r: ProfileResult, top = 20): Table[] {
  const head = `${r.nodes} daemons, ${fmt(r.windowS, 0)} s window, ${fmt(r.swarmCores, 2)} cores under the profiler, ${r.accepted} reports accepted: ${fmt(r.usPerReport, 0)} µs of CPU per accepted report (shares from the profiles' samples)`
  return [
    { title: `CPU by package (self time). ${head}`, columns: ['package', 'share', 'µs/report'], rows: r.byPackage.slice(0, top).map((p) => [p.name, `${fmt(p.share * 100, 1)} %`, fmt(p.usPerReport, 1)]) },
    { title: 'CPU by function (self time)', columns: ['function', 'share', 'µs/report'], rows: r.byFunction.slice(0, top).map((p) => [p.name, `${fmt(p.share * 100, 1)} %`, fmt(p.usPerReport, 1)]) }
  ]
}

const BENCH: Bench = {
  name: 'profile',
  command: 'node dist/bench/profile.js',
  flags: ['full', 'nodes', 'duration', 'seconds', 'gossipsub', 'top', 'out'],
  help: `Usage: node dist/bench/profile.js [options]

Runs a swarm whose daemons all run under --cpu-prof and prints the CPU per
accepted report, by package and by function (self time).

Options:
  --full                    30 nodes (default: 10)
  --nodes <n>               swarm size
  --duration <duration>     steady-state window profiled (default: 20s; --seconds <n> is the older spelling)
  --gossipsub <stock|json>  gossipsub's own parameters, or overrides of peermon's, e.g. '{"D":4}'
  --top <n>                 rows per table (default: 20)
  --out <file>              write the JSON result to this file
  -h, --help                show this help

Durations: 500ms, 2s, 1m; a bare number is seconds.
`
}

async function main (args: BenchArgs): Promise<void> {
  const gossipsub = gossipsubOverrides(args.gossipsub)
  const top = args.top ?? 20
  const log = (line: string): void => { process.stderr.write(`profile: ${line}\n`) }
  log(machineLine())
  const result = await runProfile({ nodes: args.nodes?.[0] ?? (args.full ? 30 : 10), seconds: args.durationMs !== undefined ? args.durationMs / 1000 : 20, gossipsub, log })
  for (const table of profileTables(result, top)) process.stdout.write(renderText(table) + '\n')
  if (args.out !== undefined) {
    const { writeFileSync } = await import('node:fs')
    writeFileSync(args.out, JSON.stringify({ benchmark: 'profile', result }, null, 2))
  }
}

if (process.argv[1]?.endsWith('profile.js') === true) runBench(BENCH, main)
