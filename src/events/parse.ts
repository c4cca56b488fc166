/**
 * The one reader of event lines, for wherever a process boundary forces
 * reading them back: a swarm's children (their `--json` stdout), the alert
 * log's tail, the client's event stream. Stream transforms for it-pipe turn
 * byte chunks into lines and lines into checked event lines:
 *
 * ```ts
 * await pipe(child.stdout, splitLines, parseEventLines(stats), sink)
 * ```
 *
 * A line that is not a JSON object with string `ts` and `event`, or a known
 * event without the fields its type requires, is counted and dropped; it never
 * ends the stream. Unknown event types pass (only `ts` and `event` are
 * checked), so a newer daemon's events do not break an older reader.
 */
import type { DegradedReason } from '../monitor/types.js'
import { PEERMON_EVENT_TYPES, type EventLine, type PeermonEvent } from './event.js'

/** Counts of what a stream dropped. */
export interface LineStats {
  /** Lines that were not JSON or not a well-formed event. */
  garbage: number
  /** The last dropped line (cut short), for diagnostics. */
  lastGarbage?: string
}

export function createLineStats (): LineStats {
  return { garbage: 0 }
}

/** Splits a stream of byte or string chunks into lines (LF or CRLF); a final unterminated line is kept. */
export async function * splitLines (source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let newline = pending.indexOf('\n')
    while (newline !== -1) {
      yield stripCarriageReturn(pending.slice(0, newline))
      pending = pending.slice(newline + 1)
      newline = pending.indexOf('\n')
    }
  }
  pending += decoder.decode()
  if (pending.length > 0) yield stripCarriageReturn(pending)
}

function stripCarriageReturn (line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

/** A transform from lines to event lines; blank lines are skipped, malformed ones counted in `stats`. */
export function parseEventLines (stats: LineStats): (source: AsyncIterable<string>) => AsyncGenerator<EventLine> {
  return async function * (source) {
    for await (const text of source) {
      if (text.trim() === '') continue
      const line = decodeEventLine(text)
      if (line === undefined) {
        countGarbage(stats, text)
        continue
      }
      yield line
    }
  }
}

/** Counts one dropped line in `stats`. */
export function countGarbage (stats: LineStats, text: string): void {
  stats.garbage++
  stats.lastGarbage = text.length > 200 ? `${text.slice(0, 200)}...` : text
}

/** Parses and checks one line; `undefined` when it is not a well-formed event line. */
export function decodeEventLine (text: string): EventLine | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const line = value as EventLine
  if (typeof line.event !== 'string' || typeof line.ts !== 'string') return undefined
  if (KNOWN_TYPES.has(line.event) && toEvent(line) === undefined) return undefined
  return line
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(PEERMON_EVENT_TYPES)

const DEGRADED_REASONS: ReadonlySet<unknown> = new Set<DegradedReason>(['stall', 'overload', 'receive', 'isolated'])

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * The typed event an event line carries, or `undefined` when its type is
 * unknown or a field its type requires is missing or of the wrong kind.
 */
export function toEvent (line: EventLine): PeermonEvent | undefined {
  const { peer } = line
  switch (line.event) {
    case 'listening':
      if (!isText(peer) || !Array.isArray(line.addrs) || !line.addrs.every(isText)) return undefined
      return { type: 'listening', peer, addrs: line.addrs, ...(isString(line.api) ? { api: line.api } : {}) }
    case 'joined':
    case 'left':
    case 'connected':
    case 'disconnected':
      return isText(peer) ? { type: line.event, peer } : undefined
    case 'alert': {
      const { metric, lagMs, ttlMs, silentMs, lastValue } = line
      if (!isText(peer) || !isText(metric) || !isNumber(lagMs) || !isNumber(ttlMs) || !isNumber(silentMs)) return undefined
      if (!isString(lastValue) && !isNumber(lastValue)) return undefined
      const degraded = DEGRADED_REASONS.has(line.degraded) ? { degraded: line.degraded as DegradedReason } : {}
      return { type: 'alert', peer, metric, lagMs, ttlMs, silentMs, lastValue, ...flappingField(line), ...degraded }
    }
    case 'recovered':
      return isText(peer) && isText(line.metric) && isNumber(line.downMs)
        ? { type: 'recovered', peer, metric: line.metric, downMs: line.downMs, ...flappingField(line) }
        : undefined
    case 'flapping': {
      const { transitions, spanMs, windowMs } = line
      if (!isText(peer) || !isNumber(transitions) || !isNumber(spanMs) || !isNumber(windowMs)) return undefined
      return { type: 'flapping', peer, transitions, spanMs, windowMs }
    }
    case 'stable': {
      const { state, flappedMs, transitions } = line
      if (!isText(peer) || (state !== 'alive' && state !== 'alerting') || !isNumber(flappedMs) || !isNumber(transitions)) return undefined
      return { type: 'stable', peer, state, flappedMs, transitions }
    }
    case 'forgotten':
      return isText(peer) && isNumber(line.silentMs) ? { type: 'forgotten', peer, silentMs: line.silentMs } : undefined
    case 'warning':
      return isString(line.message) ? { type: 'warning', message: line.message } : undefined
    case 'stopping':
      return { type: 'stopping' }
    case 'degraded': {
      if (!DEGRADED_REASONS.has(line.reason)) return undefined
      const figures = Object.fromEntries(['lateMs', 'delayMs', 'utilization', 'overdue', 'peers'].filter(k => isNumber(line[k])).map(k => [k, line[k]]))
      return { type: 'degraded', reason: line.reason as DegradedReason, ...figures }
    }
    case 'healthy':
      return isNumber(line.degradedMs) ? { type: 'healthy', degradedMs: line.degradedMs } : undefined
    case 'isolated':
      return isNumber(line.peers) && isNumber(line.silentMs) ? { type: 'isolated', peers: line.peers, silentMs: line.silentMs } : undefined
    case 'reconnected':
      return isNumber(line.isolatedMs) ? { type: 'reconnected', isolatedMs: line.isolatedMs } : undefined
    case 'crowded': {
      const { reason, usedBytes, budgetBytes, waiting, silent } = line
      if ((reason !== 'budget' && reason !== 'admission' && reason !== 'silent') || !isNumber(usedBytes) || !isNumber(budgetBytes) || !isNumber(waiting)) return undefined
      return { type: 'crowded', reason, usedBytes, budgetBytes, waiting, ...(isNumber(silent) ? { silent } : {}) }
    }
    default:
      return undefined
  }
}

/** `{ flapping: true }` when the line has it: an alert or recovery of a flapping peer. */
function flappingField (line: EventLine): { flapping?: true } {
  return line.flapping === true ? { flapping: true } : {}
}

/** The event's own time (its `ts`) in epoch ms, or `fallback` when `ts` does not parse. */
export function eventTime (line: EventLine, fallback: number): number {
  const ms = Date.parse(line.ts)
  return Number.isFinite(ms) ? ms : fallback
}
