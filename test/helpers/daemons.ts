/**
 * Real `peermon daemon` processes for the e2e tests: start one with fast
 * timings, record the events it prints, and look them up.
 */
import { createServer } from 'node:net'
import { DaemonChild, type NodeEvent } from '../../src/swarm/nodes/daemon-child.js'

/**
 * JSON output, a loopback port the OS picks, reports every 250 ms and metrics
 * that live 1 s. No --api: each test passes its own (`--api off` where several
 * daemons share the host and must not all take the default port).
 */
export const DAEMON_TEST_FLAGS: readonly string[] = ['--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--interval', '250ms', '--ttl', '1s']

/** A daemon process and every event line it printed so far. */
export interface Recorded { child: DaemonChild, events: NodeEvent[] }

export interface StartDaemonOptions {
  /** The daemon's environment; this process's by default. */
  env?: NodeJS.ProcessEnv
}

/** Starts `peermon daemon` with DAEMON_TEST_FLAGS and then `extra`, recording its events. Does not wait for it to listen. */
export function startDaemon (index: number, extra: string[], options: StartDaemonOptions = {}): Recorded {
  const child = new DaemonChild({ index, args: [...DAEMON_TEST_FLAGS, ...extra], env: options.env })
  const rec: Recorded = { child, events: [] }
  child.onEvent(e => { rec.events.push(e) })
  return rec
}

/** How many `event` lines the daemon printed (about `peer`, if given). */
export const countEvents = (rec: Recorded, event: string, peer?: string): number =>
  rec.events.filter(e => e.event.event === event && (peer == null || e.event.peer === peer)).length

/** Whether the daemon printed an `event` line (about `peer`, if given). */
export const sawEvent = (rec: Recorded, event: string, peer?: string): boolean => countEvents(rec, event, peer) > 0

/** The HTTP API's URL from the daemon's listening line; undefined before it listens or when it runs with --api off. */
export function listeningApi (rec: Recorded): string | undefined {
  const api = rec.events.find(e => e.event.event === 'listening')?.event.api
  return typeof api === 'string' ? api : undefined
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise(resolve => server.close(resolve))
  if (address == null || typeof address === 'string') throw new Error('no port')
  return address.port
}
