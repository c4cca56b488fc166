/**
 * Local health, side by side: the same conditions with `--local-health on`
 * and `off`, one after the other in one run (issue 10's table):
 *
 * - `stall`: every daemon of a swarm SIGSTOPped together for 5 s, then
 *   SIGCONTed (a VM pause, a swap storm): alerts are all false.
 * - `starve`: 4 busy processes beside the swarm for 20 s: alerts are all false.
 * - `saturated`: a swarm past the machine's capacity, a quiet window with no
 *   failure (false alerts), then one daemon SIGKILLed: survivors that alert
 *   within 5 TTLs.
 * - `healthy`: crash rounds in a swarm that fits: alert lag after expiry, false alerts.
 *
 *   node dist/bench/local-health.js [--only stall,starve,saturated,healthy] [--nodes 6,6,40,20] [--duration 60s] [--rounds 3] [--json] [--out file]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import { onlyOf, runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { summarize, type Summary } from './lib/stats.js'
import { fmt, renderText, type Table } from './lib/table.js'
import { sleep } from './lib/traced-swarm.js'
import { DEFAULT_INTERVAL_MS, defaultTtlMs } from '../src/constants.js'
import { Swarm } from '../src/swarm/launch/launcher.js'
import type { NodeEvent } from '../src/swarm/nodes/daemon-child.js'

const INTERVAL_MS = DEFAULT_INTERVAL_MS
const TTL_MS = defaultTtlMs(INTERVAL_MS)
const DEFAULT_STALL_MS = 5000
const STARVE_MS = 20_000
const BUSY_PROCESSES = 4
const SCENARIOS = ['stall', 'starve', 'saturated', 'healthy'] as const
type Scenario = typeof SCENARIOS[number]
type Mode = 'on' | 'off'

export interface LocalHealthRow {
  scenario: Scenario
  mode: Mode
  nodes: number
  load1: number
  /** Alerts about peers that did not fail, in the scenario's windows. */
  falseAlerts: number
  /** Per episode (stall) or per window. */
  falseAlertsEach: number[]
  degraded: number
  isolated: number
  /** saturated and healthy: survivors that alerted on the killed node (within 5 TTLs), of those expected. */
  detected?: string
  /** Alert lag after expiry (ms) of the detections, from the alert events. */
  lag?: Summary
  /** From the SIGKILL to the alert (ms). */
  sinceKill?: Summary
  neverFormed?: string
  /** stall: how long each stall lasted (ms). */
  stallMs?: number
}

interface RunOptions { nodes: number, mode: Mode, rounds: number, windowMs: number, stallMs: number, seed: number, log: (line: string) => void }

async function withSwarm<T> (o: RunOptions, body: (swarm: Swarm, events: NodeEvent[]) => Promise<T>): Promise<T & { neverFormed?: string }> {
  const swarm = new Swarm({
    nodes: o.nodes,
    intervalMs: INTERVAL_MS,
    ttlMs: TTL_MS,
    seed: o.seed,
    readyTimeoutMs: 180_000,
    // A process per daemon: the stall scenario stops them all with SIGSTOP.
    perProcess: 1,
    nodeArgs: () => ['--local-health', o.mode]
  })
  const events: NodeEvent[] = []
  swarm.onEvent((event) => { events.push(event) })
  let neverFormed: string | undefined
  try {
    await swarm.start()
    try {
      await swarm.waitFormed(60_000 + o.nodes * 2000)
    } catch (err) {
      neverFormed = err instanceof Error ? err.message.slice(0, 160) : String(err)
      o.log(`${o.mode}: ${neverFormed}; going on`)
    }
    await sleep(2 * TTL_MS)
    return { ...(await body(swarm, events)), neverFormed }
  } finally {
    await swarm.stop()
  }
}

const count = (events: NodeEvent[], type: string, from: number, to: number): number =>
  events.filter((e) => e.event.event === type && e.at >= from && e.at < to).length

