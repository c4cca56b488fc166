/**
 * The daemon's run loop: build the node from the configuration, start the
 * daemon's parts (HTTP API, hooks, alert log, ...), print the `listening`
 * line, keep the bootstrap peers connected, fan every event out to the output
 * and the parts, and leave gracefully on SIGINT/SIGTERM.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import type { ListeningEvent, PeermonEvent } from '../events/event.js'
import { EventRecord } from '../events/record.js'
import { createNode } from '../libp2p/node.js'
import type { PeermonNode } from '../libp2p/node.js'
import { BootstrapKeeper } from './bootstrap.js'
import { addressKey, resolveBootstrapTarget, toBootstrapTarget } from './bootstrap-addr.js'
import { Connectivity } from './connectivity.js'
import type { DaemonConfig } from './config.js'
import { loadAllowList } from './access.js'
import { loadOrCreateKey } from './keyfile.js'
import type { DaemonContext, DaemonPart } from './part.js'
import { loadSwarmKey } from './psk.js'
import { openTrace } from './trace.js'

/** A graceful stop must finish within this long (ms); then the daemon exits anyway. */
const STOP_DEADLINE_MS = 2_500

/** Where a daemon writes its lines: the process's streams, or a packed swarm process's framing (src/swarm/packed/pack-command.ts). */
export interface DaemonIO {
  stdout: LineSink
  stderr: LineSink
}

export interface LineSink {
  write: (text: string) => unknown
}

export interface RunDaemonOptions {
  /**
   * Resolves when the daemon should stop, with what asked (e.g. a signal's
   * name). Default: the process's first SIGINT or SIGTERM (a second one exits).
   */
  stop?: Promise<string>
  /**
   * Log unhandled rejections as `warning` events instead of letting them end
   * the process (default true). A process hosting several daemons handles
   * them once, itself.
   */
  catchRejections?: boolean
  /**
   * Resolves when the daemon should end as a killed process looks from the
   * network (a packed swarm's `kill`): every connection reset instead of
   * closed, no leave notice, no line printed after it. Default: never.
   */
  crash?: Promise<void>
}

/** The parts this configuration asks for. Each is imported only when configured. */
async function configuredParts (config: DaemonConfig): Promise<DaemonPart[]> {
  const parts: DaemonPart[] = []
  // The API is created first so that the alert log, started before it, can hand it the history read back from the file.
  const api = config.api !== undefined ? new (await import('./api-part.js')).ApiPart() : undefined
  if (config.alertLog !== undefined) {
    const { alertLogPart } = await import('./alert-log.js')
    parts.push(alertLogPart(config.alertLog, { onTail: (events, corrupt) => { api?.preload(events, corrupt) } }))
  }
  if (api !== undefined) parts.push(api)
  if (config.onAlert !== undefined || config.onRecovered !== undefined || config.onLeft !== undefined) {
    const { hooksPart } = await import('./hooks.js')
    const hooks = hooksPart(config)
    if (hooks !== undefined) parts.push(hooks)
  }
  return parts
}

