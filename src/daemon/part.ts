/**
 * The contract between the daemon's run loop (run.ts) and its optional parts
 * (the HTTP API, hooks, the alert log): what a part gets to work with and
 * what it must do. Parts import this module, never the run loop, so events
 * flow one way: run loop → parts.
 */
import type { Registry } from 'prom-client'
import type { ListeningEvent, PeermonEvent } from '../events/event.js'
import type { EventRecord } from '../events/record.js'
import type { PeerMonitor } from '../libp2p/index.js'
import type { PeermonNode } from '../libp2p/node.js'
import type { DaemonConfig } from './config.js'
import type { ConnectivityView } from './connectivity.js'

/** What a part of the daemon gets to work with. */
export interface DaemonContext {
  config: DaemonConfig
  node: PeermonNode
  monitor: PeerMonitor
  /** Calls `listener` with every event from now on (each built once: its JSON and human lines are shared); returns the unsubscribe function. */
  onEvent: (listener: (record: EventRecord) => void) => () => void
  /** Reports an event: it is printed and handed to every listener. */
  emit: (event: PeermonEvent) => void
  /** The Prometheus registry libp2p's metrics go into (created when the HTTP API is on). */
  metricsRegistry?: Registry
  /** The node's connections and their target (connectivity.ts). */
  connectivity: () => ConnectivityView
}

/**
 * An optional part of the daemon, started after the node and before the
 * `listening` line (whose fields it may add to), stopped before the node.
 */
export interface DaemonPart {
  name: string
  start: (ctx: DaemonContext) => Promise<Partial<ListeningEvent> | undefined>
  stop: () => Promise<void>
}
