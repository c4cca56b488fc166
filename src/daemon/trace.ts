/**
 * Benchmark instrumentation of the daemon, off unless its environment asks
 * for it (these variables are not daemon options: only `bench/` sets them).
 *
 * `PEERMON_TRACE=<file>` appends one compact line per report this node
 * published or accepted to `<file>` (`%p` in it becomes the process id, so a
 * swarm's daemons can share one setting), flushed once a second and at stop:
 *
 * ```
 * T <epoch ms> <own peer id>      header: times below are ms after <epoch ms>
 * s <k> <peer id>                 sender <k> is this peer (first report of it)
 * p <seq> <sentAt> <bytes>        published report <seq>, <bytes> long encoded
 * r <k> <seq> <sentAt> <recvAt>   accepted report <seq> of sender <k>
 * g <t> <in: rpcs msgs ihave-ids iwant-ids graft prune idontwant-ids> <out: the same>
 *                                 gossipsub traffic so far (cumulative), at each flush
 * ```
 *
 * Times are wall-clock ms (Date.now()), so on one host sentAt → recvAt is the
 * propagation latency. `PEERMON_GOSSIPSUB=<json>` sets gossipsub options over
 * peermon's defaults; `PEERMON_GOSSIPSUB=stock` puts back gossipsub's own
 * values for every option peermon tunes (the benchmarks' "default" column).
 */
import { appendFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import { ConfigError, quote } from '../config-error.js'
import { checkDirectory } from './config-values.js'
import type { Report } from '../monitor/types.js'
import type { ReportTrace } from '../libp2p/index.js'

const FLUSH_MS = 1000

/** A trace written to a file; `stop()` flushes what is left. */
export interface TraceFile extends ReportTrace {
  /** Our own peer id, known once the node exists; gossipsub's traffic is counted when given. */
  start: (self: string, pubsub?: unknown) => void
  stop: () => void
}

export function openTrace (pathPattern: string): TraceFile {
  const path = pathPattern.replaceAll('%p', String(process.pid))
  const base = Date.now()
  const senders = new Map<string, number>()
  let pending = ''
  let timer: NodeJS.Timeout | undefined
  let traffic: RpcCounts | undefined
  const flush = (): void => {
    if (traffic !== undefined) pending += `g ${Date.now() - base} ${traffic.in.join(' ')} ${traffic.out.join(' ')}\n`
    if (pending === '') return
    const text = pending
    pending = ''
    try { appendFileSync(path, text) } catch {}
  }
  return {
    start (self, pubsub) {
      if (pubsub !== undefined) traffic = countRpcs(pubsub)
      pending = `T ${base} ${self}\n` + pending
      flush()
      timer = setInterval(flush, FLUSH_MS)
      timer.unref()
    },
    sent (report: Report, bytes: number) {
      pending += `p ${report.seq} ${report.sentAt - base} ${bytes}\n`
    },
    received (report: Report) {
      const at = Date.now()
      let k = senders.get(report.peer)
      if (k === undefined) {
        k = senders.size
        senders.set(report.peer, k)
        pending += `s ${k} ${report.peer}\n`
      }
      pending += `r ${k} ${report.seq} ${report.sentAt - base} ${at - base}\n`
    },
    stop () {
      clearInterval(timer)
      flush()
    }
  }
}

/** RPCs, messages, IHAVE and IWANT message ids, GRAFTs, PRUNEs and IDONTWANT ids, received and sent. */
interface RpcCounts { in: number[], out: number[] }

interface Rpc {
  messages?: unknown[]
  control?: {
    ihave?: Array<{ messageIDs?: unknown[] }>
    iwant?: Array<{ messageIDs?: unknown[] }>
    graft?: unknown[]
    prune?: unknown[]
    idontwant?: Array<{ messageIDs?: unknown[] }>
  }
}

function add (counts: number[], rpc: Rpc): void {
  const ids = (list?: Array<{ messageIDs?: unknown[] }>): number => list?.reduce((n, e) => n + (e.messageIDs?.length ?? 0), 0) ?? 0
  counts[0]++
  counts[1] += rpc.messages?.length ?? 0
  counts[2] += ids(rpc.control?.ihave)
  counts[3] += ids(rpc.control?.iwant)
  counts[4] += rpc.control?.graft?.length ?? 0
  counts[5] += rpc.control?.prune?.length ?? 0
  counts[6] += ids(rpc.control?.idontwant)
}

/**
 * Counts gossipsub's RPCs by wrapping two methods of the instance (a
 * benchmark-only intrusion: `handleReceivedRpc` and `sendRpc` are internal).
 */
function countRpcs (pubsub: unknown): RpcCounts | undefined {
  const gs = pubsub as { handleReceivedRpc?: (from: unknown, rpc: Rpc) => Promise<void>, sendRpc?: (id: string, rpc: Rpc) => boolean }
  const received = gs.handleReceivedRpc
  const send = gs.sendRpc
  if (typeof received !== 'function' || typeof send !== 'function') return undefined
  const counts: RpcCounts = { in: [0, 0, 0, 0, 0, 0, 0], out: [0, 0, 0, 0, 0, 0, 0] }
  gs.handleReceivedRpc = async (from, rpc) => {
    add(counts.in, rpc)
    await received.call(gs, from, rpc)
  }
  gs.sendRpc = (id, rpc) => {
    const sent = send.call(gs, id, rpc)
    if (sent) add(counts.out, rpc)
    return sent
  }
  return counts
}

/** Gossipsub's own values of the options `GOSSIPSUB_TUNING` (src/libp2p/node.ts) sets. */
export const GOSSIPSUB_STOCK: Partial<GossipsubOpts> = {
  D: 6,
  Dlo: 4,
  Dhi: 12,
  Dscore: 4,
  Dout: 2,
  Dlazy: 6,
  gossipFactor: 0.25,
  heartbeatInterval: 1000,
  mcacheLength: 5,
  mcacheGossip: 3,
  floodPublish: true,
  idontwantMinDataSize: 512,
  seenTTL: 120_000,
  fastMsgIdFn: undefined,
  msgIdToStrFn: undefined,
  scoreParams: { IPColocationFactorWeight: -5 }
}

/** createNode's gossipsub options beyond peermon's own (the benchmarks' knob). */
export interface GossipsubOverrides {
  gossipsub?: Partial<GossipsubOpts>
  /** createNode's option of that name; -1 turns batching off. */
  batchForwardingMs?: number
}

/** The daemon's benchmark instrumentation, as its environment sets it. */
export interface Instrumentation {
  /** `PEERMON_TRACE`: the trace file's path (`%p` = the process id). */
  tracePath?: string
  /** `PEERMON_GOSSIPSUB`. */
  gossip?: GossipsubOverrides
}

/**
 * Reads `PEERMON_TRACE` and `PEERMON_GOSSIPSUB`; undefined when neither is set.
 * A bad value is an operator error ({@link ConfigError}: one line, exit 2),
 * like any daemon option's.
 */
export async function instrumentationFromEnv (env: NodeJS.ProcessEnv): Promise<Instrumentation | undefined> {
  const trace = env.PEERMON_TRACE?.trim()
  const gossip = gossipsubFromEnv(env.PEERMON_GOSSIPSUB)
  if ((trace === undefined || trace === '') && gossip === undefined) return undefined
  if (trace !== undefined && trace !== '') await checkDirectory({ value: trace, source: 'PEERMON_TRACE' }, dirname(trace))
  return { ...(trace !== undefined && trace !== '' ? { tracePath: trace } : {}), ...(gossip !== undefined ? { gossip } : {}) }
}

/**
 * createNode options from `PEERMON_GOSSIPSUB`: gossipsub options as a JSON
 * object, except the key `batchForwardingMs` (createNode's option of that
 * name); `stock` puts back gossipsub's own values and turns batching off.
 * Undefined when unset; a {@link ConfigError} when not one of those.
 */
export function gossipsubFromEnv (text: string | undefined): GossipsubOverrides | undefined {
  if (text === undefined || text.trim() === '') return undefined
  if (text.trim() === 'stock') return { gossipsub: GOSSIPSUB_STOCK, batchForwardingMs: -1 }
  const expected = `PEERMON_GOSSIPSUB: expected "stock" or a JSON object of gossipsub options like {"D":4,"batchForwardingMs":0}, got ${quote(text)}`
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ConfigError(expected)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(expected)
  const { batchForwardingMs, ...gossipsub } = parsed as Partial<GossipsubOpts> & { batchForwardingMs?: unknown }
  if (batchForwardingMs !== undefined && (typeof batchForwardingMs !== 'number' || !Number.isFinite(batchForwardingMs))) {
    throw new ConfigError(`PEERMON_GOSSIPSUB: batchForwardingMs must be a number of ms (-1 turns batching off), got ${quote(JSON.stringify(batchForwardingMs))}`)
  }
  return { gossipsub, batchForwardingMs }
}
