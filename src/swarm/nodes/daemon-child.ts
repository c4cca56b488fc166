/**
 * One `peermon daemon --json` child process: spawn it, read its event lines,
 * wait for its `listening` line, send it signals, stop it for sure.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { pipe } from 'it-pipe'
import type { EventLine } from '../../events/event.js'
import { createLineStats, eventTime, parseEventLines, splitLines, type LineStats } from '../../events/parse.js'

/** The CLI entry point, from dist/src/swarm/nodes/daemon-child.js. */
export const PEERMON_BIN = fileURLToPath(new URL('../../../../bin/peermon.js', import.meta.url))

/** How long a child gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 3000

/** How many stderr lines a child keeps for error messages. */
const STDERR_TAIL_LINES = 40

/** An event line of one node of the swarm, as the launcher received it. */
export interface NodeEvent {
  /** Index of the node that printed the line. */
  node: number
  event: EventLine
  /** The event's own time (its `ts`), in epoch ms; the receipt time if `ts` does not parse. */
  at: number
  /** Launcher's monotonic clock (performance.now()) at receipt. */
  receivedAt: number
}

export interface DaemonChildOptions {
  /** Node index in the swarm, carried into every NodeEvent. */
  index: number
  /** Arguments after `daemon`, e.g. `['--json', '--listen', ...]`. */
  args: string[]
  /** Path of bin/peermon.js (default: this package's). */
  binPath?: string
  /** Node.js / V8 flags before the script, e.g. `['--max-semi-space-size=1']` (default none). */
  execArgv?: string[]
  env?: NodeJS.ProcessEnv
  /**
   * A command the daemon runs under, e.g. `['ip', 'netns', 'exec', 'pm-42-0']`
   * (NetnsLan.execPrefix): it must execute the daemon in its own place, so the
   * child's pid is the daemon's and signals reach it. Default none.
   */
  wrap?: string[]
  /** The IPv4 address dialAddr prefers (default 127.0.0.1). */
  dialHost?: string
  /** Called with each stderr line as it arrives. */
  onStderr?: (line: string) => void
}

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export type ChildState = 'starting' | 'running' | 'paused' | 'exited'

export interface ListeningInfo {
  peer: string
  addrs: string[]
}

/**
 * One node of a swarm, as the launcher sees it: its event lines, its
 * `listening` line, its state and how it ended. A node runs alone in a process
 * (DaemonChild) or with others in a packed one (PackedNode, ../packed/packed-process.ts); what
 * can be done to it depends on which.
 */
export abstract class SwarmNode {
  readonly index: number
  /** The node's peer id, once it printed `listening`. */
  peer: string | undefined
  /** The node's addresses, once it printed `listening`. */
  addrs: string[] = []
  state: ChildState = 'starting'
  /** How it ended, once it did. */
  exit: ChildExit | undefined
  /** Resolves when the node has ended (never rejects). */
  readonly exited: Promise<ChildExit>
  /** Non-JSON or malformed stdout lines, counted and dropped. */
  readonly lineStats: LineStats = createLineStats()
  /** The last stderr lines, for error messages. */
  readonly stderrTail: string[] = []
  /** Error from spawning or reading the process, if any. */
  failure: Error | undefined
  /** Whether the node shares its process with others: then signals cannot single it out. */
  abstract readonly packed: boolean
  /** The pid of the node's process. */
  abstract readonly pid: number | undefined

  private readonly dialHost: string
  private readonly listeners = new Set<(event: NodeEvent) => void>()
  private readonly listening: Promise<ListeningInfo>
  private resolveExited: (exit: ChildExit) => void = () => {}

  constructor (index: number, dialHost = '127.0.0.1') {
    this.index = index
    this.dialHost = dialHost
    this.exited = new Promise<ChildExit>((resolve) => { this.resolveExited = resolve })
    this.listening = new Promise<ListeningInfo>((resolve, reject) => {
      const off = this.onEvent(({ event }) => {
        if (event.event !== 'listening') return
        off()
        this.peer = event.peer
        this.addrs = event.addrs ?? []
        if (this.state === 'starting') this.state = 'running'
        resolve({ peer: this.peer as string, addrs: this.addrs })
      })
      void this.exited.then(() => {
        off()
        reject(new Error(`node ${this.index} exited before listening (${describeExit(this.exit)})${this.stderrSummary()}`))
      })
    })
    this.listening.catch(() => {})
  }

  /**
   * Sends a signal to the node's process; false when it is gone or cannot be
   * singled out (a packed node takes SIGTERM and SIGINT only: a graceful stop).
   */
  abstract signal (signal: NodeJS.Signals): boolean

  /** Stops the node for sure (graceful first); resolves once it ended. */
  abstract stop (graceMs?: number): Promise<ChildExit>

  /** Last-resort synchronous kill of the node's process, for process 'exit' handlers. */
  abstract killNow (): void

  /** SIGSTOP: the process freezes with its connections open (a hung node). */
  pause (): boolean {
    return this.signal('SIGSTOP')
  }

  /** SIGCONT: undo pause(). */
  resume (): boolean {
    return this.signal('SIGCONT')
  }

