/**
 * Shared fixture for the MonitorCore tests: a core on a fake clock that
 * records its events, and senders that build wire reports. No tests here.
 */
import { MonitorCore } from '../../src/monitor/monitor.js'
import type { HandleResult, MonitorCoreInit } from '../../src/monitor/core-api.js'
import { REPORT_VERSION, encodeReport } from '../../src/monitor/report.js'
import type { MetricValue, MonitorEvent } from '../../src/monitor/types.js'
import { FakeClock } from '../helpers/fake-clock.js'

/** [name, value, ttlMs] */
export type MetricSpec = [string, MetricValue, number]

/** A simulated remote peer: numbers its reports like a real sender. */
export class Sender {
  seq = 0
  constructor (readonly peer: string, public epoch = 1_700_000_000_000, public wallClockOffsetMs = 0) {}

  /** A METRICS report carrying `metrics`. */
  report (metrics: MetricSpec[], intervalMs = 1_000): Uint8Array {
    return encodeReport({
      version: REPORT_VERSION,
      kind: 'metrics',
      peer: this.peer,
      epoch: this.epoch,
      seq: ++this.seq,
      sentAt: Date.now() + this.wallClockOffsetMs,
      intervalMs,
      metrics: metrics.map(([name, value, ttlMs]) => ({ name, value, ttlMs }))
    })
  }

  leave (): Uint8Array {
    return encodeReport({ version: REPORT_VERSION, kind: 'leave', peer: this.peer, epoch: this.epoch, seq: ++this.seq, sentAt: Date.now(), intervalMs: 0, metrics: [] })
  }

  /** Simulates a process restart: a later epoch, seq starting over. */
  restart (): void {
    this.epoch += 60_000
    this.seq = 0
  }
}

export class Harness {
  readonly clock = new FakeClock()
  readonly events: MonitorEvent[] = []
  readonly core: MonitorCore

  constructor (init: Partial<MonitorCoreInit> = {}) {
    this.core = new MonitorCore({ self: 'self-peer', clock: this.clock, onEvent: (e) => { this.events.push(e) }, ...init })
  }

  /** Delivers a report from `sender`, as if pubsub said it came from sender.peer. */
  send (sender: Sender, metrics: MetricSpec[]): HandleResult {
    return this.core.handleMessage(sender.peer, sender.report(metrics))
  }

  /** Returns the events recorded since the last take() and forgets them. */
  take (): MonitorEvent[] {
    return this.events.splice(0)
  }

  /** Events since the last take(), as short strings like `alert b/ping`. */
  takeNames (): string[] {
    return this.take().map((e) => 'metric' in e ? `${e.type} ${e.peer}/${e.metric}` : 'peer' in e ? `${e.type} ${e.peer}` : e.type)
  }
}
