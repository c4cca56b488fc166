/**
 * The events a peermon node tells its outputs about, in two forms:
 * {@link PeermonEvent}, the typed record made where the event happens, and
 * {@link EventLine}, its JSON form (`{"ts":"<ISO 8601>","event":"<type>",...}`)
 * as the `--json` lines, the event stream, the alert log, the hooks' stdin and
 * a swarm's children carry it across a process boundary.
 */
import type { MonitorEvent } from '../monitor/types.js'

export type { MonitorEvent }

/** This node is up: its peer id and the addresses it listens on. */
export interface ListeningEvent {
  type: 'listening'
  peer: string
  addrs: string[]
  /** Base URL of the HTTP API (`http://HOST:PORT`), when it runs; the dashboard is at `<api>/`. */
  api?: string
}
/** A libp2p connection to a peer opened or closed. */
export interface ConnectionEvent { type: 'connected' | 'disconnected', peer: string }
/** The daemon is shutting down. */
export interface StoppingEvent { type: 'stopping' }
/** Something the operator should know that is not a monitor event. */
export interface WarningEvent { type: 'warning', message: string }

/** Everything a daemon reports: the monitor's events and the daemon's own. */
export type PeermonEvent = MonitorEvent | ListeningEvent | ConnectionEvent | StoppingEvent | WarningEvent
export type PeermonEventType = PeermonEvent['type']

/**
 * Every monitor event type, in one place: the parser, the event stream's
 * `?type=` filter, the API's history and the alert log derive from it.
 */
export const MONITOR_EVENT_TYPES = Object.freeze([
  'joined', 'alert', 'recovered', 'left', 'forgotten', 'flapping', 'stable', 'degraded', 'healthy', 'isolated', 'reconnected', 'crowded'
] as const satisfies ReadonlyArray<MonitorEvent['type']>)

/** Every event type a daemon prints. */
export const PEERMON_EVENT_TYPES = Object.freeze([
  ...MONITOR_EVENT_TYPES, 'listening', 'connected', 'disconnected', 'warning', 'stopping'
] as const satisfies readonly PeermonEventType[])

// A monitor event type missing from the list above fails the build here.
const everyTypeListed: [Exclude<PeermonEventType, typeof PEERMON_EVENT_TYPES[number]>] extends [never] ? true : never = true
void everyTypeListed

/**
 * One event in its JSON form: `ts` (ISO 8601), `event` (its type) and the
 * event's own fields (see {@link PeermonEvent}). Unknown event types keep
 * whatever fields they have, so a newer daemon's events pass through.
 */
export interface EventLine {
  /** ISO 8601 time the event happened. */
  ts: string
  /** `listening`, `joined`, `alert`, `recovered`, `left`, `forgotten`, `flapping`, `stable`, ..., or a newer type. */
  event: string
  /** The peer the event is about (own id for `listening`). */
  peer?: string
  /** `listening`: the node's dialable addresses, each ending in `/p2p/<id>`. */
  addrs?: string[]
  /** `alert`, `recovered`: the metric name. */
  metric?: string
  /** `alert`: ms between the metric's expiry moment and the alert. */
  lagMs?: number
  /** `alert`: the metric's TTL. */
  ttlMs?: number
  /** `alert`, `forgotten`: age of the peer's last report. */
  silentMs?: number
  /** `recovered`: how long the metric was in alert. */
  downMs?: number
  /** `alert`, `recovered`: present (true) while the peer is flapping. */
  flapping?: boolean
  [field: string]: unknown
}
