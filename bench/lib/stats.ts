/** Summaries of samples: percentiles by the nearest-rank method. */

import { percentile } from '../../src/swarm/scenario/assessment.js'

/** The p-th percentile (0..100) of `values`, nearest rank; NaN when empty (the scenarios' own). */
export { percentile }

export interface Summary {
  count: number
  p50: number
  p99: number
  max: number
  mean: number
}

/** Count, p50, p99, max and mean of `values` (NaN fields when empty). */
export function summarize (values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN }
  let sum = 0
  let max = -Infinity
  for (const v of values) { sum += v; max = Math.max(max, v) }
  return { count: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max, mean: sum / values.length }
}

export function median (values: readonly number[]): number {
  return percentile(values, 50)
}
