/**
 * How the daemon prints events: one JSON object per line for machines
 * (`--json`), or one short line for people. Both are pure functions of the
 * event and the wall-clock time; writing them out is the caller's business.
 */
import { formatDuration } from '../duration.js'
import type { MetricValue, MonitorEvent } from '../monitor/types.js'

/** This node is up: its peer id and the addresses it listens on. */
export interface ListeningEvent {
  type: 'listening'
  peer: string
  addrs: string[]
  /** Base URL of the HTTP API (`http://HOST:PORT`), when it runs. */
  api?: string
}
/** A libp2p connection to a peer opened or closed. */
export interface ConnectionEvent { type: 'connected' | 'disconnected', peer: string }
/** The daemon is shutting down. */
export interface StoppingEvent { type: 'stopping' }
/** Something the operator should know that is not a monitor event. */
export interface WarningEvent { type: 'warning', message: string }

/** Everything the daemon prints. */
export type DaemonEvent = MonitorEvent | ListeningEvent | ConnectionEvent | StoppingEvent | WarningEvent

/**
 * One JSON line: `{"ts":"<ISO 8601>","event":"<type>",...the other fields}`.
 * Fields ending in `Ms` are rounded to 0.1 ms, other fractions to 3 decimals.
 */
export function formatJson (event: DaemonEvent, at: Date): string {
  const record: Record<string, unknown> = { ts: at.toISOString(), event: event.type }
  for (const [field, value] of Object.entries(event)) {
    if (field === 'type' || field === 'ts' || field === 'event') continue
    record[field] = typeof value === 'number' ? roundField(field, value) : value
  }
  return JSON.stringify(record)
}

function roundField (field: string, value: number): number {
  if (Number.isInteger(value)) return value
  const scale = field.endsWith('Ms') ? 10 : 1000
  return Math.round(value * scale) / scale
}

/** Width of the event word, the longest being `disconnected`. */
const EVENT_WIDTH = 12

/**
 * One line for people: local time `HH:MM:SS.mmm`, the event word padded to a
 * fixed width, the peer id shortened to `…` and its last 8 characters (in
 * full on `listening`, so it can be copied into --bootstrap), then key facts
 * (on `listening`, the dashboard's URL when the HTTP API runs).
 */
export function formatHuman (event: DaemonEvent, at: Date): string {
  const head = `${clockTime(at)} ${event.type.padEnd(EVENT_WIDTH)}`
  return `${head} ${describe(event)}`.trimEnd()
}

function describe (event: DaemonEvent): string {
  switch (event.type) {
    case 'listening':
      return `${printable(event.peer)} on ${event.addrs.length > 0 ? event.addrs.map(printable).join(', ') : '(no addresses)'}` +
        (event.api !== undefined ? `; dashboard ${printable(event.api)}/` : '')
    case 'joined':
    case 'left':
    case 'connected':
    case 'disconnected':
      return shortPeer(event.peer)
    case 'alert':
      return `${shortPeer(event.peer)} ${printable(event.metric)} expired, silent ${formatDuration(event.silentMs)} ` +
        `(ttl ${formatDuration(event.ttlMs)}, lag ${formatDuration(event.lagMs)}), last ${showValue(event.lastValue)}`
    case 'recovered':
      return `${shortPeer(event.peer)} ${printable(event.metric)} back after ${formatDuration(event.downMs)}`
    case 'forgotten':
      return `${shortPeer(event.peer)} silent ${formatDuration(event.silentMs)}`
    case 'stopping':
      return ''
    case 'warning':
      return printable(event.message)
  }
}

/** `…` and the last 8 characters of a peer id (ids that short are shown whole). */
export function shortPeer (peer: string): string {
  const chars = [...printable(peer)]
  return chars.length <= 9 ? chars.join('') : `…${chars.slice(-8).join('')}`
}

function showValue (value: MetricValue): string {
  if (typeof value === 'number') return String(Number.isInteger(value) ? value : Math.round(value * 1000) / 1000)
  const text = printable(value)
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text)
}

/** Control characters from the network would garble a terminal; show them escaped. */
function printable (text: string): string {
  return text.replace(/\p{Cc}/gu, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function clockTime (at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`
}
