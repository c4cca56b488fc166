/**
 * Reading a daemon's `--json` stdout: stream transforms for it-pipe that turn
 * byte chunks into lines and lines into validated event objects, e.g.
 *
 * ```ts
 * await pipe(child.stdout, splitLines, parseDaemonEvents(stats), sink)
 * ```
 *
 * A line that is not JSON, or not a known event of the right shape, is counted
 * in `stats` and dropped; it never ends the stream. Unknown event names are
 * passed through (only `event` and `ts` are checked), so new daemon events do
 * not break the launcher.
 */

/** One line of the daemon's JSON output. Fields beyond `ts`/`event` depend on the event. */
export interface DaemonEvent {
  /** ISO 8601 time the daemon wrote the line. */
  ts: string
  /** `listening`, `joined`, `alert`, `recovered`, `left`, `forgotten`, or another name. */
  event: string
  /** The peer the event is about (own id for `listening`). */
  peer?: string
  /** `listening`: the node's dialable addresses, ending in `/p2p/<id>`. */
  addrs?: string[]
  /** `alert`, `recovered`: the metric name. */
  metric?: string
  /** `alert`: ms between the metric's expiry moment and the alert. */
  lagMs?: number
  /** `alert`: the metric's TTL. */
  ttlMs?: number
  /** `alert`: age of the peer's last report. */
  silentMs?: number
  /** `recovered`: how long the metric was in alert. */
  downMs?: number
  [field: string]: unknown
}

/** Counts of what a stream dropped. */
export interface LineStats {
  /** Lines that were not JSON or not a well-formed event. */
  garbage: number
  /** The last dropped line (truncated), for diagnostics. */
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

/** A transform from lines to daemon events; blank lines are skipped, malformed ones counted in `stats`. */
export function parseDaemonEvents (stats: LineStats): (source: AsyncIterable<string>) => AsyncGenerator<DaemonEvent> {
  return async function * (source) {
    for await (const line of source) {
      if (line.trim() === '') continue
      const event = decodeDaemonEvent(line)
      if (event === undefined) {
        stats.garbage++
        stats.lastGarbage = line.length > 200 ? `${line.slice(0, 200)}...` : line
        continue
      }
      yield event
    }
  }
}

/** Parses and checks one line; `undefined` when it is not a well-formed event. */
export function decodeDaemonEvent (line: string): DaemonEvent | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const event = value as Record<string, unknown>
  if (typeof event.event !== 'string' || typeof event.ts !== 'string') return undefined
  return hasRequiredFields(event) ? event as DaemonEvent : undefined
}

const isString = (v: unknown): boolean => typeof v === 'string' && v.length > 0
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v)

function hasRequiredFields (event: Record<string, unknown>): boolean {
  switch (event.event) {
    case 'listening':
      return isString(event.peer) && Array.isArray(event.addrs) && event.addrs.every(isString)
    case 'joined':
    case 'left':
    case 'forgotten':
      return isString(event.peer)
    case 'alert':
      return isString(event.peer) && isString(event.metric) && isNumber(event.lagMs)
    case 'recovered':
      return isString(event.peer) && isString(event.metric)
    default:
      return true
  }
}

/** The event's own timestamp in epoch ms, or `fallback` when the daemon's `ts` does not parse. */
export function eventTime (event: DaemonEvent, fallback: number): number {
  const ms = Date.parse(event.ts)
  return Number.isFinite(ms) ? ms : fallback
}
