/**
 * Alert hooks (`--on-alert`, `--on-recovered`, `--on-left`), in the manner of
 * Serf's event handlers: for each such event the operator's command runs via
 * `/bin/sh -c`, with the event as one JSON line on stdin (the `--json` line)
 * and as `PEERMON_*` environment variables:
 *
 * ```sh
 * peermon daemon --on-alert 'echo "$PEERMON_PEER lost $PEERMON_METRIC" | mail -s peermon ops@example.com'
 * ```
 *
 * Hooks never block the monitor: they are spawned asynchronously, at most
 * {@link HOOK_LIMITS.maxRunning} at a time, with up to
 * {@link HOOK_LIMITS.maxQueued} more waiting; beyond that a run is dropped.
 * A hook still running after the timeout gets SIGTERM, then SIGKILL (its whole
 * process group, so `sh -c 'sleep 100'` really ends). Failures — a non-zero
 * exit, a timeout, a spawn error, a dropped run — become `warning` events.
 *
 * A flapping peer (src/monitor/flapping.ts) runs its hooks at most once per
 * flap window: its `flapping` event runs `--on-alert`, its alert and recovered
 * events (marked `flapping: true`) run nothing, and its `stable` event runs
 * the hook of the state it settled in (`--on-alert` when it stays down,
 * `--on-recovered` when it is up). The hook tells them apart by
 * `PEERMON_EVENT`. See {@link hookFor}.
 *
 * Values that come from peers (metric names, string values) only ever reach
 * the hook through stdin and the environment, never through the command line,
 * so they cannot inject shell syntax.
 */
import { spawn } from 'node:child_process'
import { formatDuration } from '../duration.js'
import type { EventLine, PeermonEvent } from '../events/event.js'
import { shortPeer } from '../events/format.js'
import type { EventRecord } from '../events/record.js'
import type { DaemonConfig } from './config.js'
import type { DaemonContext, DaemonPart } from './part.js'

/** Event types that can have a hook. */
export type HookEventType = 'alert' | 'recovered' | 'left'

/** The command to run for each hooked event type. */
export type HookCommands = Partial<Record<HookEventType, string>>

/** Bounds of the hook runner. */
export const HOOK_LIMITS = Object.freeze({
  /** Hooks running at once. */
  maxRunning: 4,
  /** Hook runs waiting for a free slot; more are dropped with a warning. */
  maxQueued: 32,
  /** Time between SIGTERM and SIGKILL of a hook that timed out (ms). */
  killGraceMs: 2_000,
  /** On daemon stop, how long running hooks may go on before they are killed (ms). */
  stopGraceMs: 1_000,
  /** On daemon stop, the time between SIGTERM and SIGKILL (ms). */
  stopKillGraceMs: 500,
  /** Characters of a failed hook's stderr kept for its warning. */
  stderrTailChars: 200
})

export interface HookRunnerInit {
  commands: HookCommands
  /** A hook running longer than this (ms) is killed. */
  timeoutMs: number
  /** Reports a failure; the daemon turns it into a `warning` event. */
  warn: (message: string) => void
  /** This node's peer id, passed as PEERMON_NODE. */
  self?: string
  /** Default {@link HOOK_LIMITS}.maxRunning. */
  maxRunning?: number
  /** Default {@link HOOK_LIMITS}.maxQueued. */
  maxQueued?: number
  /** Default {@link HOOK_LIMITS}.killGraceMs. */
  killGraceMs?: number
  /** Environment the hooks inherit (their own PEERMON_* variables removed); default process.env. */
  env?: NodeJS.ProcessEnv
  /** Default `/bin/sh`. */
  shell?: string
}

interface HookRun {
  type: HookEventType
  command: string
  event: Readonly<EventLine>
  line: string
  env: NodeJS.ProcessEnv
}

/** After a hook exits, how long its stderr may take to reach its end (ms). */
const EXIT_SETTLE_MS = 100

/** Option names, for messages. */
const FLAG: Record<HookEventType, string> = { alert: '--on-alert', recovered: '--on-recovered', left: '--on-left' }

/** Runs the configured command for each hooked event; bounded, asynchronous, never throws. */
export class HookRunner {
  private readonly init: HookRunnerInit
  private readonly queue: HookRun[] = []
  private readonly running = new Set<RunningHook>()
  private readonly baseEnv: NodeJS.ProcessEnv
  private readonly idleWaiters: Array<() => void> = []
  private droppedSinceWarning = 0
  private stopped = false