/** Runs the daemon until SIGINT or SIGTERM (or `options.stop`); resolves with the exit code. */
export async function runDaemon (config: DaemonConfig, io: DaemonIO = process, options: RunDaemonOptions = {}): Promise<number> {
  // Listen for SIGINT/SIGTERM from the first moment, so a signal during startup still ends in a clean stop.
  const stopRequested = options.stop ?? waitForSignal()
  // Every event is made into one record here and flows one way: to stdout, then to each part that listens.
  const listeners = new Set<(record: EventRecord) => void>()
  let crashed = false
  const emit = (event: PeermonEvent): void => {
    if (crashed) return
    const record = new EventRecord(event)
    io.stdout.write((config.json ? record.json : record.human) + '\n')
    for (const listener of listeners) {
      try { listener(record) } catch (err) { io.stderr.write(`peermon: event listener failed: ${describe(err)}\n`) }
    }
  }

  // Private swarm: the swarm key and the allow-list are checked first (ConfigError, exit 2), so a mistake there creates no key file.
  const psk = config.pskFile != null ? await loadSwarmKey(config.pskFile, { allowInsecure: config.allowInsecureKey }) : undefined
  const allow = await loadAllowList(config)
  const privateKey = config.keyFile != null
    ? await loadOrCreateKey(config.keyFile, { allowInsecure: config.allowInsecureKey })
    : await generateKeyPair('Ed25519')

  // Benchmark instrumentation (src/daemon/trace.ts): off unless these variables are set.
  const trace = config.instrumentation?.tracePath !== undefined ? openTrace(config.instrumentation.tracePath) : undefined
  // With the HTTP API on, libp2p's own metrics go into the registry its /metrics serves.
  const metricsRegistry = config.api !== undefined ? (await import('../api/prometheus.js')).createMetricsRegistry() : undefined
  const node = await createNode({
    metricsRegistry,
    privateKey,
    psk,
    allow,
    listen: config.listen,
    ...config.instrumentation?.gossip,
    monitor: {
      trace,
      topic: config.topic,
      interval: config.intervalMs,
      ttl: config.ttlMs,
      windowSize: config.windowSize,
      retention: config.retentionMs,
      tags: config.tags,
      dataDir: config.dataDir,
      stateBudgetBytes: config.peerStateBudgetBytes,
      ...(config.localHealth ? {} : { localHealth: false as const })
    }
  })

  // The daemon outlives anything a peer sends: an unhandled rejection in the network layer is logged, not fatal.
  const onRejection = (reason: unknown): void => {
    emit({ type: 'warning', message: `unhandled rejection: ${describe(reason)}` })
  }
  const catchRejections = options.catchRejections ?? true
  if (catchRejections) process.on('unhandledRejection', onRejection)

  const monitor = node.services.monitor
  let deferred: PeermonEvent[] | undefined = []
  const allowed = allow === undefined ? undefined : new Set(allow)
  const connectivity = new Connectivity({
    node,
    target: config.minConnections,
    peersFile: config.peersFile,
    ...(allowed !== undefined && allowed.size > 0 ? { isAllowed: (peer: string) => allowed.has(peer) } : {}),
    emit: (event) => { ctx.emit(event) }
  })
  monitor.addEventListener('event', (evt) => { emit(evt.detail) })
  const ctx: DaemonContext = {
    config,
    node,
    monitor,
    // What a part reports while it starts (e.g. the API's port fallback) follows the `listening` line, which stays first.
    emit: (event) => { if (deferred !== undefined) deferred.push(event); else emit(event) },
    metricsRegistry,
    connectivity: () => connectivity.view(),
    onEvent: (listener) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }

  const keeper = new BootstrapKeeper({
    targets: config.bootstrap.map(toBootstrapTarget),
    resolve: async (target) => await resolveBootstrapTarget(target),
    dial: async (addr) => (await node.dial(multiaddr(addr))).remotePeer.toString(),
    isConnected: (peer) => node.getConnections().some(c => c.remotePeer.toString() === peer),
    isSelf: (addr) => {
      const key = addressKey(addr)
      return node.getMultiaddrs().some(a => addressKey(a) === key)
    },
    connectedListeners: async () => {
      const peerAt = new Map<string, string>()
      for (const conn of node.getConnections()) {
        const peer = conn.remotePeer.toString()
        peerAt.set(addressKey(conn.remoteAddr), peer)
        // An inbound connection comes from an ephemeral port: the peer's listen addresses are what identify told.
        const known = await node.peerStore.get(conn.remotePeer).catch(() => undefined)
        for (const { multiaddr: listen } of known?.addresses ?? []) peerAt.set(addressKey(listen), peer)
      }
      return (addr) => peerAt.get(addressKey(addr))
    },
    onDialError: (target, err, retryIn) => {
      emit({ type: 'warning', message: `bootstrap ${target.addr} unreachable (${describe(err)}); retrying in ${retryIn} ms` })
    }
  })
  node.addEventListener('peer:connect', (evt) => { emit({ type: 'connected', peer: evt.detail.toString() }) })
  node.addEventListener('peer:disconnect', (evt) => {
    const peer = evt.detail.toString()
    emit({ type: 'disconnected', peer })
    keeper.peerDisconnected(peer)
    connectivity.peerDisconnected(peer)
  })

  const started: DaemonPart[] = []
  let listening: ListeningEvent = { type: 'listening', peer: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) }
  try {
    for (const part of await configuredParts(config)) {
      const extra = await part.start(ctx)
      started.push(part)
      listening = { ...listening, ...extra, type: 'listening' }
    }
  } catch (err) {
    for (const event of deferred.splice(0)) emit(event)
    await stopParts(started, io)
    await stopWithin(node, STOP_DEADLINE_MS)
    if (catchRejections) process.off('unhandledRejection', onRejection)
    throw err
  }

  trace?.start(node.peerId.toString(), node.services.pubsub)
  emit(listening)
  for (const event of deferred.splice(0)) emit(event)
  deferred = undefined
  keeper.start()
  await connectivity.start()

  const signal = await (options.crash === undefined ? stopRequested : Promise.race([stopRequested, options.crash.then(() => undefined)]))
  if (signal === undefined) {
    crashed = true
    keeper.stop()
    connectivity.halt()
    await crashWithin(node, STOP_DEADLINE_MS)
    trace?.stop()
    await stopParts(started, { stdout: io.stdout, stderr: { write: () => true } })
    if (catchRejections) process.off('unhandledRejection', onRejection)
    return 137
  }
  emit({ type: 'stopping' })
  keeper.stop()
  await connectivity.stop().catch(() => {})
  const stopped = await stopWithin(node, STOP_DEADLINE_MS)
  trace?.stop()
  await stopParts(started, io)
  if (catchRejections) process.off('unhandledRejection', onRejection)
  if (!stopped) io.stderr.write(`peermon: ${signal}: node did not stop within ${STOP_DEADLINE_MS} ms; exiting anyway\n`)
  return 0
}

async function stopParts (parts: DaemonPart[], io: DaemonIO): Promise<void> {
  for (const part of [...parts].reverse()) {
    try { await part.stop() } catch (err) { io.stderr.write(`peermon: stopping ${part.name} failed: ${describe(err)}\n`) }
  }
}

/** Resolves with the name of the first SIGINT or SIGTERM; a second one exits at once. */
async function waitForSignal (): Promise<string> {
  return new Promise(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      const again = (): void => { process.exit(130) }
      process.once('SIGINT', again)
      process.once('SIGTERM', again)
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

async function stopWithin (node: PeermonNode, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([Promise.resolve(node.stop()).then(() => true as const), deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Stops the node as a crash would look to its peers: each connection reset
 * (aborted, not closed), and any that opens meanwhile too, so the monitor's
 * leave notice (published in its beforeStop) reaches no peer.
 */
async function crashWithin (node: PeermonNode, ms: number): Promise<boolean> {
  const reset = (): void => {
    for (const conn of node.getConnections()) conn.abort(new Error('crashed'))
  }
  node.addEventListener('connection:open', reset)
  reset()
  try {
    return await stopWithin(node, ms)
  } finally {
    node.removeEventListener('connection:open', reset)
  }
}

function describe (err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]
  return String(err)
}
