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
 * ```
 *
 * Times are wall-clock ms (Date.now()), so on one host sentAt → recvAt is the
 * propagation latency. `PEERMON_GOSSIPSUB=<json>` sets gossipsub options over
 * peermon's defaults; `PEERMON_GOSSIPSUB=stock` puts back gossipsub's own
 * values for every option peermon tunes (the benchmarks' "default" column).
 */
import { appendFileSync } from 'node:fs'
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import type { Report } from '../monitor/types.js'
import type { ReportTrace } from '../service.js'

const FLUSH_MS = 1000

/** A trace written to a file; `stop()` flushes what is left. */
export interface TraceFile extends ReportTrace {
  /** Our own peer id, known once the node exists. */
  start: (self: string) => void
  stop: () => void
}

export function openTrace (pathPattern: string): TraceFile {
  const path = pathPattern.replaceAll('%p', String(process.pid))
  const base = Date.now()
  const senders = new Map<string, number>()
  let pending = ''
  let timer: NodeJS.Timeout | undefined
  const flush = (): void => {
    if (pending === '') return
    const text = pending
    pending = ''
    try { appendFileSync(path, text) } catch {}
  }
  return {
    start (self) {
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

/** Gossipsub's own values of the options `GOSSIPSUB_TUNING` (src/node.ts) sets. */
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
  fastMsgIdFn: undefined
}

/** Gossipsub options from `PEERMON_GOSSIPSUB`, or undefined when unset. Throws on bad JSON. */
export function gossipsubFromEnv (text: string | undefined): Partial<GossipsubOpts> | undefined {
  if (text === undefined || text.trim() === '') return undefined
  if (text.trim() === 'stock') return GOSSIPSUB_STOCK
  const parsed: unknown = JSON.parse(text)
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('PEERMON_GOSSIPSUB: expected a JSON object or "stock"')
  return parsed as Partial<GossipsubOpts>
}
