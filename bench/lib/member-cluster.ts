/**
 * What the Serf benchmark needs of a cluster, whichever system runs it:
 * N members on 127.0.0.1 at fixed ports, each a process of its own that can
 * be signalled and brought back on the same name (key) and port, and a stream
 * of failure reports (who reported whom, when).
 */
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import type { FailureReport } from './failure-tally.js'

export type Topology = 'mesh' | 'hub'

export interface MemberCluster {
  readonly system: 'serf' | 'peermon'
  /** The exact settings, for the output. */
  readonly settings: string
  /** Starts every member and resolves once each knows every other (rejects after `timeoutMs`). */
  start: (timeoutMs: number) => Promise<void>
  /** Sends a signal to member `index`'s process; false when it is not running. */
  signal: (index: number, signal: NodeJS.Signals) => boolean
  /** Starts member `index` anew (same name or key, same ports) after it ended; resolves once its process runs. */
  restart: (index: number) => Promise<void>
  /** Resolves once member `index`'s process has ended. */
  exited: (index: number) => Promise<void>
  /** Calls `listener` with every failure or leave report from now on. */
  onReport: (listener: (report: FailureReport) => void) => void
  /** Pids of the members' running processes. */
  pids: () => number[]
  /** Stops every member for sure. */
  stop: () => Promise<void>
  /** Last-resort synchronous kill of every member (process 'exit'). */
  killNow: () => void
}

/** The members member `index` joins or bootstraps to: every other one (mesh), or member 0 only (hub). */
export function joinTargets (topology: Topology, members: number, index: number): number[] {
  if (topology === 'hub') return index === 0 ? [] : [0]
  return Array.from({ length: members }, (_, i) => i).filter((i) => i !== index)
}

/** A port on 127.0.0.1 free for TCP and for UDP at the moment of asking (Serf binds both). */
export async function freePort (taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        const address = server.address()
        server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
      })
    })
    if (port === 0 || taken.has(port)) continue
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4')
      socket.once('error', () => { resolve(false) })
      socket.bind(port, '127.0.0.1', () => { socket.close(() => { resolve(true) }) })
    })
    if (!udpFree) continue
    taken.add(port)
    return port
  }
  throw new Error('no free port on 127.0.0.1')
}
