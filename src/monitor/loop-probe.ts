/**
 * The event-loop probe of local health: a timer every `periodMs` that
 * measures how late it runs and how busy the loop was since its last run.
 * Those figures are the same for every monitor of a process, so the monitors
 * of a process share one probe (`processLoopProbe`): one timer for all of
 * them, and each gets the same figures. The timer runs only while someone
 * listens, and is unref'd, so it never holds a process open.
 */
import { performance } from 'node:perf_hooks'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { LOOP_PROBE_MS } from './defaults.js'

/** Told after each run: ms the timer was late, and the loop's utilization (0..1) since the previous run. */
export type LoopSampleListener = (lateMs: number, utilization: number) => void

export interface LoopProbeClock {
  now: () => number
  utilization: (since?: EventLoopUtilization) => EventLoopUtilization
}

const PERF_CLOCK: LoopProbeClock = {
  now: () => performance.now(),
  utilization: (since) => since === undefined ? performance.eventLoopUtilization() : performance.eventLoopUtilization(since)
}

export class LoopProbe {
  private readonly listeners = new Set<LoopSampleListener>()
  private timer?: NodeJS.Timeout

  constructor (readonly periodMs: number = LOOP_PROBE_MS, private readonly clock: LoopProbeClock = PERF_CLOCK) {}

  /** Whether its timer is running (someone listens). */
  get running (): boolean { return this.timer !== undefined }

  /** Adds a listener (the timer starts with the first); returns the function that removes it (the timer stops with the last). */
  listen (listener: LoopSampleListener): () => void {
    // A listener added twice gets its own entry, so each removal is independent.
    const own: LoopSampleListener = (late, utilization) => { listener(late, utilization) }
    this.listeners.add(own)
    if (this.timer === undefined) this.schedule(this.clock.now(), this.clock.utilization())
    return () => {
      this.listeners.delete(own)
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearTimeout(this.timer)
        this.timer = undefined
      }
    }
  }

  private schedule (due: number, elu: EventLoopUtilization): void {
    this.timer = setTimeout(() => {
      const now = this.clock.now()
      const since = this.clock.utilization(elu)
      const late = Math.max(0, now - due - this.periodMs)
      for (const listener of [...this.listeners]) {
        try {
          listener(late, since.utilization)
        } catch {}
      }
      if (this.listeners.size > 0) this.schedule(now, this.clock.utilization())
      else this.timer = undefined
    }, this.periodMs)
    this.timer.unref()
  }
}

/** The probe the monitors of this process share. */
export const processLoopProbe = new LoopProbe(LOOP_PROBE_MS)
