import { performance } from 'node:perf_hooks'
import type { Clock } from './types.js'

/** The process's monotonic clock and real timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}
