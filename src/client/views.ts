/**
 * What the client commands print for people: the API's responses as aligned
 * tables, and event-stream lines as the daemon prints them. Pure functions.
 */
import { formatDuration } from '../duration.js'
import type { EventLine } from '../events/event.js'
import { humanLineOf, printable, shortPeer } from '../events/format.js'
import { toEvent } from '../events/parse.js'
import type { AlertsResponse, HealthResponse, MetricResponse, MetricView, PeersResponse, PeerView } from '../api/types.js'
import { formatBytes, formatValue, renderTable } from './table.js'
import type { Column } from './table.js'
import { BUILTIN_METRICS, TAG_PREFIX } from '../monitor/informers.js'

/** Metrics in bytes, shown as `7.8 GiB`. */
const BYTE_METRICS = new Set(['memory', 'freespace'])
const BUILTIN = new Set<string>(BUILTIN_METRICS)
/** The `health` metric a peer reports about itself: 1 degraded, 2 isolated (0: healthy). */
const SELF_CONDITION: Record<number, string> = { 1: 'itself degraded', 2: 'itself isolated' }

/** `peermon peers`: one row per peer with its state, last report, connection and latest metrics. */
export function renderPeers (response: PeersResponse): string {
  if (response.peers.length === 0) return `no peers seen yet by ${shortPeer(response.self)}\n`
  const showTags = response.peers.some(peer => Object.keys(peer.metrics).some(name => name.startsWith(TAG_PREFIX)))
  const showOther = response.peers.some(peer => Object.keys(peer.metrics).some(isCustom))
  const columns: Column[] = [
    { heading: 'PEER' },
    { heading: 'STATE' },
    { heading: 'LAST SEEN', align: 'right' },
    { heading: 'CONN' },
    { heading: 'LOAD', align: 'right' },
    { heading: 'FREE MEM', align: 'right' },
    { heading: 'FREE DISK', align: 'right' },
    { heading: 'PEERS', align: 'right' }
  ]
  if (showTags) columns.push({ heading: 'TAGS' })
  if (showOther) columns.push({ heading: 'OTHER' })
  const rows = response.peers.map(peer => {
    const row = [
      shortPeer(peer.peer),
      describeState(peer),
      formatDuration(peer.lastSeenAgoMs),
      peer.connected ? 'yes' : 'no',
      metricCell(peer.metrics.load),
      metricCell(peer.metrics.memory),
      metricCell(peer.metrics.freespace),
      metricCell(peer.metrics.peers)
    ]
    if (showTags) row.push(listCell(peer, name => name.startsWith(TAG_PREFIX), name => name.slice(TAG_PREFIX.length)))
    if (showOther) row.push(listCell(peer, isCustom, name => name))
    return row
  })
  return renderTable(columns, rows)
}

/** `peermon alerts`: the alert history, oldest first. */
export function renderAlerts (response: AlertsResponse): string {
  if (response.events.length === 0) return 'no alerts yet\n'
  const columns: Column[] = [{ heading: 'TIME' }, { heading: 'EVENT' }, { heading: 'PEER' }, { heading: 'METRIC' }, { heading: 'DETAIL' }]
  const rows = response.events.map(line => [
    localTime(line.ts),
    printable(line.event),
    line.peer !== undefined ? shortPeer(line.peer) : '',
    line.metric !== undefined ? printable(line.metric) : '',
    eventDetail(line)
  ])
  return renderTable(columns, rows)
}

/** `peermon metrics <name>`: each peer's latest valid value of one metric. */
export function renderMetric (response: MetricResponse): string {
  if (response.metrics.length === 0) return `no peer has a current ${JSON.stringify(printable(response.name))} metric\n`
  const columns: Column[] = [
    { heading: 'PEER' },
    { heading: 'VALUE', align: typeof response.metrics[0].value === 'number' ? 'right' : 'left' },
    { heading: 'AGE', align: 'right' },
    { heading: 'EXPIRES IN', align: 'right' }
  ]
  const rows = response.metrics.map(metric => [
    shortPeer(metric.peer),
    metricCell(metric),
    formatDuration(metric.ageMs),
    formatDuration(Math.max(0, metric.expiresInMs))
  ])
  return renderTable(columns, rows)
}

