/**
 * A packed swarm process: several daemons in one Node.js process, each still a
 * whole libp2p node (its own identity, listen port, TCP connections, Noise
 * sessions, gossipsub router and monitor), run by the daemon's own run loop
 * (src/daemon/run.ts). They share the JIT, the garbage collector and the
 * runtime, which is what makes 100 nodes fit on two cores (docs/benchmarks.md).
 *
 * It runs as the hidden command `peermon _pack`. The launcher (src/swarm/packed/packed-process.ts) drives it over stdin with one JSON
 * command per line:
 *
 *   {"start":3,"args":["--json","--listen",...],"env":{"PEERMON_TRACE":"..."}}
 *   {"stop":3}     a graceful stop, as SIGTERM for a daemon of its own
 *   {"kill":3}     a crash, as SIGKILL: runDaemon's `crash` resets every
 *                  connection, publishes no leave notice and stops the node's
 *                  timers; nothing the node writes after it is forwarded
 *
 * and reads one line per node line on stdout, framed with the node's index:
 *
 *   3 {"ts":...,"event":"listening",...}    a line the daemon printed
 *   3 ! peermon: ...                        a line the daemon wrote to stderr
 *   3 exit 0                                the daemon ended, with its exit code
 *   3 exit SIGKILL                          the daemon ended by a kill (once its port is free)
 *
 * SIGTERM or SIGINT stops every daemon the way one daemon stops (each says
 * `stopping`, leaves, exits); a second one exits at once. When stdin ends (the
 * launcher is gone) every daemon is stopped too, so no process outlives its
 * launcher. The process exits once all its daemons have ended and stdin is
 * closed or a signal asked.
 */
import { createInterface } from 'node:readline'
import { ConfigError } from '../../config-error.js'
import { loadDaemonConfig } from '../../daemon/config.js'
import { runDaemon, type LineSink } from '../../daemon/run.js'
import { frameLine, parseCommand, type PackCommand } from './protocol.js'

/** A sink that frames every line written to it for node `node`. */
function sink (node: number, kind: 'stdout' | 'stderr', out: LineSink, muted: () => boolean): LineSink {
  return {
    write: (text: string) => {
      if (muted()) return true
      for (const line of text.split('\n')) if (line !== '') out.write(`${frameLine({ node, kind, text: line })}\n`)
      return true
    }
  }
}

/**
 * Runs the packed process: reads commands from `input` until it ends or a
 * signal asks, then stops every daemon and resolves with the exit code (0).
 */
export async function runPackProcess (input: NodeJS.ReadableStream & { destroy?: () => void } = process.stdin, out: LineSink = process.stdout): Promise<number> {
  // One daemon adds a few listeners to the process (signals); dozens are expected here.
  process.setMaxListeners(0)
  const running = new Map<number, { stop: (why: string) => void, kill: () => void, done: Promise<void> }>()
  let stopAllWhy: string | undefined

  const stopAll = (why: string): void => {
    stopAllWhy ??= why
    for (const daemon of running.values()) daemon.stop(why)
  }
  const lines = createInterface({ input, crlfDelay: Infinity })
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopAllWhy !== undefined) process.exit(130)
    stopAll(signal)
    lines.close()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // What a peer sends never ends the process: a stray rejection in the network layer is logged once, for the process.
  const onRejection = (reason: unknown): void => {
    process.stderr.write(`peermon pack: unhandled rejection: ${reason instanceof Error ? reason.message.split('\n')[0] : String(reason)}\n`)
  }
  process.on('unhandledRejection', onRejection)

  const start = (index: number, args: string[], env: Record<string, string> | undefined): void => {
    if (running.has(index)) {
      out.write(`${frameLine({ node: index, kind: 'stderr', text: `peermon pack: node ${index} is already running` })}\n`)
      return
    }
    let stop: (why: string) => void = () => {}
    const stopped = new Promise<string>((resolve) => { stop = resolve })
    let killed = false
    let crash: () => void = () => {}
    const crashed = new Promise<void>((resolve) => { crash = resolve })
    const kill = (): void => { killed = true; crash() }
    const stdout = sink(index, 'stdout', out, () => killed)
    const stderr = sink(index, 'stderr', out, () => killed)
    const done = (async () => {
      let code: number
      try {
        const config = await loadDaemonConfig(args, { ...process.env, ...env })
        code = await runDaemon(config, { stdout, stderr }, { stop: stopped, crash: crashed, catchRejections: false })
      } catch (err) {
        stderr.write(`peermon: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`)
        code = err instanceof ConfigError ? 2 : 1
      }
      running.delete(index)
      out.write(`${frameLine(killed ? { node: index, kind: 'exit', code: null, signal: 'SIGKILL' } : { node: index, kind: 'exit', code })}\n`)
    })()
    running.set(index, { stop, kill, done })
    if (stopAllWhy !== undefined) stop(stopAllWhy)
  }

  for await (const text of lines) {
    if (text.trim() === '') continue
    let command: PackCommand
    try {
      command = parseCommand(text)
    } catch (err) {
      process.stderr.write(`peermon pack: ${(err as Error).message}\n`)
      continue
    }
    if ('stop' in command) running.get(command.stop)?.stop('stop')
    else if ('kill' in command) running.get(command.kill)?.kill()
    else if (stopAllWhy === undefined) start(command.start, command.args, command.env)
  }
  // stdin ended (the launcher is gone or done with us) or a signal asked.
  stopAll('stdin closed')
  while (running.size > 0) await Promise.all([...running.values()].map(async (daemon) => { await daemon.done }))
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.off('unhandledRejection', onRejection)
  // A paused stdin that is still open would keep the process alive.
  input.destroy?.()
  return 0
}
