/**
 * `peermon swarm --view`: the launcher serves a live page of its swarm (the
 * daemon dashboard's conventions: one self-contained page under a hash-based
 * strict CSP, nothing from the internet, loopback by default, a token
 * otherwise). Routes:
 *
 * - `GET /`: the page (page.ts);
 * - `GET /api/events`: Server-Sent Events: `snapshot` on connect (state and the
 *   feed kept), then `state` at most every TICK_MS when something changed
 *   (the state whole, and the feed entries since the previous one);
 * - `GET /api/state`: the state and feed now, as JSON;
 * - `POST /api/nodes/:index/:action` (kill, hang, resume, stop, restart, partition,
 *   heal) and `POST /api/heal` (every link and the partition): each action is
 *   logged on stderr and in the feed.
 *
 * Access, as the daemon's API (src/api/server.ts, auth.ts): with a token,
 * every route needs `Authorization: Bearer <token>` (the page and the event
 * stream also take `?token=`); without one, only requests addressed to a
 * loopback host name are answered (no DNS rebinding). A POST must be JSON and,
 * when the browser says where it comes from (Origin), come from this page's
 * origin: another site's form or no-cors fetch cannot act on the swarm.
 */
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { bearerToken, isLoopbackHost, tokenMatches } from '../../http/auth.js'
import { ConfigError } from '../../config-error.js'
import { EventStreams } from '../../http/sse.js'
import { describeExit } from '../nodes/daemon-child.js'
import { pageCsp } from '../../http/page-csp.js'
import type { Swarm } from '../launch/launcher.js'
import { Feed, LeftPeers, matrixOf, partitionGroups, viewNode, type NodeFacts } from './model.js'
import { VIEW_HTML, VIEW_SCRIPT, VIEW_STYLE } from './page.js'
import { VIEW_ACTIONS, type ActionResponse, type ViewAction, type ViewState, type ViewTick } from './types.js'

/** At most one state update per this many ms, whatever the event rate. */
export const TICK_MS = 500

/** The page's CSP (the dashboard's rules: its own inline script and style, this origin only). */
export const VIEW_CSP = pageCsp(VIEW_SCRIPT, VIEW_STYLE)

export interface ViewServerOptions {
  host: string
  port: number
  /** Bearer token every route requires; undefined: none, loopback host names only. */
  token?: string
  /** One line per action and problem (the launcher's stderr). */
  log: (line: string) => void
  /** Clock of feed entries (default Date.now). */
  now?: () => number
  /** Why the view takes no action (a scenario file drives the swarm): buttons disabled, POSTs refused with 409. */
  readOnly?: string
}

export interface ViewServer {
  /** `http://host:port` */
  url: string
  app: FastifyInstance
  /** The state and feed now (what `GET /api/state` answers). */
  snapshot: () => ViewTick
  /** Adds a line to the feed (a scenario file's step), about no node in particular. */
  note: (line: string) => void
  close: () => Promise<void>
}

/** Routes that take the token as `?token=` too (a browser's EventSource cannot send headers). */
const QUERY_TOKEN_ROUTES = new Set(['/', '/api/events'])

