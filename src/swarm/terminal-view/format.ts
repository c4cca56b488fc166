/** How the swarm command shows peer ids and durations to a person. */

/** The last 8 characters of a peer id: enough to tell the nodes of a local swarm apart. */
export function shortPeer (peer: string | undefined): string {
  if (peer === undefined) return '-'
  return peer.length <= 8 ? peer : peer.slice(-8)
}

/** `850ms`, `2.41s`, `3m05s`; `-` for null. */
export function formatMs (ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  if (Math.abs(ms) < 1000) return `${Math.round(ms)}ms`
  if (Math.abs(ms) < 60_000) return `${(ms / 1000).toFixed(2)}s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.floor((ms % 60_000) / 1000)
  return `${minutes}m${String(seconds).padStart(2, '0')}s`
}

/** `512 MB` from kilobytes; `-` when unknown. */
export function formatKb (kb: number | undefined): string {
  if (kb === undefined) return '-'
  return kb >= 10 * 1024 ? `${Math.round(kb / 1024)} MB` : `${(kb / 1024).toFixed(1)} MB`
}

/** Left-aligned columns separated by two spaces. */
export function formatColumns (rows: string[][]): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  return rows.map((row) => row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i])).join('  '))
}
