/**
 * The launcher's side of a packed swarm process (pack-command.ts): spawn it,
 * start and stop nodes in it, read each node's framed lines back into a
 * PackedNode that looks like any other node of the swarm.
 *
 * A packed node cannot be singled out by a signal (SIGKILL, SIGSTOP would hit
 * its neighbours too). SIGTERM and SIGINT stop it gracefully on its own, and
 * SIGKILL is played by the process: the node's connections are reset, it
 * leaves no notice and prints nothing more, and its exit reads `signal
 * SIGKILL` (pack-command.ts). SIGSTOP cannot be: one node's timers and sockets
 * cannot be frozen while its process mates run on, so a node a scenario hangs
 * gets a process of its own (Swarm's `solo`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { pipe } from 'it-pipe'
import { countGarbage, decodeEventLine, splitLines } from '../../events/parse.js'
import { PEERMON_BIN, STOP_GRACE_MS, SwarmNode, exitsWithin, stopForSure, type ChildExit } from '../nodes/daemon-child.js'
import { parseFramedLine, type PackCommand } from './protocol.js'

export interface PackedProcessOptions {
  /** Index of the process among the swarm's packed processes, for messages. */
  index: number
  /** Path of bin/peermon.js (default: this package's). */
  binPath?: string
  /** Node.js / V8 flags of the process. */
  execArgv?: string[]
  env?: NodeJS.ProcessEnv
  /** A command the process runs under (NetnsLan.execPrefix), as for a DaemonChild. */
  wrap?: string[]
  /** The IPv4 address its nodes' dialAddr prefers (default 127.0.0.1). */
  dialHost?: string
  /** Called with each stderr line of a node (and of the process itself, as node -1). */
  onStderr?: (node: number, line: string) => void
}

/** Extra time a packed process gets to stop, per node in it. */
export const PACKED_STOP_GRACE_PER_NODE_MS = 300

/** One process hosting several nodes. */
export class PackedProcess {
  readonly index: number
  readonly pid: number | undefined
  /** The nodes started in it, by swarm index. */
  readonly nodes = new Map<number, PackedNode>()
  /** How the process ended, once it did. */
  exit: ChildExit | undefined
  readonly exited: Promise<ChildExit>
  /** Lines on stdout without a node's frame, counted and dropped. */
  garbage = 0

  private readonly process: ChildProcess
  private readonly options: PackedProcessOptions

  constructor (options: PackedProcessOptions) {
    this.index = options.index
    this.options = options
    const command = [...options.wrap ?? [], process.execPath, ...options.execArgv ?? [], options.binPath ?? PEERMON_BIN, '_pack']
    this.process = spawn(command[0], command.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env
    })
    this.pid = this.process.pid
    this.exited = new Promise<ChildExit>((resolve) => {
      const finish = (exit: ChildExit): void => {
        if (this.exit !== undefined) return
        this.exit = exit
        for (const node of this.nodes.values()) node.processExited(exit)
        resolve(exit)
      }
      this.process.once('exit', (code, signal) => { finish({ code, signal }) })
      this.process.once('error', (err) => {
        for (const node of this.nodes.values()) node.failure ??= err
        if (this.pid === undefined) finish({ code: null, signal: null })
      })
    })
    // A write after the process died must not throw out of the launcher.
    this.process.stdin?.on('error', () => {})