/** Starts serving the view of `swarm` (started or not); rejects if it cannot listen. */
export async function startViewServer (swarm: Swarm, options: ViewServerOptions): Promise<ViewServer> {
  const { token, log, readOnly } = options
  const now = options.now ?? Date.now
  const loopbackOnly = token === undefined
  const n = swarm.options.nodes
  const feed = new Feed()
  const left = new LeftPeers()
  const partitioned = new Set<number>()
  const streams = new EventStreams()
  const reportedExit = new Set<number>()
  let peerIndex = new Map<string, number>()

  const indexOf = (peer: string): number | undefined => {
    let index = peerIndex.get(peer)
    if (index === undefined && swarm.nodes.some((node) => node?.peer === peer)) {
      peerIndex = new Map(swarm.nodes.flatMap((node, i) => node?.peer === undefined ? [] : [[node.peer, i] as const]))
      index = peerIndex.get(peer)
    }
    return index
  }
  const offEvents = swarm.onEvent(({ node, event, at }) => {
    left.apply(node, event)
    feed.addEvent(node, at, event, indexOf)
  })

  /** Adds an `exited` feed entry for each node that ended since the last call. */
  const noteExits = (): void => {
    for (const [i, node] of swarm.nodes.entries()) {
      if (node?.exit !== undefined && !reportedExit.has(i)) {
        reportedExit.add(i)
        feed.add({ at: now(), node: i, event: 'exited', peer: null, detail: describeExit(node.exit) })
      }
    }
  }
  const state = (): ViewState => {
    noteExits()
    const nodes = Array.from({ length: n }, (_, i): NodeFacts | undefined => swarm.nodes[i])
    const netns = swarm.lan !== undefined
    return {
      intervalMs: swarm.options.intervalMs,
      ttlMs: swarm.options.ttlMs,
      seed: swarm.seed,
      netns,
      readOnly: readOnly ?? null,
      nodes: nodes.map((node, i) => viewNode(i, node, node?.state === 'exited' ? describeExit(swarm.nodes[i].exit) : undefined, { netns, partitioned: partitioned.has(i), mates: swarm.processMates(i).filter((m) => m !== i), readOnly })),
      matrix: matrixOf(nodes, swarm.tables.slice(0, n), left.sets(n))
    }
  }
  const snapshot = (): ViewTick => ({ state: state(), feed: feed.all() })

  let lastSent = ''
  const tick = setInterval(() => {
    noteExits()
    if (streams.size === 0) return
    const json = JSON.stringify(state())
    const fresh = feed.take()
    if (json === lastSent && fresh.length === 0) return
    lastSent = json
    streams.publish('state', `{"state":${json},"feed":${JSON.stringify(fresh)}}`)
  }, TICK_MS)
  tick.unref()

  const act = async (index: number | undefined, action: ViewAction | 'heal-all', from: string): Promise<ActionResponse> => {
    // With --netns a packed node's network is its process's namespace: partition and heal act on all its nodes.
    const together = index === undefined || (action !== 'partition' && action !== 'heal') ? [] : swarm.processMates(index)
    const what = index === undefined ? 'heal every link' : together.length > 1 ? `${action} nodes ${together.join(', ')} (one process and network namespace)` : `${action} node ${index}`
    const facts = index === undefined ? undefined : state().nodes[index]
    const reason = readOnly ?? facts?.disabled[action as ViewAction]
    if (reason !== undefined) {
      log(`view: ${what} refused (${reason}), asked from ${from}`)
      return { ok: false, message: `cannot ${what}: ${reason}` }
    }
    log(`view: ${what}, asked from ${from}`)
    const node = index === undefined ? undefined : swarm.node(index)
    let done = true
    switch (action) {
      case 'kill': done = node?.signal('SIGKILL') === true; break
      case 'hang': done = node?.pause() === true; break
      case 'resume': done = node?.resume() === true; break
      case 'stop': void node?.stop(); break
      case 'restart':
        try {
          await swarm.restart(index as number)
        } catch (err) {
          log(`view: ${what} failed (${err instanceof Error ? err.message : String(err)})`)
          return { ok: false, message: `${what}: ${err instanceof Error ? err.message : String(err)}` }
        }
        break
      case 'partition':
      case 'heal':
        if (action === 'partition') for (const i of together) partitioned.add(i)
        else {
          for (const i of together) partitioned.delete(i)
          if (swarm.lan !== undefined) await swarm.lan.heal(swarm.hostOf(index as number).index)
        }
        if (swarm.lan !== undefined) await swarm.lan.partition(swarm.hostGroups(partitionGroups(partitioned, n)))
        break
      case 'heal-all':
        partitioned.clear()
        await swarm.lan?.heal()
        break
    }
    if (!done) {
      log(`view: ${what} failed (the process is gone)`)
      return { ok: false, message: `${what}: the process is gone` }
    }
    feed.add({ at: now(), node: index ?? -1, event: 'action', peer: null, detail: what })
    return { ok: true, message: what }
  }

  const app = Fastify({ logger: false, bodyLimit: 1024, forceCloseConnections: true })
  app.removeContentTypeParser('text/plain')
  app.addHook('onRequest', async (req, reply) => {
    if (loopbackOnly && !isLoopbackHost(req.headers.host)) {
      return await sendError(reply, 403, 'this view answers only requests to localhost, 127.0.0.1 or [::1]; use --view-token to serve other host names')
    }
    if (token !== undefined) {
      const route = req.routeOptions.url
      const given = bearerToken(req.headers.authorization) ??
        (route !== undefined && QUERY_TOKEN_ROUTES.has(route) ? queryToken(req) : undefined)
      if (!tokenMatches(given, token)) {
        reply.header('www-authenticate', 'Bearer realm="peermon swarm"')
        return await sendError(reply, 401, given === undefined ? 'this view needs a token: open it as /?token=<token>' : 'wrong token')
      }
    }
    if (req.method === 'POST') {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return await sendError(reply, 415, 'send application/json')
      const origin = req.headers.origin
      if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return await sendError(reply, 403, `requests from ${origin} may not act on this swarm`)
    }
  })
  app.setErrorHandler((err: { statusCode?: number, message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status === 500) log(`view: ${err.message}`)
    void sendError(reply, status, status === 500 ? `internal error: ${err.message}` : err.message)
  })
  app.setNotFoundHandler((req, reply) => { void sendError(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`) })
  app.addHook('preClose', async () => { streams.close() })

  app.get('/', async (_req, reply) => await reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', VIEW_CSP)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(VIEW_HTML))
  app.get('/api/state', async () => snapshot())
  app.get('/api/events', async (req, reply) => {
    if (!streams.hasRoom) return await sendError(reply, 503, 'too many open event streams; try again later')
    reply.hijack()
    streams.open(req.raw, reply.raw)
    reply.raw.write(`event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`)
  })
  app.post<{ Params: { index: string, action: string } }>('/api/nodes/:index/:action', async (req, reply) => {
    const index = /^\d+$/.test(req.params.index) ? Number(req.params.index) : NaN
    if (!(index < n)) return await sendError(reply, 404, `no node ${req.params.index} (the swarm has nodes 0..${n - 1})`)
    const action = VIEW_ACTIONS.find((a) => a === req.params.action)
    if (action === undefined) return await sendError(reply, 404, `no action ${JSON.stringify(req.params.action.slice(0, 40))} (${VIEW_ACTIONS.join(', ')})`)
    const result = await act(index, action, req.ip)
    return await reply.code(result.ok ? 200 : 409).send(result)
  })
  app.post('/api/heal', async (req, reply) => {
    if (swarm.lan === undefined) return await reply.code(409).send({ ok: false, message: 'no partitions without --netns' } satisfies ActionResponse)
    const result = await act(undefined, 'heal-all', req.ip)
    return await reply.code(result.ok ? 200 : 409).send(result)
  })

  try {
    await app.listen({ host: options.host, port: options.port })
  } catch (err) {
    clearInterval(tick)
    offEvents()
    await app.close()
    throw err
  }
  const address = app.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    app,
    snapshot,
    note: (line) => { feed.add({ at: now(), node: -1, event: 'step', peer: null, detail: line }) },
    close: async () => {
      clearInterval(tick)
      offEvents()
      await app.close()
    }
  }
}

async function sendError (reply: FastifyReply, statusCode: number, message: string): Promise<FastifyReply> {
  return await reply.code(statusCode).type('application/json; charset=utf-8').send({ error: message, statusCode })
}

function queryToken (req: FastifyRequest): string | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.token
  return typeof value === 'string' ? value : undefined
}

/**
 * `peermon swarm --view`: starts the view of `swarm` and prints its URL; a
 * place it cannot listen on is the operator's mistake (ConfigError, exit 2).
 */
export async function startSwarmView (swarm: Swarm, at: { host: string, port: number }, token: string | undefined, log: (line: string) => void, readOnly?: string): Promise<ViewServer> {
  let server: ViewServer
  try {
    server = await startViewServer(swarm, { ...at, token, log, ...(readOnly === undefined ? {} : { readOnly }) })
  } catch (err) {
    throw new ConfigError(`--view: cannot listen on ${at.host}:${at.port}: ${(err as Error).message}`)
  }
  log(`view ${server.url}/${token === undefined ? '' : ' (open it as /?token=<your --view-token>)'}`)
  return server
}