  constructor (init: HookRunnerInit) {
    this.init = init
    this.baseEnv = Object.fromEntries(Object.entries(init.env ?? process.env).filter(([name]) => !name.startsWith('PEERMON_')))
  }

  /** Hooks running now. */
  get runningCount (): number {
    return this.running.size
  }

  /** Hook runs waiting for a slot. */
  get queuedCount (): number {
    return this.queue.length
  }

  /** Starts (or queues) the hook for `event`, if its type has one. Returns at once. */
  handle (record: EventRecord): void {
    if (this.stopped) return
    const type = hookFor(record.event)
    if (type === undefined) return
    const command = this.init.commands[type]
    if (command === undefined || command === '') return
    const run: HookRun = { type, command, event: record.line, line: record.json, env: this.hookEnv(record.line) }
    if (this.running.size < (this.init.maxRunning ?? HOOK_LIMITS.maxRunning)) {
      this.start(run)
      return
    }
    const maxQueued = this.init.maxQueued ?? HOOK_LIMITS.maxQueued
    if (this.queue.length < maxQueued) {
      this.queue.push(run)
      return
    }
    if (this.droppedSinceWarning++ === 0) {
      this.init.warn(`${FLAG[run.type]} hook for ${describeEvent(run.event)} dropped: ${this.running.size} hooks running and ${maxQueued} waiting`)
    }
  }

  /** Resolves once no hook runs or waits (for tests and shutdown). */
  async whenIdle (): Promise<void> {
    if (this.running.size === 0 && this.queue.length === 0) return
    await new Promise<void>(resolve => { this.idleWaiters.push(resolve) })
  }

  /**
   * Stops taking events and drops the queue; running hooks get `graceMs` to
   * finish, then SIGTERM and SIGKILL. Resolves once they all exited.
   */
  async stop (graceMs: number = HOOK_LIMITS.stopGraceMs): Promise<void> {
    this.stopped = true
    this.queue.length = 0
    if (this.running.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>(resolve => { timer = setTimeout(resolve, graceMs) })
    await Promise.race([this.whenIdle(), grace])
    clearTimeout(timer)
    for (const hook of this.running) hook.kill('daemon stopping', HOOK_LIMITS.stopKillGraceMs)
    await this.whenIdle()
  }

  private hookEnv (line: Readonly<EventLine>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.baseEnv }
    for (const [field, value] of Object.entries(line)) {
      env[`PEERMON_${screamingSnake(field)}`] = envValue(value)
    }
    if (this.init.self !== undefined) env.PEERMON_NODE = this.init.self
    return env
  }

  private start (run: HookRun): void {
    const hook = new RunningHook(run, this.init, (failure) => {
      this.running.delete(hook)
      if (failure !== undefined && !this.stopped) this.init.warn(failure)
      this.next()
    })
    this.running.add(hook)
  }

  private next (): void {
    const run = this.queue.shift()
    if (run !== undefined && !this.stopped) {
      this.start(run)
      return
    }
    if (this.running.size > 0 || this.queue.length > 0) return
    if (this.droppedSinceWarning > 1 && !this.stopped) {
      this.init.warn(`hooks: ${this.droppedSinceWarning} runs dropped in all while the hook queue was full`)
    }
    this.droppedSinceWarning = 0
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }
}

/** One spawned hook: feeds stdin, keeps the tail of stderr, enforces the timeout. */
class RunningHook {
  private readonly killGraceMs: number
  private readonly done: (failure: string | undefined) => void
  private stderrTail = ''
  private killedFor: string | undefined
  private timer: NodeJS.Timeout | undefined
  private killTimer: NodeJS.Timeout | undefined
  private readonly pid: number | undefined
  private finished = false

