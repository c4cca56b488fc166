/**
 * N `serf agent` processes on 127.0.0.1 (HashiCorp Serf, Debian's package),
 * at Serf's defaults (`-profile lan`: memberlist's LAN timings), each joining
 * every other member (mesh) or member 0 only (hub). Failure reports come from
 * each agent's log (serf-log.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { pipe } from 'it-pipe'
import { splitLines } from '../../src/events/parse.js'
import { stopForSure, type ChildExit } from '../../src/swarm/nodes/daemon-child.js'
import type { FailureReport } from './failure-tally.js'
import { freePort, joinTargets, type MemberCluster, type Topology } from './member-cluster.js'
import { parseSerfLogLine } from './serf-log.js'

/** How often an agent retries its -retry-join list when no member answered (Serf's default: 30s). */
const RETRY_INTERVAL = '1s'

/** The Serf and memberlist settings the agents run with (Serf's agent defaults, `-profile lan`). */
export const SERF_SETTINGS = 'serf agent defaults, -profile lan (memberlist DefaultLANConfig: ProbeInterval 1s, ProbeTimeout 500ms, ' +
  'SuspicionMult 4 (suspicion timeout 4 × log10(N) × 1s, min 1 × 1s), SuspicionMaxTimeoutMult 6 (Lifeguard: starts at 6× and falls ' +
  'with independent confirmations), IndirectChecks 3, AwarenessMaxMultiplier 8, GossipInterval 200ms, GossipNodes 3, ' +
  `PushPullInterval 30s, TCPTimeout 10s); -retry-join every other member (hub: member 0) with -retry-interval ${RETRY_INTERVAL}; ` +
  'failure time: the agent\'s log line "serf: EventMemberFailed" (event handlers see it after the agent coalesces member events)'

/** The installed `serf` version line, or undefined when `serf` is not on PATH. */
export function serfVersion (): string | undefined {
  const result = spawnSync('serf', ['version'], { encoding: 'utf8' })
  if (result.error !== undefined || result.status !== 0) return undefined
  return result.stdout.split('\n')[0].trim()
}

interface Agent {
  process: ChildProcess
  exit: ChildExit | undefined
  exited: Promise<ChildExit>
  signal: (signal: NodeJS.Signals) => boolean
  /** Members this agent holds alive (names). */
  alive: Set<string>
}

export class SerfCluster implements MemberCluster {
  readonly system = 'serf' as const
  readonly settings = SERF_SETTINGS
  private readonly members: number
  private readonly topology: Topology
  private readonly agents: Array<Agent | undefined> = []
  private readonly ports: Array<{ bind: number, rpc: number }> = []
  private readonly listeners: Array<(report: FailureReport) => void> = []
  private readonly log: (line: string) => void

  constructor (options: { members: number, topology: Topology, log?: (line: string) => void }) {
    this.members = options.members
    this.topology = options.topology
    this.log = options.log ?? (() => {})
  }

  async start (timeoutMs: number): Promise<void> {
    const taken = new Set<number>()
    for (let i = 0; i < this.members; i++) this.ports.push({ bind: await freePort(taken), rpc: await freePort(taken) })
    // Member 0 first: the others' first join attempt finds it listening.
    this.spawnAgent(0)
    await this.until(() => this.agents[0]?.alive.has(name(0)) === true, timeoutMs, 'member 0 did not start')
    for (let i = 1; i < this.members; i++) this.spawnAgent(i)
    await this.until(() => this.agents.every((a) => a?.alive.size === this.members), timeoutMs,
      'the Serf cluster did not form')
  }

  signal (index: number, signal: NodeJS.Signals): boolean {
    return this.agents[index]?.signal(signal) ?? false
  }

  async restart (index: number): Promise<void> {
    await this.exited(index)
    this.spawnAgent(index)
  }

  async exited (index: number): Promise<void> {
    await this.agents[index]?.exited
  }

  onReport (listener: (report: FailureReport) => void): void {
    this.listeners.push(listener)
  }

  pids (): number[] {
    return this.agents.flatMap((a) => a?.exit === undefined && a?.process.pid !== undefined ? [a.process.pid] : [])
  }

  async stop (): Promise<void> {
    await Promise.all(this.agents.map(async (a) => { if (a !== undefined) await stopForSure(a, 2000) }))
  }

  killNow (): void {
    for (const a of this.agents) {
      a?.signal('SIGCONT')
      a?.signal('SIGKILL')
    }
  }

  private spawnAgent (index: number): void {
    const { bind, rpc } = this.ports[index]
    const joins = joinTargets(this.topology, this.members, index).map((j) => `-retry-join=127.0.0.1:${this.ports[j].bind}`)
    const process = spawn('serf', ['agent', `-node=${name(index)}`, `-bind=127.0.0.1:${bind}`, `-rpc-addr=127.0.0.1:${rpc}`,
      '-log-level=info', `-retry-interval=${RETRY_INTERVAL}`, ...joins], { stdio: ['ignore', 'pipe', 'pipe'] })
    let resolveExited: (exit: ChildExit) => void = () => {}
    const agent: Agent = {
      process,
      exit: undefined,
      exited: new Promise((resolve) => { resolveExited = resolve }),
      signal: (signal) => {
        if (agent.exit !== undefined) return false
        try { return process.kill(signal) } catch { return false }
      },
      alive: new Set()
    }
    const finish = (exit: ChildExit): void => {
      if (agent.exit !== undefined) return
      agent.exit = exit
      resolveExited(exit)
    }
    process.once('exit', (code, signal) => { finish({ code, signal }) })
    process.once('error', (err) => {
      this.log(`serf member ${index}: ${err.message}`)
      if (process.pid === undefined) finish({ code: null, signal: null })
    })
    this.agents[index] = agent
    const read = async (source: AsyncIterable<string>): Promise<void> => {
      for await (const line of source) {
        const at = Date.now()
        const event = parseSerfLogLine(line)
        if (event === undefined) {
          if (line.includes('[ERR]') && !line.includes('Failed fallback ping')) this.log(`serf member ${index}: ${line.trim()}`)
          continue
        }
        if (event.kind === 'join') agent.alive.add(event.member)
        if (event.kind === 'failed' || event.kind === 'leave' || event.kind === 'reap') agent.alive.delete(event.member)
        const member = indexOf(event.member)
        if (member === undefined || (event.kind !== 'failed' && event.kind !== 'leave')) continue
        const report: FailureReport = { observer: index, member, at, kind: event.kind === 'failed' ? 'failed' : 'left' }
        for (const listener of this.listeners) listener(report)
      }
    }
    if (process.stdout !== null) pipe(process.stdout, splitLines, read).catch(() => {})
    if (process.stderr !== null) pipe(process.stderr, splitLines, read).catch(() => {})
  }

  private async until (test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`)
      if (this.agents.some((a) => a?.exit !== undefined)) throw new Error(`${what}: an agent exited (${this.agents.findIndex((a) => a?.exit !== undefined)})`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function name (index: number): string {
  return `m${index}`
}

function indexOf (member: string): number | undefined {
  const match = /^m(\d+)$/.exec(member)
  return match === null ? undefined : Number(match[1])
}
