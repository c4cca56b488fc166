/**
 * Reading the daemons' report traces (`PEERMON_TRACE`, format in
 * src/daemon/trace.ts): who published which report when, and when each node
 * accepted it. All times are wall-clock epoch ms.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Published {
  seq: number
  sentAt: number
  bytes: number
}

export interface Receipt {
  /** Peer id of the report's sender. */
  sender: string
  seq: number
  sentAt: number
  recvAt: number
}

/** Gossipsub traffic counters (cumulative) at one moment: see src/daemon/trace.ts. */
export interface Traffic {
  at: number
  /** rpcs, msgs, ihave ids, iwant ids, grafts, prunes, idontwant ids */
  in: number[]
  out: number[]
}

export interface NodeTrace {
  /** The node's index in the swarm (from the file's name, trace-<node>.log). */
  node: number
  peer: string
  /** Wall clock when the trace was opened (about the process start). */
  startedAt: number
  published: Published[]
  received: Receipt[]
  traffic: Traffic[]
}

/** Per-second rates of a node's gossipsub counters between the samples nearest to `from` and `to`. */
export function trafficRates (trace: NodeTrace, from: number, to: number): Traffic | undefined {
  const inside = trace.traffic.filter((t) => t.at >= from && t.at <= to)
  if (inside.length < 2) return undefined
  const a = inside[0]
  const b = inside[inside.length - 1]
  const s = (b.at - a.at) / 1000
  return { at: s, in: b.in.map((v, i) => (v - a.in[i]) / s), out: b.out.map((v, i) => (v - a.out[i]) / s) }
}

/** Parses every `trace-<node>.log` in `dir`; files without a header (a node that never listened) are skipped. */
export function readTraces (dir: string): NodeTrace[] {
  const traces: NodeTrace[] = []
  for (const name of readdirSync(dir)) {
    const match = /^trace-(\d+)\.log$/.exec(name)
    if (match === null) continue
    const trace = parseTrace(readFileSync(join(dir, name), 'utf8'), Number(match[1]))
    if (trace !== undefined) traces.push(trace)
  }
  return traces
}

export function parseTrace (text: string, node: number): NodeTrace | undefined {
  let base = NaN
  let peer = ''
  const senders: string[] = []
  const published: Published[] = []
  const received: Receipt[] = []
  const traffic: Traffic[] = []
  for (const line of text.split('\n')) {
    const f = line.split(' ')
    switch (f[0]) {
      case 'T': base = Number(f[1]); peer = f[2]; break
      case 's': senders[Number(f[1])] = f[2]; break
      case 'p': published.push({ seq: Number(f[1]), sentAt: base + Number(f[2]), bytes: Number(f[3]) }); break
      case 'g': traffic.push({ at: base + Number(f[1]), in: f.slice(2, 9).map(Number), out: f.slice(9, 16).map(Number) }); break
      case 'r': received.push({ sender: senders[Number(f[1])], seq: Number(f[2]), sentAt: base + Number(f[3]), recvAt: base + Number(f[4]) }); break
      default: break
    }
  }
  if (peer === '') return undefined
  return { node, peer, startedAt: base, published, received, traffic }
}
