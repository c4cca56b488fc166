/**
 * One `peermon daemon --json` child process: spawn it, read its event lines,
 * wait for its `listening` line, send it signals, stop it for sure.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { pipe } from 'it-pipe'
import type { EventLine } from '../events/event.js'
import { createLineStats, eventTime, parseEventLines, splitLines, type LineStats } from '../events/parse.js'

/** The CLI entry point, from dist/src/swarm/child.js. */
export const PEERMON_BIN = fileURLToPath(new URL('../../../bin/peermon.js', import.meta.url))

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

export class DaemonChild {
  readonly index: number
  readonly pid: number | undefined
  /** The node's peer id, once it printed `listening`. */
  peer: string | undefined
  /** The node's addresses, once it printed `listening`. */
  addrs: string[] = []
  state: ChildState = 'starting'
  /** How it ended, once it did. */
  exit: ChildExit | undefined
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ChildExit>
  /** Non-JSON or malformed stdout lines, counted and dropped. */
  readonly lineStats: LineStats = createLineStats()
  /** The last stderr lines, for error messages. */
  readonly stderrTail: string[] = []
  /** Error from spawning or reading the process, if any. */
  failure: Error | undefined

  private readonly process: ChildProcess
  private readonly dialHost: string
  private readonly listeners = new Set<(event: NodeEvent) => void>()
  private readonly listening: Promise<ListeningInfo>

  constructor (options: DaemonChildOptions) {
    this.index = options.index
    this.dialHost = options.dialHost ?? '127.0.0.1'
    const command = [...options.wrap ?? [], process.execPath, ...options.execArgv ?? [], options.binPath ?? PEERMON_BIN, 'daemon', ...options.args]
    this.process = spawn(command[0], command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env
    })
    this.pid = this.process.pid

    this.exited = new Promise<ChildExit>((resolve) => {
      const finish = (exit: ChildExit): void => {
        if (this.exit !== undefined) return
        this.exit = exit
        this.state = 'exited'
        resolve(exit)
      }
      this.process.once('exit', (code, signal) => { finish({ code, signal }) })
      this.process.once('error', (err) => {
        this.failure ??= err
        // 'error' without a pid means the spawn itself failed: no 'exit' will follow.
        if (this.pid === undefined) finish({ code: null, signal: null })
      })
    })

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
          this.stderrTail.push(line)
          if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift()
          options.onStderr?.(line)
        }
      }).catch((err: Error) => { this.failure ??= err })
    }
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

  /** Sends a signal; false when the process is gone. */
  signal (signal: NodeJS.Signals): boolean {
    if (this.exit !== undefined || this.pid === undefined) return false
    try {
      const sent = this.process.kill(signal)
      if (sent && signal === 'SIGSTOP') this.state = 'paused'
      if (sent && signal === 'SIGCONT' && this.state === 'paused') this.state = 'running'
      return sent
    } catch {
      return false
    }
  }

  /** SIGSTOP: the process freezes with its connections open (a hung node). */
  pause (): boolean {
    return this.signal('SIGSTOP')
  }

  /** SIGCONT: undo pause(). */
  resume (): boolean {
    return this.signal('SIGCONT')
  }

  /**
   * Stops the process for sure: SIGCONT (a stopped process cannot handle
   * SIGTERM), SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited.
   */
  async stop (graceMs = STOP_GRACE_MS): Promise<ChildExit> {
    if (this.exit !== undefined) return this.exit
    this.signal('SIGCONT')
    this.signal('SIGTERM')
    if (await exitsWithin(this.exited, graceMs)) return this.exited
    this.signal('SIGKILL')
    await exitsWithin(this.exited, graceMs)
    return this.exit ?? { code: null, signal: null }
  }

  /** Last-resort synchronous kill, for process 'exit' handlers. */
  killNow (): void {
    this.signal('SIGCONT')
    this.signal('SIGKILL')
  }

  /** The tail of stderr as an indented block, or '' when there is none. */
  stderrSummary (lines = 10): string {
    const tail = this.stderrTail.slice(-lines)
    return tail.length === 0 ? '' : `\n${tail.map((line) => `  [node ${this.index}] ${line}`).join('\n')}`
  }

  private dispatch (event: EventLine): void {
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

export function describeExit (exit: ChildExit | undefined): string {
  if (exit === undefined) return 'still running'
  if (exit.signal !== null) return `signal ${exit.signal}`
  return exit.code === null ? 'could not start' : `exit code ${exit.code}`
}

async function exitsWithin (exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([exited.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
