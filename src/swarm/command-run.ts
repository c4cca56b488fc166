/**
 * What both `peermon swarm` commands (live or built-in scenario: index.ts; a
 * scenario file: scenario/timeline.ts) do around a swarm: turn SIGINT and SIGTERM into
 * an abort, forward the daemons' stderr with --verbose, say why nodes that
 * exited failed, and stop everything on the way out.
 */
import type { Swarm } from './launch/launcher.js'
import type { ViewServer } from './browser-view/server.js'

/** The abort reason when the operator interrupts the swarm. */
export class Interrupted extends Error {
  constructor (signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`)
    this.name = 'Interrupted'
  }
}

/** Aborts `signal` on SIGINT or SIGTERM (saying so once on `stderr`) until release(). */
export function interruptOnSignals (stderr: NodeJS.WritableStream): { signal: AbortSignal, release: () => void } {
  const interrupt = new AbortController()
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!interrupt.signal.aborted) stderr.write(`peermon swarm: ${sig}, stopping the nodes\n`)
    interrupt.abort(new Interrupted(sig))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: interrupt.signal,
    release: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

/** `--verbose`: a daemon's (or a packed process's) stderr line, prefixed with its node. */
export function verboseStderr (stderr: NodeJS.WritableStream): (index: number, line: string) => void {
  return (index, line) => { stderr.write(`${index < 0 ? '[pack]' : `[node ${index}]`} ${line}\n`) }
}

/** The last stderr lines of each node that exited, after a failure (unless --verbose showed them already). */
export function printFailedNodes (swarm: Swarm, stderr: NodeJS.WritableStream): void {
  for (const child of swarm.nodes.filter((c) => c.exit !== undefined && c.stderrTail.length > 0)) stderr.write(`${child.stderrSummary().replace(/^\n/, '')}\n`)
}

/** Closes the view, then stops every node; `release` (the signal handlers) runs whatever happens. */
export async function stopSwarm (swarm: Swarm, view: ViewServer | undefined, log: (line: string) => void, release: () => void): Promise<void> {
  if (swarm.nodes.length > 0) log(`stopping ${swarm.nodes.length} nodes`)
  try {
    await view?.close()
    await swarm.stop()
  } finally {
    release()
  }
}
