/**
 * The recent alert history `GET /api/v0/alerts` serves: a bounded ring of
 * alert, recovered, left, forgotten, flapping and stable event lines, oldest first. After a
 * restart it is preloaded from the tail of the alert log.
 */
import { MONITOR_EVENT_TYPES, type EventLine } from '../events/event.js'
import type { HistoryEventType } from './types.js'

/** Event types the history keeps. */
export const HISTORY_EVENT_TYPES: ReadonlySet<string> = new Set<HistoryEventType>(MONITOR_EVENT_TYPES.filter((type): type is HistoryEventType => type !== 'joined'))

export class EventHistory {
  readonly capacity: number
  private lines: Array<Readonly<EventLine>> = []
  /** Lines of the alert log skipped as corrupt when it was read back. */
  corrupt = 0

  constructor (capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be an integer >= 1, got ${capacity}`)
    this.capacity = capacity
  }

  get size (): number {
    return this.lines.length
  }

  /** Adds one event line when its type belongs in the history. */
  add (line: Readonly<EventLine>): void {
    if (!HISTORY_EVENT_TYPES.has(line.event)) return
    this.lines.push(line)
    // Trim in batches so a full ring does not shift the whole array on every event.
    if (this.lines.length >= this.capacity * 2) this.lines = this.lines.slice(-this.capacity)
  }

  /** Puts older lines (oldest first, e.g. read back from the alert log) before the ones held. */
  preload (older: EventLine[]): void {
    const kept = older.filter(line => HISTORY_EVENT_TYPES.has(line.event))
    this.lines = [...kept, ...this.lines].slice(-this.capacity)
  }

  /** The last `limit` lines (default all held, at most `capacity`), oldest first. */
  recent (limit = this.capacity): Array<Readonly<EventLine>> {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.capacity, this.lines.length)
    return n === 0 ? [] : this.lines.slice(-n)
  }
}
