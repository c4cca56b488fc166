/**
 * Live mode of `peermon swarm`: start the swarm and show its state once a
 * second until the signal aborts (Ctrl-C, SIGTERM).
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeExit } from '../nodes/daemon-child.js'
import type { Swarm } from '../launch/launcher.js'
import { readRssKb } from '../nodes/rss.js'
import { redrawPrefix, renderSummaryLine, renderTable, snapshotJson, type NodeSnapshot, type SwarmSnapshot } from './render.js'

export const REFRESH_MS = 1000
/** Messages kept under the table on a terminal. */
const MAX_MESSAGES = 12

export interface LiveOptions {
  json: boolean
  /** Where the view goes (stdout). */
  out: NodeJS.WritableStream & { isTTY?: boolean }
  /** Progress and node failures (stderr). */
  log: (line: string) => void
  signal: AbortSignal
}

/** Runs until `signal` aborts; rejects only if the swarm fails to start. The caller stops the swarm. */
export async function runLive (swarm: Swarm, options: LiveOptions): Promise<void> {
  const { out, signal } = options
  const started = performance.now()
  const tty = out.isTTY === true && !options.json
  let drawn = 0
  const reported = new Set<number>()
  // On a terminal, messages go under the table: lines written elsewhere would break the redraw.
  const messages: string[] = []
  const log = tty
    ? (line: string): void => { messages.push(...line.split('\n')); messages.splice(0, Math.max(0, messages.length - MAX_MESSAGES)) }
    : options.log

  const refresh = async (): Promise<void> => {
    const snapshot = await takeSnapshot(swarm, performance.now() - started)
    for (const node of swarm.nodes) {
      if (node.exit !== undefined && !reported.has(node.index) && !signal.aborted) {
        reported.add(node.index)
        log(`node ${node.index} exited (${describeExit(node.exit)})${node.stderrSummary()}`)
      }
    }
    if (signal.aborted) return
    if (options.json) {
      out.write(`${JSON.stringify(snapshotJson(snapshot))}\n`)
    } else if (tty) {
      const lines = [...renderTable(snapshot), ...messages]
      out.write(redrawPrefix(drawn) + lines.join('\n') + '\n')
      drawn = lines.length
    } else {
      out.write(`${renderSummaryLine(snapshot)}\n`)
    }
  }

  const done = new AbortController()
  const until = AbortSignal.any([signal, done.signal])
  const loop = (async () => {
    while (!until.aborted) {
      await refresh()
      await sleep(REFRESH_MS, undefined, { signal: until }).catch(() => {})
    }
  })()

  try {
    await swarm.start(signal)
    log(`${swarm.options.nodes} nodes listening (seed ${swarm.seed})`)
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve()
      signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
  } finally {
    done.abort()
    await loop.catch(() => {})
  }
}

export async function takeSnapshot (swarm: Swarm, uptimeMs: number): Promise<SwarmSnapshot> {
  const expected = swarm.options.nodes - 1
  const nodes = await Promise.all(swarm.tables.map(async (table, index): Promise<NodeSnapshot> => {
    const child = swarm.nodes[index]
    const exited = child?.exit !== undefined
    return {
      index,
      peer: child?.peer,
      state: child?.state ?? 'pending',
      seen: exited ? 0 : table.peers.size,
      expected,
      alerting: exited ? 0 : table.alertingPeers,
      pid: child?.pid,
      packed: child?.packed ?? false,
      rssKb: exited ? undefined : await readRssKb(child?.pid),
      ...(exited ? { exit: describeExit(child?.exit) } : {})
    }
  }))
  return {
    at: Date.now(),
    uptimeMs,
    intervalMs: swarm.options.intervalMs,
    ttlMs: swarm.options.ttlMs,
    seed: swarm.seed,
    nodes,
    garbageLines: swarm.nodes.reduce((sum, child) => sum + (child?.lineStats.garbage ?? 0), 0)
  }
}
