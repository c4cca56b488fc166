/** Plain-text tables for the terminal and Markdown tables for docs/benchmarks.md. */

export type Cell = string | number
export interface Table {
  title: string
  columns: string[]
  rows: Cell[][]
  /** Lines printed under the table. */
  notes?: string[]
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function renderText (table: Table): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map(String))]
  const widths = table.columns.map((_, c) => Math.max(...cells.map((row) => String(row[c] ?? '').length)))
  const line = (row: Cell[]): string => row.map((cell, c) => {
    const text = String(cell ?? '')
    return typeof cell === 'number' || /^[-+]?[\d.,]+( ?[%a-zA-Z/]+)?$/.test(text) ? text.padStart(widths[c]) : text.padEnd(widths[c])
  }).join('  ').trimEnd()
  const out = [`${table.title}`, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)]
  for (const note of table.notes ?? []) out.push(note)
  return out.join('\n') + '\n'
}

export function renderMarkdown (table: Table): string {
  const out = [`| ${table.columns.join(' | ')} |`, `|${table.columns.map(() => '---').join('|')}|`]
  for (const row of table.rows) out.push(`| ${row.map(String).join(' | ')} |`)
  for (const note of table.notes ?? []) out.push('', note)
  return out.join('\n') + '\n'
}

/** `digits` decimals, or '–' for NaN/undefined. */
export function fmt (value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits)
}

export function pct (fraction: number, digits = 2): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)} %` : '–'
}

export function mb (bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1024 / 1024).toFixed(1) : '–'
}
