/** How the swarm command shows peer ids and durations to a person. */
import { formatDuration } from '../../duration.js'
import { peerTail } from '../../events/format.js'

/** The last 8 characters of a peer id (the events' peerTail, without the `…` of their lines: a column of ids); `-` for none. */
export function shortPeer (peer: string | undefined): string {
  return peer === undefined ? '-' : peerTail(peer)
}

/** `850ms`, `2.41s` (two decimals, for columns of figures), `3m5s`; `-` for none. */
export function formatMs (ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '-' : formatDuration(ms, { secondsDigits: 2 })
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
