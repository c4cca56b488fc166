/**
 * The client side of the daemon's HTTP API, on Node's built-in fetch: JSON
 * GETs and the Server-Sent Events stream, with every failure turned into one
 * line a person can act on ({@link ClientError}).
 */
import { splitLines } from '../events/parse.js'
import type { ApiError } from '../api/types.js'
import { formatDuration } from '../duration.js'
import { parseSse, type SseMessage } from './sse.js'

/** A request failed: the daemon is unreachable or answered with an error. The message is one line. */
export class ClientError extends Error {
  /** The HTTP status, when the daemon answered. */
  readonly status: number | undefined
  constructor (message: string, status?: number) {
    super(message)
    this.name = 'ClientError'
    this.status = status
  }
}

export interface ApiClientInit {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:5011`. */
  base: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** A JSON request (not the event stream) that takes longer fails (ms; default 10 s). */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 10_000

export class ApiClient {
  readonly base: string
  private readonly token: string | undefined
  private readonly timeoutMs: number

  constructor (init: ApiClientInit) {
    this.base = init.base
    this.token = init.token
    this.timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  /** GETs `path` (e.g. `/api/v0/peers`) and returns the parsed JSON body. Throws ClientError. */
  async get<T> (path: string): Promise<T> {
    const response = await this.request(path, 'application/json', AbortSignal.timeout(this.timeoutMs))
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw new ClientError(`${this.base}${path}: the response broke off (${describeNetworkError(err, this.timeoutMs)})`)
    }
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ClientError(`${this.base}${path} did not answer with JSON; is ${this.base} a peermon daemon's API?`)
    }
  }

  /**
   * Follows the event stream at `path` (e.g. `/api/v0/events`) until `signal`
   * aborts (then it just ends) or the stream ends or breaks (then it throws ClientError).
   * `idleMs`: with no bytes at all (not even a keepalive) for this long the stream counts as dead.
   */
  async * events (path: string, signal: AbortSignal, idleMs: number): AsyncGenerator<SseMessage> {
    const idle = new AbortController()
    const both = AbortSignal.any([signal, idle.signal])
    const response = await this.request(path, 'text/event-stream', both)
    const type = response.headers.get('content-type') ?? ''
    if (!type.startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => {})
      throw new ClientError(`${this.base}${path} is not an event stream (content-type ${JSON.stringify(type)}); is ${this.base} a peermon daemon's API?`)
    }
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => { idle.abort() }, idleMs)
    }
    async function * chunks (body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      arm()
      for await (const chunk of body) {
        arm()
        yield chunk
      }
    }
    try {
      if (response.body === null) throw new ClientError(`${this.base}${path}: empty response`)
      yield * parseSse(splitLines(chunks(response.body as unknown as AsyncIterable<Uint8Array>)))
    } catch (err) {
      if (signal.aborted) return
      if (err instanceof ClientError) throw err
      if (idle.signal.aborted) throw new ClientError(`the event stream from ${this.base} went silent for ${formatDuration(idleMs)} (no keepalives); the daemon or the network is down`)
      throw new ClientError(`the event stream from ${this.base} broke off (${describeNetworkError(err, idleMs)}); the daemon stopped or crashed`)
    } finally {
      clearTimeout(timer)
    }
    if (signal.aborted) return
    // A graceful stop ends the stream cleanly; so, at times, does a crash (the socket closes without an error).
    throw new ClientError(`the event stream from ${this.base} ended; the daemon stopped or crashed`)
  }

  private async request (path: string, accept: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept }
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`
    let response: Response
    try {
      response = await fetch(`${this.base}${path}`, { headers, signal })
    } catch (err) {
      throw new ClientError(`cannot reach the peermon API at ${this.base}: ${describeNetworkError(err, this.timeoutMs)} (is \`peermon daemon\` running with its --api at that address?)`)
    }
    if (response.ok) return response
    const body = await response.text().catch(() => '')
    let message: string | undefined
    try {
      const parsed = JSON.parse(body) as Partial<ApiError>
      if (typeof parsed.error === 'string') message = parsed.error.split('\n')[0]
    } catch {}
    const hint = response.status === 401
      ? (this.token === undefined ? '; the daemon wants a token: pass --api-token or set PEERMON_API_TOKEN' : '; check --api-token or PEERMON_API_TOKEN')
      : ''
    throw new ClientError(`${this.base}${path}: ${message ?? response.statusText} (HTTP ${response.status})${hint}`, response.status)
  }
}

/** `connection refused`, `host not found`, `no answer within 10s`, ... */
function describeNetworkError (err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${formatDuration(timeoutMs)}`
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined
  switch (cause?.code) {
    case 'ECONNREFUSED': return 'connection refused'
    case 'ECONNRESET': return 'connection reset'
    case 'ENOTFOUND': case 'EAI_AGAIN': return `host ${JSON.stringify((cause as NodeJS.ErrnoException & { hostname?: string }).hostname ?? '')} not found`
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable'
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'connection timed out'
    case 'UND_ERR_SOCKET': return 'connection lost'
    default: break
  }
  const text = cause?.message ?? (err instanceof Error ? err.message : String(err))
  return text.split('\n')[0]
}
