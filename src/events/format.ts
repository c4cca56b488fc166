/**
 * How an event is written: its JSON form (one object per line, for machines)
 * and its human line (for people). Pure functions of the event and the
 * wall-clock time it happened.
 */
import { formatDuration } from '../duration.js'
import type { CrowdedEvent, DegradedEvent, MetricValue } from '../monitor/types.js'
import type { EventLine, PeermonEvent } from './event.js'

/**
 * The JSON form: `{ ts, event, ...the other fields }`. Fields ending in `Ms`
 * are rounded to 0.1 ms, other fractions to 3 decimals.
 */
export function toEventLine (event: PeermonEvent, at: Date): EventLine {
  const line: EventLine = { ts: at.toISOString(), event: event.type }
  for (const [field, value] of Object.entries(event)) {
    if (field === 'type' || field === 'ts' || field === 'event') continue
    line[field] = typeof value === 'number' ? roundField(field, value) : value
  }
  return line
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
export function toHumanLine (event: PeermonEvent, at: Date): string {
  return `${clockTime(at)} ${event.type.padEnd(EVENT_WIDTH)} ${describe(event)}`.trimEnd()
}

/**
 * The human line of an event line of unknown origin (the client's event
 * stream): known, well-formed events as {@link toHumanLine} writes them, the
 * others as `key=value` pairs.
 */
export function humanLineOf (line: EventLine, event: PeermonEvent | undefined): string {
  const parsed = Date.parse(line.ts)
  const at = Number.isFinite(parsed) ? new Date(parsed) : new Date()
  if (event !== undefined) return toHumanLine(event, at)
  const { ts: _ts, event: type, ...fields } = line
  const extra = Object.entries(fields).map(([key, value]) => `${printable(key)}=${printable(typeof value === 'string' ? value : JSON.stringify(value) ?? '')}`)
  return `${clockTime(at)} ${printable(type).padEnd(EVENT_WIDTH)} ${extra.join(' ')}`.trimEnd()
}

function describe (event: PeermonEvent): string {
  switch (event.type) {
    case 'listening': {
      const addrs = event.addrs.length > 0 ? event.addrs.map(printable).join(', ') : '(no addresses)'
      const dashboard = event.api !== undefined ? `; dashboard ${printable(event.api)}/` : ''
      return `${printable(event.peer)} on ${addrs}${dashboard}`
    }
    case 'joined':
    case 'left':
    case 'connected':
    case 'disconnected':
      return shortPeer(event.peer)
    case 'alert':
      return `${shortPeer(event.peer)} ${printable(event.metric)} expired, silent ${formatDuration(event.silentMs)} ` +
        `(ttl ${formatDuration(event.ttlMs)}, lag ${formatDuration(event.lagMs)}), last ${showValue(event.lastValue)}${flappingMark(event)}` +
        (event.degraded !== undefined ? `; this node ${event.degraded === 'isolated' ? 'isolated' : `degraded (${event.degraded})`}` : '')
    case 'degraded':
      return `this node: ${degradedDetail(event)}; judging peers waits until it has caught up`
    case 'healthy':
      return `this node again, after ${formatDuration(event.degradedMs)}`
    case 'isolated':
      return `this node hears none of its ${event.peers} peers (nothing for ${formatDuration(event.silentMs)}); no alert per peer`
    case 'reconnected':
      return `this node hears its peers again, after ${formatDuration(event.isolatedMs)}`
    case 'recovered':
      return `${shortPeer(event.peer)} ${printable(event.metric)} back after ${formatDuration(event.downMs)}${flappingMark(event)}`
    case 'flapping':
      return `${shortPeer(event.peer)} ${event.transitions} changes in ${formatDuration(event.spanMs)} (window ${formatDuration(event.windowMs)})`
    case 'stable':
      return `${shortPeer(event.peer)} ${event.state} after flapping ${formatDuration(event.flappedMs)} (${event.transitions} changes)`
    case 'forgotten':
      return `${shortPeer(event.peer)} silent ${formatDuration(event.silentMs)}`
    case 'crowded':
      return crowdedDetail(event)
    case 'stopping':
      return ''
    case 'warning':
      return printable(event.message)
  }
}

function crowdedDetail (event: CrowdedEvent): string {
  const state = `peer state ${mebibytes(event.usedBytes)} of ${mebibytes(event.budgetBytes)}, ${event.waiting} new peers waiting`
  switch (event.reason) {
    case 'budget': return `peer state reached its budget: new peers wait (${state})`
    case 'admission': return `new peers arrive faster than admitted: unconfirmed ones wait (${state})`
    case 'silent': return `${event.silent ?? '?'} unconfirmed peers went silent, no alert each (${state}; see their state in /api/v0/peers)`
  }
}

function mebibytes (bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`
}

function degradedDetail (event: DegradedEvent): string {
  switch (event.reason) {
    case 'stall': return `stalled (a timer ran ${formatDuration(event.lateMs ?? 0)} late)`
    case 'overload': return `overloaded (event loop ${formatDuration(event.delayMs ?? 0)} late, ${Math.round((event.utilization ?? 0) * 100)} % busy)`
    case 'receive': return `${event.overdue ?? '?'} of ${event.peers ?? '?'} peers overdue at once`
    case 'isolated': return 'isolated'
  }
}

/** ` (flapping)` after the alert or recovery of a flapping peer. */
function flappingMark (event: { flapping?: true }): string {
  return event.flapping === true ? ' (flapping)' : ''
}

/** `…` and the last 8 characters of a peer id (ids that short are shown whole). */
export function shortPeer (peer: string): string {
  const chars = [...printable(peer)]
  return chars.length <= 9 ? chars.join('') : `…${peerTail(peer)}`
}

/** The last 8 characters of a peer id, made printable: enough to tell the peers of a swarm apart. */
export function peerTail (peer: string): string {
  return [...printable(peer)].slice(-8).join('')
}

function showValue (value: MetricValue): string {
  if (typeof value === 'number') return String(Number.isInteger(value) ? value : Math.round(value * 1000) / 1000)
  const text = printable(value)
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text)
}

/** Control characters from the network would garble a terminal; show them escaped. */
export function printable (text: string): string {
  return text.replace(/\p{Cc}/gu, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** `HH:MM:SS.mmm` in local time. */
export function clockTime (at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`
}
