/**
 * A TCP relay that delays what each node sends: one listener per destination
 * node; a connection accepted on node j's listener is dialled on to node j,
 * and the bytes are copied both ways, each direction through a DelayQueue
 * (delay-queue.ts) with the delay of the node that sent them: bytes from the
 * dialling node (known by its source address) get its delay, bytes from j get
 * j's. Who is sent to the relay, and how, is latency.ts's business.
 *
 * Every socket is accepted and dialled with Nagle off (the nodes' own segments
 * leave in time) and half-close kept (an end in one direction waits for its
 * delayed bytes, the other direction goes on). An error or reset on either
 * side destroys both. close() stops the listeners and destroys every
 * relayed connection.
 */
import net from 'node:net'
import { checkLinkDelay, DEFAULT_HIGH_WATER_BYTES, DelayQueue, NO_DELAY, type Clock, type LinkDelay } from './delay-queue.js'

export interface RelayTarget {
  host: string
  port: number
}

export interface LatencyRelayOptions {
  /** The address the relay listens and dials from. */
  listenAddress: string
  /** Each node's address, by index: how the relay knows who dialled. */
  addresses: readonly string[]
  /** Where node `index` listens, once it does; undefined: nobody to relay to (the connection is closed). */
  target: (index: number) => Promise<RelayTarget | undefined>
  highWaterBytes?: number
  clock?: Clock
  random?: () => number
}

export interface RelayStats {
  /** Connections accepted so far. */
  connections: number
  /** Connections relayed now. */
  open: number
  /** Bytes handed on, both ways. */
  bytes: number
  /** Connections closed because the destination could not be reached. */
  failed: number
}

export class LatencyRelay {
  readonly stats: RelayStats = { connections: 0, open: 0, bytes: 0, failed: 0 }
  private readonly servers = new Map<number, net.Server>()
  private readonly delays = new Map<number, LinkDelay>()
  private readonly indexOf = new Map<string, number>()
  private readonly closers = new Set<() => void>()
  private closed = false

  private constructor (private readonly options: LatencyRelayOptions) {
    options.addresses.forEach((address, index) => { this.indexOf.set(address, index) })
  }

  /** Listens for connections to each of `destinations` (node indices), on a port of its own each. */
  static async listen (options: LatencyRelayOptions, destinations: readonly number[]): Promise<LatencyRelay> {
    const relay = new LatencyRelay(options)
    try {
      for (const index of destinations) {
        const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => { relay.accept(socket, index) })
        relay.servers.set(index, server)
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({ host: options.listenAddress, port: 0 }, () => { server.off('error', reject); resolve() })
        })
        server.on('error', () => {})
      }
    } catch (err) {
      await relay.close()
      throw err
    }
    return relay
  }

  /** The port that relays to node `index`. */
  port (index: number): number {
    const address = this.servers.get(index)?.address()
    if (address === null || address === undefined || typeof address === 'string') throw new RangeError(`the relay does not relay to node ${index}`)
    return address.port
  }

  /** The delay of what node `index` sends from now on (NO_DELAY to heal). */
  setDelay (index: number, delay: LinkDelay): void {
    checkLinkDelay(delay)
    if (delay.delayMs === 0) this.delays.delete(index)
    else this.delays.set(index, { ...delay })
  }

  delayOf (index: number): LinkDelay {
    return this.delays.get(index) ?? NO_DELAY
  }

  /** Stops listening and destroys every relayed connection. Safe to call more than once. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const close of [...this.closers]) close()
    await Promise.all([...this.servers.values()].map(async (server) => {
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }))
  }

  private accept (client: net.Socket, destination: number): void {
    if (this.closed) {
      client.destroy()
      return
    }
    this.stats.connections++
    this.stats.open++
    const from = this.indexOf.get((client.remoteAddress ?? '').replace(/^::ffff:/, ''))
    const queues: DelayQueue[] = []
    let upstream: net.Socket | undefined
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      this.stats.open--
      this.closers.delete(finish)
      for (const queue of queues) queue.close()
      client.destroy()
      upstream?.destroy()
    }
    this.closers.add(finish)
    client.setNoDelay(true)
    client.on('error', finish)
    client.on('close', (hadError) => { if (hadError || upstream === undefined) finish() })

    void this.options.target(destination).then((target) => {
      if (done) return
      if (target === undefined) {
        this.stats.failed++
        finish()
        return
      }
      const server = net.connect({ host: target.host, port: target.port, localAddress: this.options.listenAddress, allowHalfOpen: true, noDelay: true })
      upstream = server
      server.on('error', () => {
        if (server.connecting) this.stats.failed++
        finish()
      })
      server.on('close', (hadError) => { if (hadError) finish() })
      server.once('connect', () => {
        if (done) return
        queues.push(this.direction(client, server, from), this.direction(server, client, destination))
        // Both ways ended and flushed: the connection is over.
        let ends = 0
        const ended = (): void => { if (++ends === 2) finish() }
        client.once('close', ended)
        server.once('close', ended)
      })
    }, finish)
  }

  /** Copies `source` to `sink` through a DelayQueue with node `sender`'s delay; returns the queue. */
  private direction (source: net.Socket, sink: net.Socket, sender: number | undefined): DelayQueue {
    let sinkBlocked = false
    const resumeIfRoom = (): void => { if (!queue.isFull && !sinkBlocked && !source.destroyed) source.resume() }
    const queue: DelayQueue = new DelayQueue({
      delay: () => sender === undefined ? NO_DELAY : this.delayOf(sender),
      deliver: (chunk) => {
        this.stats.bytes += chunk.byteLength
        if (sink.write(chunk) || sinkBlocked) return
        sinkBlocked = true
        source.pause()
        sink.once('drain', () => { sinkBlocked = false; resumeIfRoom() })
      },
      onFull: () => { source.pause() },
      onRoom: resumeIfRoom,
      highWaterBytes: this.options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES,
      ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
      ...(this.options.random === undefined ? {} : { random: this.options.random })
    })
    source.on('data', (chunk: Buffer) => { queue.push(chunk) })
    source.once('end', () => { queue.whenEmpty(() => { sink.end() }) })
    source.resume()
    return queue
  }
}