async function stall (o: RunOptions): Promise<Omit<LocalHealthRow, 'scenario' | 'mode' | 'nodes' | 'load1'>> {
  return await withSwarm(o, async (swarm, events) => {
    const each: number[] = []
    const from = Date.now()
    for (let r = 0; r < o.rounds; r++) {
      const at = Date.now()
      for (const child of swarm.nodes) child.signal('SIGSTOP')
      await sleep(o.stallMs)
      for (const child of swarm.nodes) child.resume()
      await sleep(4 * TTL_MS)
      each.push(count(events, 'alert', at, Date.now()))
      o.log(`${o.mode}: stall ${r + 1}/${o.rounds}: ${each[r]} alerts`)
    }
    return { stallMs: o.stallMs, falseAlerts: each.reduce((a, b) => a + b, 0), falseAlertsEach: each, degraded: count(events, 'degraded', from, Infinity), isolated: count(events, 'isolated', from, Infinity) }
  })
}

async function starve (o: RunOptions): Promise<Omit<LocalHealthRow, 'scenario' | 'mode' | 'nodes' | 'load1'>> {
  return await withSwarm(o, async (_swarm, events) => {
    const from = Date.now()
    const busy: ChildProcess[] = Array.from({ length: BUSY_PROCESSES }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
    try {
      await sleep(STARVE_MS)
    } finally {
      for (const p of busy) p.kill('SIGKILL')
    }
    await sleep(2 * TTL_MS)
    const n = count(events, 'alert', from, Date.now())
    return { falseAlerts: n, falseAlertsEach: [n], degraded: count(events, 'degraded', from, Infinity), isolated: count(events, 'isolated', from, Infinity) }
  })
}

/** A quiet window (false alerts), then SIGKILL of one node: who alerts within 5 TTLs, how late. */
async function windowThenKill (o: RunOptions): Promise<Omit<LocalHealthRow, 'scenario' | 'mode' | 'nodes' | 'load1'>> {
  return await withSwarm(o, async (swarm, events) => {
    const from = Date.now()
    await sleep(o.windowMs)
    const quiet = count(events, 'alert', from, Date.now())
    o.log(`${o.mode}: ${quiet} false alerts in ${o.windowMs / 1000} s`)
    const lag: number[] = []
    const since: number[] = []
    let expected = 0
    let detected = 0
    let falseInRounds = 0
    for (let r = 0; r < o.rounds; r++) {
      const alive = swarm.nodes.filter((c) => c.state === 'running')
      const victim = alive[Math.floor(alive.length / 2) + r]
      if (victim === undefined) break
      const killedAt = Date.now()
      victim.signal('SIGKILL')
      await sleep(5 * TTL_MS)
      const survivors = alive.filter((c) => c !== victim)
      expected += survivors.length
      for (const s of survivors) {
        const alert = events.find((e) => e.node === s.index && e.event.event === 'alert' && e.event.peer === victim.peer && e.at >= killedAt)
        if (alert === undefined) continue
        detected++
        lag.push(alert.event.lagMs as number)
        since.push(alert.at - killedAt)
      }
      falseInRounds += events.filter((e) => e.event.event === 'alert' && e.event.peer !== victim.peer && e.at >= killedAt).length
      await sleep(TTL_MS)
    }
    return {
      falseAlerts: quiet + falseInRounds,
      falseAlertsEach: [quiet, falseInRounds],
      degraded: count(events, 'degraded', from, Infinity),
      isolated: count(events, 'isolated', from, Infinity),
      detected: `${detected}/${expected}`,
      lag: summarize(lag),
      sinceKill: summarize(since)
    }
  })
}

const RUNNERS: Record<Scenario, (o: RunOptions) => Promise<Omit<LocalHealthRow, 'scenario' | 'mode' | 'nodes' | 'load1'>>> = {
  stall,
  starve,
  saturated: windowThenKill,
  healthy: windowThenKill
}

export function localHealthTable (rows: LocalHealthRow[]): Table {
  return {
    title: `Local health on and off (interval ${INTERVAL_MS / 1000} s, TTL ${TTL_MS / 1000} s)`,
    columns: ['scenario', 'nodes', 'local health', 'load', 'false alerts', 'each', 'degraded', 'isolated', 'detected ≤ 5 TTL', 'lag p50 ms', 'lag p99 ms', 'kill→alert p50 s', 'p99 s'],
    rows: rows.map((r) => [r.scenario, r.nodes, r.mode, fmt(r.load1, 1), r.falseAlerts, r.falseAlertsEach.join(' / '), r.degraded, r.isolated,
      r.detected ?? '', r.lag === undefined ? '' : fmt(r.lag.p50, 1), r.lag === undefined ? '' : fmt(r.lag.p99, 1),
      r.sinceKill === undefined ? '' : fmt(r.sinceKill.p50 / 1000, 2), r.sinceKill === undefined ? '' : fmt(r.sinceKill.p99 / 1000, 2)]),
    notes: [
      `stall: every daemon SIGSTOPped ${(rows.find((r) => r.stallMs !== undefined)?.stallMs ?? DEFAULT_STALL_MS) / 1000} s, then SIGCONTed; each: alerts per episode. starve: ${BUSY_PROCESSES} busy processes for ${STARVE_MS / 1000} s.`,
      'saturated, healthy: each = false alerts in the quiet window / during the kill rounds; lag: the alert\'s lagMs (alert time − expiry).',
      ...rows.filter((r) => r.neverFormed !== undefined).map((r) => `${r.scenario} ${r.mode}: the swarm never formed (${r.neverFormed}); measured anyway.`)
    ]
  }
}

const BENCH: Bench = {
  name: 'local-health',
  command: 'node dist/bench/local-health.js',
  flags: ['only', 'nodes', 'duration', 'rounds', 'stall', 'seed', 'json', 'out'],
  help: `Usage: node dist/bench/local-health.js [options]

The same conditions with --local-health on and off, side by side: a whole-host
stall, CPU starvation, a saturated swarm (a quiet window, then a SIGKILL) and a
healthy swarm (crash rounds).

Options:
  --only <name,...>       stall, starve, saturated, healthy (default: all)
  --nodes <n,n,n,n>       swarm sizes, in that order (default: 6,6,40,20)
  --duration <duration>   the quiet window of saturated and healthy (default: 60s)
  --rounds <n>            stall episodes and kill rounds (default: 3)
  --stall <duration>      how long each stall lasts (default: 5s; from about 9s it
                          outlasts the postponement bound, 2 TTLs past an expiry)
  --seed <n>              topology seed (default: 1)
  --json                  also print one JSON object with every result
  --out <file>            write the JSON result to this file
  -h, --help              show this help
`
}

async function main (args: BenchArgs): Promise<void> {
  const only = onlyOf(args, SCENARIOS)
  const sizes = args.nodes ?? [6, 6, 40, 20]
  const sizeOf = (s: Scenario): number => sizes[SCENARIOS.indexOf(s)] ?? sizes[sizes.length - 1]
  const log = (line: string): void => { process.stderr.write(`local-health: ${line}\n`) }
  const rows: LocalHealthRow[] = []
  for (const scenario of only) {
    for (const mode of ['off', 'on'] as const) {
      const nodes = sizeOf(scenario)
      const load1 = os.loadavg()[0]
      log(`${scenario}, ${nodes} nodes, local health ${mode} (load ${load1.toFixed(1)})`)
      const result = await RUNNERS[scenario]({ nodes, mode, rounds: args.rounds ?? 3, windowMs: args.durationMs ?? 60_000, stallMs: args.stallMs ?? DEFAULT_STALL_MS, seed: args.seed, log })
      rows.push({ scenario, mode, nodes, load1, ...result })
    }
  }
  process.stdout.write(`${machineLine()}\n\n${renderText(localHealthTable(rows))}\n`)
  writeResults(args, 'local-health', rows)
}

runBench(BENCH, main)