  /** Calls `listener` with each event line from now on; returns the unsubscribe function. */
  onEvent (listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Resolves with the node's id and addresses once it prints `listening`; rejects if it exits first or `timeoutMs` passes. */
  async whenListening (timeoutMs: number): Promise<ListeningInfo> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`node ${this.index} did not print a listening line within ${timeoutMs} ms${this.stderrSummary()}`))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.listening, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** A dialable address of this node ending in `/p2p/<id>`, preferring its dialHost (127.0.0.1). */
  get dialAddr (): string | undefined {
    if (this.peer === undefined) return undefined
    const addr = this.addrs.find((a) => a.startsWith(`/ip4/${this.dialHost}/`)) ?? this.addrs[0]
    if (addr === undefined) return undefined
    return addr.includes('/p2p/') ? addr : `${addr}/p2p/${this.peer}`
  }

  /** The tail of stderr as an indented block, or '' when there is none. */
  stderrSummary (lines = 10): string {
    const tail = this.stderrTail.slice(-lines)
    return tail.length === 0 ? '' : `\n${tail.map((line) => `  [node ${this.index}] ${line}`).join('\n')}`
  }

  /** Records that the node ended (the first call counts). */
  protected finish (exit: ChildExit): void {
    if (this.exit !== undefined) return
    this.exit = exit
    this.state = 'exited'
    this.resolveExited(exit)
  }

  /** Keeps one stderr line of the node. */
  protected addStderr (line: string): void {
    this.stderrTail.push(line)
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift()
  }

  /** Hands one event line to every listener. */
  protected dispatch (event: EventLine): void {
    const receivedAt = performance.now()
    const nodeEvent: NodeEvent = { node: this.index, event, at: eventTime(event, Date.now()), receivedAt }
    for (const listener of [...this.listeners]) {
      try {
        listener(nodeEvent)
      } catch (err) {
        this.failure ??= err as Error
      }
    }
  }
}

/** A node alone in its own `peermon daemon --json` child process: signals reach it and only it. */
export class DaemonChild extends SwarmNode {
  readonly packed = false
  readonly pid: number | undefined

  private readonly process: ChildProcess

  constructor (options: DaemonChildOptions) {
    super(options.index, options.dialHost)
    const command = [...options.wrap ?? [], process.execPath, ...options.execArgv ?? [], options.binPath ?? PEERMON_BIN, 'daemon', ...options.args]
    this.process = spawn(command[0], command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env
    })
    this.pid = this.process.pid
    this.process.once('exit', (code, signal) => { this.finish({ code, signal }) })
    this.process.once('error', (err) => {
      this.failure ??= err
      // 'error' without a pid means the spawn itself failed: no 'exit' will follow.
      if (this.pid === undefined) this.finish({ code: null, signal: null })
    })

    const stdout = this.process.stdout
    const stderr = this.process.stderr
    if (stdout !== null) {
      pipe(stdout, splitLines, parseEventLines(this.lineStats), async (source) => {
        for await (const event of source) this.dispatch(event)
      }).catch((err: Error) => { this.failure ??= err })
    }
    if (stderr !== null) {
      pipe(stderr, splitLines, async (source) => {
        for await (const line of source) {
          this.addStderr(line)
          options.onStderr?.(line)
        }
      }).catch((err: Error) => { this.failure ??= err })
    }
  }

  signal (signal: NodeJS.Signals): boolean {
    return signalProcess(this, this.process, signal)
  }

  /** Stops the process for sure (stopForSure). */
  async stop (graceMs = STOP_GRACE_MS): Promise<ChildExit> {
    return await stopForSure(this, graceMs)
  }

  killNow (): void {
    this.signal('SIGCONT')
    this.signal('SIGKILL')
  }
}

/** A process as stopForSure sees it: a solo daemon or a packed process. */
export interface StoppableProcess {
  readonly exit: ChildExit | undefined
  readonly exited: Promise<ChildExit>
  signal: (signal: NodeJS.Signals) => boolean
}

/**
 * Stops a process for sure: SIGCONT (a stopped process cannot handle
 * SIGTERM), SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited
 * (or, should even SIGKILL not end it, after a second `graceMs`).
 */
export async function stopForSure (target: StoppableProcess, graceMs: number, afterTerm?: () => void): Promise<ChildExit> {
  if (target.exit !== undefined) return target.exit
  target.signal('SIGCONT')
  target.signal('SIGTERM')
  afterTerm?.()
  if (await exitsWithin(target.exited, graceMs)) return await target.exited
  target.signal('SIGKILL')
  await exitsWithin(target.exited, graceMs)
  return target.exit ?? { code: null, signal: null }
}

/** Sends `signal` to `child`'s process and keeps `node.state` in step; false when the process is gone. */
export function signalProcess (node: SwarmNode, child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (node.exit !== undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false
  try {
    const sent = child.kill(signal)
    if (sent && signal === 'SIGSTOP') node.state = 'paused'
    if (sent && signal === 'SIGCONT' && node.state === 'paused') node.state = 'running'
    return sent
  } catch {
    return false
  }
}

export function describeExit (exit: ChildExit | undefined): string {
  if (exit === undefined) return 'still running'
  if (exit.signal !== null) return `signal ${exit.signal}`
  return exit.code === null ? 'could not start' : `exit code ${exit.code}`
}

export async function exitsWithin (exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([exited.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
