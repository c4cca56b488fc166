/**
 * The command-line client of a daemon's HTTP API, in the manner of
 * `ipfs-cluster-ctl` and `serf members`/`serf monitor`:
 *
 * ```sh
 * peermon peers                    # aligned table of the monitored peers
 * peermon alerts --limit 20        # recent alert history
 * peermon metrics load --json      # one metric from every peer, as JSON
 * peermon watch --type alert       # follow the event stream
 * peermon health                   # one line; exit 0 when the daemon answers
 * ```
 *
 * Every command takes `--api <url|host:port>` (env PEERMON_API) and
 * `--api-token` (env PEERMON_API_TOKEN).
 */
import { decodeEventLine } from '../events/parse.js'
import type { AlertsResponse, HealthResponse, MetricResponse, PeersResponse } from '../api/types.js'
import { API_PREFIX, SSE_HEARTBEAT_MS } from '../api/types.js'
import { ApiClient, ClientError } from './api.js'
import { clientHelp, parseClientFlags, type ClientCommand, type ClientConfig } from './flags.js'
import { formatEventLine, renderAlerts, renderHealth, renderMetric, renderPeers } from './views.js'

export { CLIENT_COMMANDS, type ClientCommand } from './flags.js'
export { ClientError } from './api.js'

export interface ClientIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** Ends `watch` cleanly (exit 0); by default SIGINT/SIGTERM of this process. */
  stop?: AbortSignal
}

/** With no bytes from the event stream for this long (three missed keepalives), `watch` gives up. */
const WATCH_IDLE_MS = 3 * SSE_HEARTBEAT_MS

/**
 * Runs a client command with its argv (after the command name); resolves with
 * the exit code. Throws ConfigError on bad flags (exit 2) and ClientError when
 * the daemon is unreachable or answers with an error (exit 1).
 */
export async function runClient (command: ClientCommand, argv: string[], io: ClientIO): Promise<number> {
  const config = parseClientFlags(command, argv, io.env)
  if (config.help) {
    io.stdout.write(clientHelp(command))
    return 0
  }
  const client = new ApiClient({ base: config.api, token: config.apiToken })
  switch (command) {
    case 'peers': {
      const response = await client.get<PeersResponse>(`${API_PREFIX}/peers`)
      io.stdout.write(config.json ? `${JSON.stringify(response, null, 2)}\n` : renderPeers(response))
      return 0
    }
    case 'alerts': {
      const query = config.limit !== undefined ? `?limit=${config.limit}` : ''
      const response = await client.get<AlertsResponse>(`${API_PREFIX}/alerts${query}`)
      io.stdout.write(config.json ? `${JSON.stringify(response, null, 2)}\n` : renderAlerts(response))
      return 0
    }
    case 'metrics': {
      const response = await client.get<MetricResponse>(`${API_PREFIX}/metrics/${encodeURIComponent(config.metric ?? '')}`)
      io.stdout.write(config.json ? `${JSON.stringify(response, null, 2)}\n` : renderMetric(response))
      return 0
    }
    case 'health': {
      const response = await client.get<HealthResponse>(`${API_PREFIX}/health`)
      io.stdout.write(config.json ? `${JSON.stringify(response, null, 2)}\n` : renderHealth(response))
      return 0
    }
    case 'watch':
      return await watch(client, config, io)
  }
}

/** Prints each event of the stream until stopped (exit 0) or the stream ends or breaks (ClientError, exit 1). */
async function watch (client: ApiClient, config: ClientConfig, io: ClientIO): Promise<number> {
  const stop = new AbortController()
  const onSignal = (): void => { stop.abort() }
  if (io.stop !== undefined) {
    io.stop.addEventListener('abort', onSignal)
  } else {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  const query = config.types !== undefined ? `?type=${config.types.map(encodeURIComponent).join(',')}` : ''
  try {
    for await (const message of client.events(`${API_PREFIX}/events${query}`, stop.signal, WATCH_IDLE_MS)) {
      const line = decodeEventLine(message.data)
      if (line === undefined) continue
      io.stdout.write(`${config.json ? JSON.stringify(line) : formatEventLine(line)}\n`)
    }
    if (!stop.signal.aborted) throw new ClientError(`the event stream from ${client.base} ended`)
    return 0
  } finally {
    io.stop?.removeEventListener('abort', onSignal)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
