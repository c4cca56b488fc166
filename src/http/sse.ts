/**
 * The live event stream (`GET /api/v0/events`): Server-Sent Events carrying
 * the daemon's `--json` lines as `event: <type>\ndata: <line>\n\n`, a comment
 * heartbeat so proxies and clients see a live connection, a bound on open
 * streams, and a bound on what a slow client may leave unread.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SSE_HEARTBEAT_MS, SSE_MAX_CLIENTS } from './sse-limits.js'

export interface EventStreamsInit {
  /** Most open streams (default SSE_MAX_CLIENTS). */
  maxClients?: number
  /** Heartbeat interval in ms (default SSE_HEARTBEAT_MS). */
  heartbeatMs?: number
  /** A client with more than this many bytes unsent is dropped (default 1 MiB). */
  maxBufferedBytes?: number
  /** Told when a slow client is dropped. */
  onDropped?: () => void
}

interface Client {
  res: ServerResponse
  /** Event types the client asked for; undefined = all. */
  types?: ReadonlySet<string>
}

/** Reconnect delay suggested to EventSource clients (ms). */
const RETRY_MS = 2000

export class EventStreams {
  private readonly clients = new Set<Client>()
  private readonly maxClients: number
  private readonly heartbeatMs: number
  private readonly maxBufferedBytes: number
  private readonly onDropped: () => void
  private heartbeat?: NodeJS.Timeout
  private closed = false
  /** Streams dropped because the client did not read fast enough. */
  dropped = 0

  constructor (init: EventStreamsInit = {}) {
    this.maxClients = init.maxClients ?? SSE_MAX_CLIENTS
    this.heartbeatMs = init.heartbeatMs ?? SSE_HEARTBEAT_MS
    this.maxBufferedBytes = init.maxBufferedBytes ?? 1024 * 1024
    this.onDropped = init.onDropped ?? (() => {})
  }

  /** Open streams. */
  get size (): number {
    return this.clients.size
  }

  /** True when another stream may open. */
  get hasRoom (): boolean {
    return !this.closed && this.clients.size < this.maxClients
  }

  /**
   * Starts an event stream on a raw response (the caller has taken the
   * response over from its framework). Returns false, writing nothing, when
   * no stream may open; the caller then answers 503.
   */
  open (req: IncomingMessage, res: ServerResponse, types?: ReadonlySet<string>): boolean {
    if (!this.hasRoom) return false
    const client: Client = { res, types }
    this.clients.add(client)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // Keep-alive keeps chunked encoding: a clean end (the last chunk) differs from a crashed daemon (cut off).
      // Sockets left open when the daemon stops are closed by the server (forceCloseConnections).
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write(`retry: ${RETRY_MS}\n: peermon event stream\n\n`)
    const remove = (): void => { this.remove(client) }
    req.once('close', remove)
    res.once('close', remove)
    res.once('error', remove)
    this.heartbeat ??= setInterval(() => { this.broadcast(': keepalive\n\n') }, this.heartbeatMs).unref()
    return true
  }

  /** Sends one event line (a `--json` line) to every stream that wants its type. */
  publish (type: string, line: string): void {
    if (this.clients.size === 0) return
    const frame = `event: ${type}\ndata: ${line}\n\n`
    for (const client of this.clients) {
      if (client.types === undefined || client.types.has(type)) this.write(client, frame)
    }
  }

  /** Ends every stream; later opens are refused. */
  close (): void {
    this.closed = true
    for (const client of [...this.clients]) {
      this.remove(client)
      client.res.end()
    }
  }

  private broadcast (frame: string): void {
    for (const client of this.clients) this.write(client, frame)
  }

  private write (client: Client, frame: string): void {
    const { res } = client
    if (res.writableLength > this.maxBufferedBytes) {
      // A client that stopped reading would hold memory without bound: cut it off, it may reconnect.
      this.dropped++
      this.remove(client)
      res.destroy()
      this.onDropped()
      return
    }
    res.write(frame)
  }

  private remove (client: Client): void {
    this.clients.delete(client)
    if (this.clients.size === 0 && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat)
      this.heartbeat = undefined
    }
  }
}