  constructor (run: HookRun, init: HookRunnerInit, done: (failure: string | undefined) => void) {
    this.killGraceMs = init.killGraceMs ?? HOOK_LIMITS.killGraceMs
    this.done = done
    const what = `${FLAG[run.type]} hook for ${describeEvent(run.event)}`
    let child
    try {
      // detached: the hook leads its own process group, so a kill reaches the shell's children too.
      child = spawn(init.shell ?? '/bin/sh', ['-c', run.command], { stdio: ['pipe', 'ignore', 'pipe'], env: run.env, detached: true })
    } catch (err) {
      this.pid = undefined
      queueMicrotask(() => { this.finish(`${what} could not start: ${describe(err)}`) })
      return
    }
    this.pid = child.pid
    child.on('error', (err) => {
      // Without a pid the spawn failed and no 'close' follows.
      if (child.pid === undefined) this.finish(`${what} could not start: ${describe(err)}`)
    })
    const report = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.killedFor !== undefined) {
        this.finish(`${what} ${this.killedFor}; killed`)
      } else if (code !== 0) {
        const reason = signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`
        const stderr = this.stderrTail.trim().split('\n').pop()
        this.finish(`${what} ${reason}${stderr !== undefined && stderr !== '' ? `: ${stderr}` : ''}`)
      } else {
        this.finish(undefined)
      }
      child.stderr?.destroy()
    }
    // 'close' waits for stderr to end, which a background grandchild (`notify &`) may hold open:
    // shortly after 'exit', report without it.
    child.on('close', report)
    child.on('exit', (code, signal) => { setTimeout(() => { report(code, signal) }, EXIT_SETTLE_MS) })
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-HOOK_LIMITS.stderrTailChars)
    })
    // A hook that ignores stdin may exit before we wrote it: EPIPE is fine.
    child.stdin?.on('error', () => {})
    child.stdin?.end(run.line + '\n')
    this.timer = setTimeout(() => { this.kill(`timed out after ${formatDuration(init.timeoutMs)}`) }, init.timeoutMs)
  }

  /** SIGTERM to the hook's process group, SIGKILL after the grace period. */
  kill (reason: string, graceMs = this.killGraceMs): void {
    if (this.finished) return
    if (this.killedFor !== undefined) {
      // Already terminating (a timeout): only ever shorten the wait for SIGKILL.
      if (graceMs < this.killGraceMs) {
        clearTimeout(this.killTimer)
        this.killTimer = setTimeout(() => { this.signal('SIGKILL') }, graceMs)
      }
      return
    }
    this.killedFor = reason
    this.signal('SIGTERM')
    this.killTimer = setTimeout(() => { this.signal('SIGKILL') }, graceMs)
  }

  private signal (signal: NodeJS.Signals): void {
    if (this.pid === undefined || this.finished) return
    try {
      process.kill(-this.pid, signal)
    } catch {
      // The group is gone already.
    }
  }

  private finish (failure: string | undefined): void {
    if (this.finished) return
    // Kill any grandchildren the shell left behind.
    if (this.killedFor !== undefined) this.signal('SIGKILL')
    this.finished = true
    clearTimeout(this.timer)
    clearTimeout(this.killTimer)
    this.done(failure)
  }
}

/**
 * The daemon part that runs the configured hooks, or undefined when none is
 * configured. Failures are printed as `warning` events.
 */
export function hooksPart (config: DaemonConfig): DaemonPart | undefined {
  const commands: HookCommands = {}
  if (config.onAlert !== undefined) commands.alert = config.onAlert
  if (config.onRecovered !== undefined) commands.recovered = config.onRecovered
  if (config.onLeft !== undefined) commands.left = config.onLeft
  if (Object.keys(commands).length === 0) return undefined
  let runner: HookRunner | undefined
  let unsubscribe: (() => void) | undefined
  return {
    name: 'hooks',
    start: async (ctx: DaemonContext) => {
      const hooks = new HookRunner({
        commands,
        timeoutMs: config.hookTimeoutMs,
        self: ctx.node.peerId.toString(),
        warn: (message) => { ctx.emit({ type: 'warning', message }) }
      })
      runner = hooks
      unsubscribe = ctx.onEvent((record) => { hooks.handle(record) })
      return undefined
    },
    stop: async () => {
      unsubscribe?.()
      await runner?.stop()
    }
  }
}

/**
 * Which hook an event runs, if any: alert, recovered and left their own, but
 * not while the peer is flapping; `flapping` the alert hook (something is
 * wrong with the peer); `stable` the hook of the state the peer settled in.
 */
export function hookFor (event: PeermonEvent): HookEventType | undefined {
  switch (event.type) {
    case 'alert':
    case 'recovered':
      return event.flapping === true ? undefined : event.type
    case 'left':
      return 'left'
    case 'flapping':
      return 'alert'
    case 'stable':
      return event.state === 'alerting' ? 'alert' : 'recovered'
    default:
      return undefined
  }
}

/** `lagMs` → `LAG_MS`, `lastValue` → `LAST_VALUE`. */
export function screamingSnake (field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()
}

/** Strings as they are (minus NUL, which no environment can hold), numbers in JSON form, the rest as JSON. */
function envValue (value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? ''
  return text.replace(/\0/g, '')
}

function describeEvent (event: Readonly<EventLine>): string {
  const peer = event.peer !== undefined ? shortPeer(event.peer) : ''
  return event.metric !== undefined ? `${peer} ${event.metric}` : peer
}

function describe (err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err)
}
