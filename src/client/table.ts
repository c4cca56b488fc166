/**
 * Aligned text tables for people: each column as wide as its widest cell,
 * two spaces between columns, no trailing spaces. Pure functions.
 */

import { printable } from '../events/format.js'

/** A column: its heading, and whether its cells are right-aligned (numbers). */
export interface Column {
  heading: string
  align?: 'left' | 'right'
}

/** Renders a heading row and the rows under it, one line each, every line ending in `\n`. */
export function renderTable (columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((column, i) => Math.max(width(column.heading), ...rows.map(row => width(row[i] ?? ''))))
  const line = (cells: readonly string[]): string => columns.map((column, i) => {
    const cell = cells[i] ?? ''
    const pad = ' '.repeat(widths[i] - width(cell))
    return column.align === 'right' ? pad + cell : cell + pad
  }).join('  ').trimEnd() + '\n'
  return line(columns.map(column => column.heading)) + rows.map(line).join('')
}

/** Display width: code points, so `…` counts as one. */
function width (text: string): number {
  return [...text].length
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** `512 B`, `1.5 KiB`, `7.8 GiB`: one decimal from KiB up. */
export function formatBytes (bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes)
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`
}

/** A number with at most 3 decimals, or a string with control characters escaped, cut at 40 characters. */
export function formatValue (value: number | string): string {
  if (typeof value === 'number') return String(Number.isInteger(value) ? value : Math.round(value * 1000) / 1000)
  const text = printable(value)
  const chars = [...text]
  return chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : text
}

