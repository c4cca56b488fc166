/**
 * A small seeded pseudo-random generator (mulberry32). The swarm launcher uses
 * it for every choice it makes (bootstrap graph, victim), so a run can be
 * repeated exactly with `--seed`.
 */
export interface Random {
  /** A float in [0, 1). */
  next: () => number
  /** An integer in [0, maxExclusive). */
  int: (maxExclusive: number) => number
  /** One element of a non-empty array. */
  pick: <T>(items: readonly T[]) => T
  /** Up to `count` distinct elements of `items`, in random order. */
  sample: <T>(items: readonly T[], count: number) => T[]
}

export function seededRandom (seed: number): Random {
  let state = (Math.trunc(seed) >>> 0) ^ 0x9e3779b9

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive)

  return {
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list')
      return items[int(items.length)]
    },
    sample: (items, count) => {
      const pool = [...items]
      const n = Math.max(0, Math.min(count, pool.length))
      // Partial Fisher-Yates: the first n slots end up a uniform sample.
      for (let i = 0; i < n; i++) {
        const j = i + int(pool.length - i)
        const tmp = pool[i]
        pool[i] = pool[j]
        pool[j] = tmp
      }
      return pool.slice(0, n)
    }
  }
}
