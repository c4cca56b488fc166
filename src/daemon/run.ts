/**
 * The daemon's run loop: build the node from the configuration, print the
 * `listening` line, keep the bootstrap peers connected, turn monitor events
 * into output lines, and leave gracefully on SIGINT/SIGTERM.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../node.js'
import type { PeermonNode } from '../node.js'
import { BootstrapKeeper } from './bootstrap.js'
import type { BootstrapTarget } from './bootstrap.js'
import type { DaemonConfig } from './config.js'
import { loadOrCreateKey } from './keyfile.js'
import { formatHuman, formatJson } from './output.js'
import type { DaemonEvent } from './output.js'

/** A graceful stop must finish within this long (ms); then the daemon exits anyway. */
const STOP_DEADLINE_MS = 2_500

export interface DaemonIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/** Runs the daemon until SIGINT or SIGTERM; resolves with the exit code. */
export async function runDaemon (config: DaemonConfig, io: DaemonIO = process): Promise<number> {
  const print = (event: DaemonEvent): void => {
    const at = new Date()
    io.stdout.write((config.json ? formatJson(event, at) : formatHuman(event, at)) + '\n')
  }

  // Listen for SIGINT/SIGTERM from the first moment, so a signal during startup still ends in a clean stop.
  const stopRequested = waitForSignal()

  const privateKey = config.keyFile != null
    ? await loadOrCreateKey(config.keyFile, { allowInsecure: config.allowInsecureKey })
    : await generateKeyPair('Ed25519')

  const node = await createNode({
    privateKey,
    listen: config.listen,
    monitor: {
      topic: config.topic,
      interval: config.intervalMs,
      ttl: config.ttlMs,
      windowSize: config.windowSize,
      retention: config.retentionMs,
      tags: config.tags,
      dataDir: config.dataDir
    }
  })

  // The daemon outlives anything a peer sends: an unhandled rejection in the network layer is logged, not fatal.
  const onRejection = (reason: unknown): void => {
    print({ type: 'warning', message: `unhandled rejection: ${describe(reason)}` })
  }
  process.on('unhandledRejection', onRejection)

  const monitor = node.services.monitor
  monitor.addEventListener('event', (evt) => { print(evt.detail) })

  const keeper = new BootstrapKeeper({
    targets: config.bootstrap.map(toTarget),
    dial: async (target) => { await node.dial(multiaddr(target.addr)) },
    isConnected: (peer) => node.getConnections().some(c => c.remotePeer.toString() === peer),
    onDialError: (target, err, retryIn) => {
      print({ type: 'warning', message: `bootstrap ${target.addr} unreachable (${describe(err)}); retrying in ${retryIn} ms` })
    }
  })
  node.addEventListener('peer:connect', (evt) => { print({ type: 'connected', peer: evt.detail.toString() }) })
  node.addEventListener('peer:disconnect', (evt) => {
    const peer = evt.detail.toString()
    print({ type: 'disconnected', peer })
    keeper.peerDisconnected(peer)
  })

  print({ type: 'listening', peer: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })
  keeper.start()

  const signal = await stopRequested
  print({ type: 'stopping' })
  keeper.stop()
  const stopped = await stopWithin(node, STOP_DEADLINE_MS)
  process.off('unhandledRejection', onRejection)
  if (!stopped) io.stderr.write(`peermon: ${signal}: node did not stop within ${STOP_DEADLINE_MS} ms; exiting anyway\n`)
  return 0
}

function toTarget (addr: string): BootstrapTarget {
  const peer = multiaddr(addr).getPeerId()
  if (peer == null) throw new Error(`bootstrap address without /p2p/<peer id>: ${addr}`)
  return { addr, peer }
}

/** Resolves with the name of the first SIGINT or SIGTERM; a second one exits at once. */
async function waitForSignal (): Promise<NodeJS.Signals> {
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

function describe (err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]
  return String(err)
}
