/**
 * What a played timeline's record says, for the judges of its expectations
 * (expectations.ts): the alerts, when each node was down (killed, gone, hung)
 * and back, each node's peer table at a moment, and whether a step explains
 * an alert. Pure.
 */
import type { NodeEvent } from '../nodes/daemon-child.js'
import { formatMs } from '../terminal-view/format.js'
import { PeerTable } from '../nodes/peer-table.js'
import { describeStep, type Timeline } from './timeline-plan.js'

export interface TimelineRecord {
  timeline: Timeline
  /** Epoch ms the timeline's clock started (the swarm formed and settled). */
  startAt: number
  /** Per step, in order: epoch ms it took effect, or undefined if it never ran. */
  stepsAt: Array<number | undefined>
  /** Epoch ms the timeline ended (before the nodes were stopped). */
  endAt: number
  /** Peer id of each node, by index. */
  peers: string[]
  /** Every event of every node, in any order. */
  events: NodeEvent[]
  /** Nodes that exited before the end: index → how (e.g. `signal SIGKILL`). */
  exits: Map<number, string>
}

/** The grace after a fault ends during which its alerts are still explained. */
export function faultGraceMs (timeline: Pick<Timeline, 'swarm'>): number {
  return timeline.swarm.ttlMs + 2 * timeline.swarm.intervalMs + 1000
}

export type Down = 'killed' | 'gone' | 'hung'

export class TimelineHistory {
  readonly record: TimelineRecord
  readonly indexOf: Map<string, number>
  /** Alerts of the timeline: [raiser, subject, at], sorted by time. */
  readonly alerts: Array<{ by: number, on: number, at: number, metric: string }>
  readonly grace: number
  /** Per node: its down periods [from, to) in epoch ms (to Infinity when it never came back). */
  readonly downs: Map<number, Array<{ from: number, to: number, why: Down }>> = new Map()

  constructor (record: TimelineRecord) {
    this.record = record
    this.indexOf = new Map(record.peers.map((peer, i) => [peer, i]))
    this.grace = faultGraceMs(record.timeline)
    this.alerts = record.events
      .filter((e) => e.event.event === 'alert' && e.at >= record.startAt && e.at <= record.endAt)
      .map((e) => ({ by: e.node, on: this.indexOf.get(e.event.peer ?? '') ?? -1, at: e.at, metric: e.event.metric ?? '' }))
      .sort((a, b) => a.at - b.at)
    const { steps } = record.timeline
    steps.forEach((step, i) => {
      const at = record.stepsAt[i]
      if (at === undefined || !('nodes' in step) || step.nodes === undefined) return
      if (step.action === 'kill' || step.action === 'leave' || step.action === 'hang') {
        for (const node of step.nodes) {
          const list = this.downs.get(node) ?? []
          list.push({ from: at, to: Infinity, why: step.action === 'kill' ? 'killed' : step.action === 'leave' ? 'gone' : 'hung' })
          this.downs.set(node, list)
        }
      } else if (step.action === 'resume' || step.action === 'restart') {
        // A restart counts from the start it asked for (the runner records the step once the node listens).
        for (const node of step.nodes) {
          const open = this.downs.get(node)?.find((d) => (step.action === 'resume') === (d.why === 'hung') && d.to === Infinity)
          if (open !== undefined) open.to = at
        }
      }
    })
  }

  /** Why node `i` was down at some moment of [from, to], or undefined. */
  downDuring (i: number, from: number, to: number): Down | undefined {
    return this.downs.get(i)?.find((d) => d.from <= to && d.to > from)?.why
  }

  /** How long node `i` had been back (restarted or resumed) at `at`; undefined when it never went down before. */
  backFor (i: number, at: number): number | undefined {
    const ends = (this.downs.get(i) ?? []).filter((d) => d.to <= at).map((d) => d.to)
    return ends.length === 0 ? undefined : at - Math.max(...ends)
  }

  stepTime (number: number): number | undefined {
    return this.record.stepsAt[number - 1]
  }

  stepText (number: number): string {
    return `step ${number} (${describeStep(this.record.timeline.steps[number - 1])})`
  }

  /** Calls `visit` with each node of each step of `actions` that ran: the step's text, its time, the node. */
  episodes (actions: string[], visit: (step: string, at: number, node: number, action: string) => void): void {
    this.record.timeline.steps.forEach((step, i) => {
      const at = this.record.stepsAt[i]
      if (at === undefined || !actions.includes(step.action) || !('nodes' in step)) return
      for (const node of step.nodes ?? []) visit(`step ${step.number} (${describeStep(step)})`, at, node, step.action)
    })
  }

  /** Node `node`'s peer table from its events up to `at` (from `since` on, when given). */
  tableAt (node: number, at: number, since?: number): PeerTable {
    const table = new PeerTable()
    const mine = this.record.events.filter((ev) => ev.node === node && ev.at <= at && (since === undefined || ev.at >= since)).sort((x, y) => x.at - y.at || x.receivedAt - y.receivedAt)
    for (const ev of mine) table.apply(ev.event)
    return table
  }

  /** Whether a step explains an alert by `by` on `on` at `at` (see the file's comment). */
  explained (by: number, on: number, at: number): boolean {
    if (on < 0) return false
    const { steps } = this.record.timeline
    for (const [i, step] of steps.entries()) {
      const start = this.record.stepsAt[i]
      if (start === undefined || start > at) continue
      const endOf = (ends: (s: typeof step) => boolean): number => {
        for (let j = i + 1; j < steps.length; j++) {
          const t = this.record.stepsAt[j]
          if (t !== undefined && ends(steps[j])) return t + this.grace
        }
        return Infinity
      }
      switch (step.action) {
        case 'kill':
          if (step.nodes.includes(on) && at <= endOf((s) => s.action === 'restart' && s.nodes.includes(on))) return true
          break
        case 'hang': {
          if (!step.nodes.includes(on) && !step.nodes.includes(by)) break
          const node = step.nodes.includes(on) ? on : by
          if (at <= endOf((s) => s.action === 'resume' && s.nodes.includes(node))) return true
          break
        }
        case 'partition': case 'split': {
          const side = (n: number): number => step.groups.findIndex((g) => g.includes(n))
          if (side(by) < 0 || side(on) < 0 || side(by) === side(on)) break
          if (at <= endOf((s) => s.action === 'partition' || s.action === 'split' || (s.action === 'heal' && s.nodes === undefined))) return true
          break
        }
        case 'loss': case 'rate': case 'latency': {
          const node = step.nodes.includes(on) ? on : step.nodes.includes(by) ? by : undefined
          if (node === undefined) break
          if (at <= endOf((s) => s.action === 'heal' && (s.nodes === undefined || s.nodes.includes(node)))) return true
          break
        }
        default:
          break
      }
    }
    return false
  }

  split (nodes: number[], from: number, to: number): { judged: number[], excluded: string[] } {
    const judged: number[] = []
    const excluded: string[] = []
    for (const n of nodes) {
      const down = this.downDuring(n, from, to)
      if (down === undefined) judged.push(n)
      else excluded.push(`node ${n} (${down})`)
    }
    return { judged, excluded }
  }

  alertText (a: { by: number, on: number, at: number, metric: string }): string {
    const on = a.on < 0 ? 'an unknown peer' : String(a.on)
    return `node ${a.by} on ${on} (${a.metric}) at +${formatMs(a.at - this.record.startAt)}`
  }
}
