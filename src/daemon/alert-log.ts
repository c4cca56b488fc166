/**
 * `--alert-log <file>`: every joined, alert, recovered, left, forgotten,
 * flapping and stable event is appended to the file as its `--json` line and fsync'd, so the
 * record survives a crash of the daemon or the machine. Writes go through a
 * queue: order is kept, lines that arrive during a write go out together in
 * the next one, and the monitor never waits on the disk. At start the tail of
 * the existing file is read back (bounded), so the API can serve the alert
 * history across restarts; a corrupt line is skipped and counted.
 */
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { ConfigError, describeFsError } from '../config-error.js'
import { MONITOR_EVENT_TYPES, type EventLine } from '../events/event.js'
import { decodeEventLine } from '../events/parse.js'
import type { DaemonContext, DaemonPart } from './part.js'

/** Event types written to the log. */
export const ALERT_LOG_EVENT_TYPES: ReadonlySet<string> = new Set(MONITOR_EVENT_TYPES)

/** At most this much of the end of the file is read back at start: 1 MiB. */
export const ALERT_LOG_TAIL_BYTES = 1024 * 1024

/** Lines waiting for the disk beyond this are dropped (and counted) rather than held without bound. */
export const ALERT_LOG_MAX_PENDING = 10_000

export interface AlertLogTail {
  /** The parsed lines, oldest first. */
  events: EventLine[]
  /** Lines that were not a well-formed event line (src/events/parse.ts). */
  corrupt: number
}

/**
 * Reads back the last `maxBytes` of an alert log. A missing file is an empty
 * log. When the read starts mid-file, the first (partial) line is left out.
 */
export async function readAlertLogTail (path: string, maxBytes = ALERT_LOG_TAIL_BYTES): Promise<AlertLogTail> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], corrupt: 0 }
    throw err
  }
  let text: string
  let start: number
  try {
    const { size } = await handle.stat()
    start = Math.max(0, size - maxBytes)
    const buffer = Buffer.alloc(size - start)
    let read = 0
    while (read < buffer.length) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, start + read)
      if (bytesRead === 0) break
      read += bytesRead
    }
    text = buffer.subarray(0, read).toString('utf8')
  } finally {
    await handle.close()
  }
  const lines = text.split('\n')
  if (start > 0) lines.shift()
  const events: EventLine[] = []
  let corrupt = 0
  for (const line of lines) {
    if (line.trim() === '') continue
    const event = decodeEventLine(line)
    if (event === undefined) corrupt++
    else events.push(event)
  }
  return { events, corrupt }
}

export interface AlertLogInit {
  /** Told about a failed write (the lines are lost) or dropped lines; the log keeps going. */
  onError?: (message: string) => void
  /** Most lines waiting for the disk (default ALERT_LOG_MAX_PENDING). */
  maxPending?: number
}

/** An append-only, fsync'd file of event lines. */
export class AlertLog {
  /** Lines written and synced. */
  written = 0
  /** Lines lost to write errors or to a full queue. */
  lost = 0
  private readonly handle: FileHandle
  private readonly onError: (message: string) => void
  private readonly maxPending: number
  private pending: string[] = []
  private draining: Promise<void> | undefined
  private closed = false
  /** True while the last write failed: one warning per failure streak. */
  private failing = false

  private constructor (handle: FileHandle, init: AlertLogInit) {
    this.handle = handle
    this.onError = init.onError ?? (() => {})
    this.maxPending = init.maxPending ?? ALERT_LOG_MAX_PENDING
  }

  /** Opens (or creates) the file for appending. A last line cut short by a crash is ended first, so it stays one corrupt line. */
  static async open (path: string, init: AlertLogInit = {}): Promise<AlertLog> {
    const handle = await open(path, 'a+')
    try {
      const { size } = await handle.stat()
      if (size > 0) {
        const last = Buffer.alloc(1)
        await handle.read(last, 0, 1, size - 1)
        if (last[0] !== 0x0a) await handle.appendFile('\n')
      }
    } catch (err) {
      await handle.close()
      throw err
    }
    return new AlertLog(handle, init)
  }

  /** Queues one line (without its newline). Returns at once; the write happens in the background. */
  append (line: string): void {
    if (this.closed) return
    if (this.pending.length >= this.maxPending) {
      this.lost++
      if (!this.failing) this.onError(`alert log: ${this.maxPending} lines waiting for the disk; dropping new ones`)
      this.failing = true
      return
    }
    this.pending.push(line)
    this.draining ??= this.drain()
  }

  /** Resolves once every line queued so far is written (or failed). */
  async flush (): Promise<void> {
    while (this.draining !== undefined) await this.draining
  }

  /** Writes what is queued, then closes the file. */
  async close (): Promise<void> {
    this.closed = true
    await this.flush()
    await this.handle.close()
  }

  private async drain (): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending
        this.pending = []
        try {
          await this.handle.appendFile(batch.join('\n') + '\n')
          await this.handle.datasync()
          this.written += batch.length
          this.failing = false
        } catch (err) {
          this.lost += batch.length
          if (!this.failing) this.onError(`alert log: write failed, ${batch.length} line(s) lost: ${describeFsError(err)}`)
          this.failing = true
        }
      }
    } finally {
      this.draining = undefined
    }
  }
}

export interface AlertLogPartInit {
  /** Receives the events read back from the file at start, before any new one is written. */
  onTail?: (events: EventLine[], corrupt: number) => void
}

/** The alert log as a part of the daemon. */
export function alertLogPart (path: string, init: AlertLogPartInit = {}): DaemonPart {
  let log: AlertLog | undefined
  let unsubscribe: (() => void) | undefined
  return {
    name: 'alert log',
    async start (ctx: DaemonContext) {
      let tail: AlertLogTail
      try {
        tail = await readAlertLogTail(path)
        log = await AlertLog.open(path, { onError: (message) => { ctx.emit({ type: 'warning', message }) } })
      } catch (err) {
        throw new ConfigError(`--alert-log: cannot use ${JSON.stringify(path)}: ${describeFsError(err)}`)
      }
      if (tail.corrupt > 0) ctx.emit({ type: 'warning', message: `alert log: skipped ${tail.corrupt} corrupt line(s) in ${path}` })
      init.onTail?.(tail.events, tail.corrupt)
      const opened = log
      unsubscribe = ctx.onEvent((record) => {
        if (ALERT_LOG_EVENT_TYPES.has(record.type)) opened.append(record.json)
      })
      return undefined
    },
    async stop () {
      unsubscribe?.()
      unsubscribe = undefined
      await log?.close()
      log = undefined
    }
  }
}