    const stdout = this.process.stdout
    const stderr = this.process.stderr
    if (stdout !== null) {
      pipe(stdout, splitLines, async (source) => {
        for await (const text of source) this.receive(text)
      }).catch(() => {})
    }
    if (stderr !== null) {
      pipe(stderr, splitLines, async (source) => {
        for await (const line of source) {
          // The process's own lines concern every node in it.
          for (const node of this.nodes.values()) node.stderrLine(line)
          this.options.onStderr?.(-1, line)
        }
      }).catch(() => {})
    }
  }

  /** Starts node `index` in this process with daemon arguments `args`. */
  startNode (index: number, args: string[], env?: Record<string, string>): PackedNode {
    const node = new PackedNode(index, this, this.options.dialHost)
    this.nodes.set(index, node)
    if (this.exit !== undefined) node.processExited(this.exit)
    else this.send({ start: index, args, ...(env === undefined ? {} : { env }) })
    return node
  }

  /** Asks node `index` to stop gracefully (it says `stopping`, leaves, ends); false if the process is gone. */
  stopNode (index: number): boolean {
    return this.send({ stop: index })
  }

  /** Ends node `index` as a killed process looks from the network (pack-command.ts); false if the process is gone. */
  killNode (index: number): boolean {
    return this.send({ kill: index })
  }

  /** Sends a signal to the whole process; false when it is gone. */
  signal (signal: NodeJS.Signals): boolean {
    if (this.exit !== undefined || this.pid === undefined) return false
    try {
      return this.process.kill(signal)
    } catch {
      return false
    }
  }

  /**
   * Stops every node for sure: SIGCONT, SIGTERM (each node stops gracefully),
   * SIGKILL after `graceMs`. Resolves once the process exited. The default
   * grace grows with the nodes in the process: their stops share one thread
   * (a process of 25 nodes in a saturated 100-node swarm needed more than 3 s).
   */
  async stop (graceMs = STOP_GRACE_MS + PACKED_STOP_GRACE_PER_NODE_MS * this.nodes.size): Promise<ChildExit> {
    return await stopForSure(this, graceMs, () => { this.process.stdin?.end() })
  }

  killNow (): void {
    this.signal('SIGCONT')
    this.signal('SIGKILL')
  }

  private send (command: PackCommand): boolean {
    const stdin = this.process.stdin
    if (this.exit !== undefined || stdin === null || stdin.destroyed || stdin.writableEnded) return false
    stdin.write(`${JSON.stringify(command)}\n`)
    return true
  }

  private receive (text: string): void {
    const line = parseFramedLine(text)
    const node = line === undefined ? undefined : this.nodes.get(line.node)
    if (line === undefined || node === undefined) {
      if (text.trim() !== '') this.garbage++
      return
    }
    switch (line.kind) {
      case 'stdout': node.stdoutLine(line.text); break
      case 'stderr':
        node.stderrLine(line.text)
        this.options.onStderr?.(line.node, line.text)
        break
      case 'exit': node.ended({ code: line.code, signal: line.signal ?? null }); break
    }
  }
}

/** A node in a packed process. */
export class PackedNode extends SwarmNode {
  readonly packed = true
  readonly host: PackedProcess

  constructor (index: number, host: PackedProcess, dialHost?: string) {
    super(index, dialHost)
    this.host = host
  }

  get pid (): number | undefined {
    return this.host.pid
  }

  /**
   * SIGTERM and SIGINT stop this node gracefully, as they would a daemon of its
   * own; SIGKILL crashes it alone (PackedProcess.killNode). Every other signal
   * would reach the nodes it shares its process with, so it is not sent (false).
   */
  signal (signal: NodeJS.Signals): boolean {
    if (this.exit !== undefined) return false
    if (signal === 'SIGTERM' || signal === 'SIGINT') return this.host.stopNode(this.index)
    if (signal === 'SIGKILL') return this.host.killNode(this.index)
    return false
  }

  async stop (graceMs = STOP_GRACE_MS): Promise<ChildExit> {
    if (this.exit !== undefined) return this.exit
    this.host.stopNode(this.index)
    if (await exitsWithin(this.exited, graceMs)) return await this.exited
    return this.exit ?? { code: null, signal: null }
  }

  killNow (): void {
    this.host.killNow()
  }

  /** @internal One framed stdout line of this node. */
  stdoutLine (text: string): void {
    if (text.trim() === '') return
    const event = decodeEventLine(text)
    if (event === undefined) countGarbage(this.lineStats, text)
    else this.dispatch(event)
  }

  /** @internal One stderr line of this node (or of its process). */
  stderrLine (line: string): void {
    this.addStderr(line)
  }

  /** @internal The node's daemon ended with an exit code. */
  ended (exit: ChildExit): void {
    this.finish(exit)
  }

  /** @internal The whole process ended (killed, crashed, or done). */
  processExited (exit: ChildExit): void {
    this.finish(exit)
  }
}