/** One event of the stream as the daemon prints it for people (unknown event types as `key=value` pairs). */
/** `peermon health`: one line, e.g. `ok 12D3KooW…abcd up 2m, peers 20 alive 1 alerting 0 left, healthy, connections 5/4`. */
export function renderHealth (response: HealthResponse): string {
  const { peers, connections } = response
  const parts = [
    `ok ${shortPeer(response.peer)} up ${formatDuration(response.uptimeMs)}`,
    `peers ${peers.alive} alive ${peers.alerting} alerting ${peers.left} left`,
    response.local,
    ...(connections !== undefined ? [`connections ${connections.connected}/${connections.target}${connections.short ? ' (short)' : ''}`] : [])
  ]
  return `${parts.join(', ')}\n`
}

export function formatEventLine (line: EventLine): string {
  return humanLineOf(line, toEvent(line))
}

/** `alive`, `alerting (ping)`, `left`; `, flapping` after it while the peer flaps (not in a daemon older than flap detection); `, unconfirmed` for a peer without evidence of a real node. */
function describeState (peer: PeerView): string {
  const state = peer.state !== 'alerting' || peer.alerting.length === 0 ? peer.state : `alerting (${peer.alerting.map(printable).join(', ')})`
  const own = peer.metrics.health?.value
  const condition = typeof own === 'number' ? SELF_CONDITION[own] : undefined
  return [state, peer.flapping === true ? 'flapping' : undefined, peer.confirmed === false ? 'unconfirmed' : undefined, condition].filter(part => part !== undefined).join(', ')
}

function metricCell (metric: MetricView | undefined): string {
  if (metric === undefined) return '-'
  if (BYTE_METRICS.has(metric.name) && typeof metric.value === 'number') return formatBytes(metric.value)
  return formatValue(metric.value)
}

function isCustom (name: string): boolean {
  return !BUILTIN.has(name) && !name.startsWith(TAG_PREFIX)
}

/** `key=value` pairs of the peer's metrics that pass `select`, sorted by name. */
function listCell (peer: PeerView, select: (name: string) => boolean, label: (name: string) => string): string {
  const names = Object.keys(peer.metrics).filter(select).sort()
  return names.length === 0 ? '-' : names.map(name => `${printable(label(name))}=${formatValue(peer.metrics[name].value)}`).join(' ')
}

function eventDetail (line: EventLine): string {
  const ms = (v: unknown): string => typeof v === 'number' ? formatDuration(v) : '?'
  switch (line.event) {
    case 'alert': {
      const last = line.lastValue
      const lastText = typeof last === 'number' || typeof last === 'string' ? `, last ${formatValue(last)}` : ''
      const degraded = typeof line.degraded === 'string' ? `, this node ${printable(line.degraded)}` : ''
      return `silent ${ms(line.silentMs)} (ttl ${ms(line.ttlMs)}, lag ${ms(line.lagMs)})${lastText}${flappingMark(line)}${degraded}`
    }
    case 'recovered': return `back after ${ms(line.downMs)}${flappingMark(line)}`
    case 'forgotten': return `silent ${ms(line.silentMs)}`
    case 'flapping': return `${count(line.transitions)} changes in ${ms(line.spanMs)} (window ${ms(line.windowMs)})`
    case 'stable': return `${typeof line.state === 'string' ? printable(line.state) : '?'} after flapping ${ms(line.flappedMs)} (${count(line.transitions)} changes)`
    case 'degraded': {
      const event = toEvent(line)
      return event?.type === 'degraded' ? `this node: ${printable(event.reason)}` + (event.overdue !== undefined ? `, ${event.overdue} of ${event.peers ?? '?'} peers overdue` : '') + (event.lateMs !== undefined ? `, a timer ${ms(event.lateMs)} late` : '') : ''
    }
    case 'healthy': return `this node, after ${ms(line.degradedMs)}`
    case 'isolated': return `this node hears none of its ${count(line.peers)} peers`
    case 'reconnected': return `this node, after ${ms(line.isolatedMs)}`
    default: return ''
  }
}

function flappingMark (line: EventLine): string {
  return line.flapping === true ? ' (flapping)' : ''
}

function count (value: unknown): string {
  return typeof value === 'number' ? String(value) : '?'
}

/** `2025-01-02 03:04:05` in local time, or the text as it came when it does not parse. */
export function localTime (ts: string): string {
  const ms = Date.parse(ts)
  if (!Number.isFinite(ms)) return printable(ts)
  const at = new Date(ms)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`
}
