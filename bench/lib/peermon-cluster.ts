/**
 * N `peermon daemon --json` processes on 127.0.0.1 (src/swarm/nodes/daemon-child.ts's
 * DaemonChild), each with a key file made beforehand (so every peer id is
 * known before any starts) and a fixed port, bootstrapping to every other
 * member (mesh) or to member 0 only (hub). Failure reports: `alert` on the
 * `ping` metric; `left` on a graceful leave.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createNewKey } from '../../src/daemon/keyfile.js'
import { DaemonChild } from '../../src/swarm/nodes/daemon-child.js'
import { DAEMON_EXEC_ARGV, daemonEnv, supportedFlags } from '../../src/swarm/launch/daemon-process.js'
import type { FailureReport } from './failure-tally.js'
import { freePort, joinTargets, type MemberCluster, type Topology } from './member-cluster.js'

export interface PeermonClusterOptions {
  members: number
  topology: Topology
  intervalMs: number
  ttlMs: number
  /** Another build's bin/peermon.js (default: this one's). */
  binPath?: string
  log?: (line: string) => void
}

export class PeermonCluster implements MemberCluster {
  readonly system = 'peermon' as const
  readonly settings: string
  private readonly options: PeermonClusterOptions
  /** The members' key files; made by start(). */
  private dir = ''
  private readonly children: Array<DaemonChild | undefined> = []
  private readonly peers: string[] = []
  private readonly ports: number[] = []
  /** Peers each member has seen join since its process started. */
  private readonly joined: Array<Set<string>> = []
  private readonly listeners: Array<(report: FailureReport) => void> = []
  private readonly execArgv = supportedFlags(DAEMON_EXEC_ARGV)

  constructor (options: PeermonClusterOptions) {
    this.options = options
    this.settings = `peermon daemon --interval ${options.intervalMs}ms --ttl ${options.ttlMs}ms, every other option at its default ` +
      `(local health on, gossipsub as peermon tunes it); --api off; --bootstrap every other member (hub: member 0); ` +
      `node ${this.execArgv.join(' ')}; failure time: the alert event's ts (metric ping)`
  }

  async start (timeoutMs: number): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'peermon-serf-bench-'))
    const taken = new Set<number>()
    for (let i = 0; i < this.options.members; i++) {
      const key = await createNewKey(this.keyFile(i))
      this.peers.push(peerIdFromPrivateKey(key).toString())
      this.ports.push(await freePort(taken))
    }
    for (let i = 0; i < this.options.members; i++) this.spawnDaemon(i)
    const deadline = Date.now() + timeoutMs
    while (!this.joined.every((peers) => peers.size >= this.options.members - 1)) {
      if (Date.now() > deadline) {
        const least = Math.min(...this.joined.map((p) => p.size))
        throw new Error(`the peermon swarm did not form within ${timeoutMs} ms (a member knows ${least}/${this.options.members - 1} peers)`)
      }
      const gone = this.children.findIndex((c) => c?.exit !== undefined)
      if (gone !== -1) throw new Error(`peermon member ${gone} exited while forming${this.children[gone]?.stderrSummary() ?? ''}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  signal (index: number, signal: NodeJS.Signals): boolean {
    return this.children[index]?.signal(signal) ?? false
  }

  async restart (index: number): Promise<void> {
    await this.exited(index)
    this.spawnDaemon(index)
  }

  async exited (index: number): Promise<void> {
    await this.children[index]?.exited
  }

  onReport (listener: (report: FailureReport) => void): void {
    this.listeners.push(listener)
  }

  pids (): number[] {
    return this.children.flatMap((c) => c?.exit === undefined && c?.pid !== undefined ? [c.pid] : [])
  }

  async stop (): Promise<void> {
    try {
      await Promise.all(this.children.map(async (c) => await c?.stop()))
    } finally {
      if (this.dir !== '') rmSync(this.dir, { recursive: true, force: true })
    }
  }

  killNow (): void {
    for (const c of this.children) c?.killNow()
    if (this.dir !== '') rmSync(this.dir, { recursive: true, force: true })
  }

  private keyFile (index: number): string {
    return join(this.dir, `member-${index}.key`)
  }

  private spawnDaemon (index: number): void {
    const { intervalMs, ttlMs, topology, members } = this.options
    const bootstrap = joinTargets(topology, members, index).flatMap((j) => ['--bootstrap', `/ip4/127.0.0.1/tcp/${this.ports[j]}/p2p/${this.peers[j]}`])
    const child = new DaemonChild({
      index,
      args: ['--json', '--listen', `/ip4/127.0.0.1/tcp/${this.ports[index]}`, '--key', this.keyFile(index),
        '--interval', `${intervalMs}ms`, '--ttl', `${ttlMs}ms`, '--api', 'off', ...bootstrap],
      binPath: this.options.binPath,
      execArgv: this.execArgv,
      env: daemonEnv(process.env)
    })
    this.children[index] = child
    const joined = new Set<string>()
    this.joined[index] = joined
    child.onEvent(({ event, at }) => {
      const member = typeof event.peer === 'string' ? this.peers.indexOf(event.peer) : -1
      if (event.event === 'joined' && member !== -1) joined.add(event.peer as string)
      if (member === -1) return
      const kind = event.event === 'alert' && event.metric === 'ping' ? 'failed' : event.event === 'left' ? 'left' : undefined
      if (kind === undefined) return
      for (const listener of this.listeners) listener({ observer: index, member, at, kind })
    })
  }
}
