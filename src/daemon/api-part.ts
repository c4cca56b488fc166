/**
 * The HTTP API as a part of the daemon: builds the server from the daemon's
 * node and configuration, feeds it every daemon event, listens on `--api`
 * (or, when the default port is taken, on a free one) and adds the base URL
 * to the `listening` line.
 */
import type { AddressInfo } from 'node:net'
import { ConfigError, describeFsError } from '../config-error.js'
import type { ApiAddress } from './config.js'
import type { DaemonContext, DaemonPart } from './part.js'
import type { EventLine, ListeningEvent } from '../events/event.js'
import { registerDashboard } from '../api/dashboard.js'
import { EventHistory } from '../api/history.js'
import { buildApiServer } from '../api/server.js'
import type { ApiServer, ApiServerOptions } from '../api/server.js'
import { ALERT_HISTORY_SIZE } from '../api/types.js'
import { packageVersion } from '../version.js'
import { canonicalPeerId } from '../libp2p/peer-id.js'

export interface ApiPartInit {
  /** Routes beyond the JSON API, each a function of the Fastify instance (default: {@link API_PLUGINS}). */
  plugins?: ApiServerOptions['plugins']
}

/**
 * Routes the daemon's API serves besides the JSON API and `/metrics`: the dashboard page
 * (`GET /`, src/api/dashboard*) goes here as `(app) => { app.get('/', ...) }`.
 * Auth is already applied to every route (`GET /` also accepts `?token=`).
 */
export const API_PLUGINS: NonNullable<ApiServerOptions['plugins']> = [registerDashboard]

export class ApiPart implements DaemonPart {
  readonly name = 'api'
  private readonly history = new EventHistory(ALERT_HISTORY_SIZE)
  private readonly plugins: NonNullable<ApiServerOptions['plugins']>
  private server?: ApiServer
  private unsubscribe?: () => void

  constructor (init: ApiPartInit = {}) {
    this.plugins = init.plugins ?? API_PLUGINS
  }

  /** Puts events read back from the alert log before the ones seen since; counts its corrupt lines. */
  preload (lines: EventLine[], corrupt: number): void {
    this.history.preload(lines)
    this.history.corrupt += corrupt
  }

  async start (ctx: DaemonContext): Promise<Partial<ListeningEvent>> {
    const { config, node, monitor } = ctx
    const address = config.api
    if (address === undefined) throw new Error('the API part needs config.api')
    const version = packageVersion()
    const peer = node.peerId.toString()
    const server = await buildApiServer({
      monitor,
      canonicalPeerId,
      token: config.apiToken,
      history: this.history,
      registry: ctx.metricsRegistry,
      plugins: this.plugins,
      connections: () => {
        const { connections, ...rest } = ctx.connectivity()
        return { connected: connections, ...rest }
      },
      identity: () => ({
        peer,
        addrs: node.getMultiaddrs().map(String),
        version,
        topic: config.topic,
        intervalMs: config.intervalMs,
        ttlMs: config.ttlMs,
        windowSize: config.windowSize
      })
    })
    this.server = server
    this.unsubscribe = ctx.onEvent((record) => { server.handleEvent(record) })
    try {
      await listen(server, address, ctx.emit)
    } catch (err) {
      await this.stop()
      throw err
    }
    return { api: baseUrl(server, address.host) }
  }

  async stop (): Promise<void> {
    this.unsubscribe?.()
    this.unsubscribe = undefined
    const server = this.server
    this.server = undefined
    await server?.app.close()
  }
}

/**
 * Listens on `address`. A default address (not chosen by the operator) whose port is taken,
 * as when a second daemon starts on the same host, gives way to a free port and a warning;
 * an explicit one that cannot be bound is the operator's mistake.
 */
async function listen (server: ApiServer, address: ApiAddress, emit: DaemonContext['emit']): Promise<void> {
  try {
    await server.app.listen({ host: address.host, port: address.port })
    return
  } catch (err) {
    if (address.explicit || errorCode(err) !== 'EADDRINUSE') throw listenError(address.host, address.port, err)
  }
  try {
    await server.app.listen({ host: address.host, port: 0 })
  } catch (err) {
    throw listenError(address.host, 0, err)
  }
  emit({ type: 'warning', message: `API port ${address.port} in use; serving the API on ${baseUrl(server, address.host)} instead` })
}

function baseUrl (server: ApiServer, host: string): string {
  const { port } = server.app.server.address() as AddressInfo
  return `http://${hostPort(host, port)}`
}

function listenError (host: string, port: number, err: unknown): ConfigError {
  return new ConfigError(`--api: cannot listen on ${hostPort(host, port)}: ${describeListenError(err)}`)
}

const errorCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code

function hostPort (host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

function describeListenError (err: unknown): string {
  const code = errorCode(err)
  if (code === 'EADDRINUSE') return 'address in use (another daemon? pick a port with --api host:port, :0 for a free one, or --api off)'
  if (code === 'EADDRNOTAVAIL') return 'no such local address'
  return describeFsError(err)
}
