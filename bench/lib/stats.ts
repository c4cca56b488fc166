/** Summaries of samples: percentiles by the nearest-rank method. */

/** The p-th percentile (0..100) of `values`, nearest rank; NaN when empty. Sorts a copy. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return rankOf(sorted, p)
}

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
  const sorted = Float64Array.from(values).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return { count: sorted.length, p50: rankOf(sorted, 50), p99: rankOf(sorted, 99), max: sorted[sorted.length - 1], mean: sum / sorted.length }
}

function rankOf (sorted: Float64Array, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function median (values: readonly number[]): number {
  return percentile(values, 50)
}
