/**
 * The values a scenario file writes (timeline-file.ts, expectation-file.ts):
 * node sets, times in terms of the ttl, durations, whole numbers, objects with
 * known keys. Each check throws one message naming what is wrong.
 */
import { ConfigError, quote } from '../../config-error.js'
import { formatDuration, parseDuration } from '../../duration.js'
import type { TimelineSwarm, TimeSpec } from './timeline-plan.js'

/**
 * Node indices from `3`, `"3"`, `"0-4"`, `"0-4,7"`, `[0, "5-9"]` or `"all"`,
 * each within 0..nodes-1; throws a message naming what is wrong.
 */
export function parseNodes (value: unknown, nodes: number): number[] {
  const out = new Set<number>()
  const add = (part: unknown): void => {
    if (typeof part === 'number') {
      if (!Number.isInteger(part)) throw new RangeError(`expected node indices, got ${part}`)
      if (part < 0 || part >= nodes) throw new RangeError(`node ${part} is out of range (the swarm has ${nodes} nodes: 0-${nodes - 1})`)
      out.add(part)
      return
    }
    if (typeof part !== 'string') throw new RangeError(`expected node indices like 3, "0-4" or [0, "5-9"], got ${JSON.stringify(part)}`)
    if (part.trim() === 'all') {
      for (let i = 0; i < nodes; i++) out.add(i)
      return
    }
    for (const piece of part.split(',')) {
      const match = /^\s*(\d{1,4})\s*(?:-\s*(\d{1,4})\s*)?$/.exec(piece)
      if (match === null) throw new RangeError(`expected node indices like 3, "0-4" or "0-4,7", got ${quote(part)}`)
      const from = Number(match[1])
      const to = match[2] === undefined ? from : Number(match[2])
      if (to < from) throw new RangeError(`range ${quote(piece.trim())} goes backwards`)
      for (let i = from; i <= to; i++) add(i)
    }
  }
  if (Array.isArray(value)) {
    for (const part of value) add(part)
  } else {
    add(value)
  }
  if (out.size === 0) throw new RangeError('expected at least one node')
  return [...out].sort((a, b) => a - b)
}

/**
 * A duration written as a sum of parts: `10s`, `ttl`, `interval`, `2*ttl`,
 * `ttl+1s`, `2*interval+500ms`.
 */
export function parseTimeSpec (text: unknown, swarm: Pick<TimelineSwarm, 'ttlMs' | 'intervalMs'>): TimeSpec {
  if (typeof text !== 'string') throw new RangeError(`expected a duration like "10s" or "ttl+1s", got ${JSON.stringify(text)}`)
  let ms = 0
  for (const term of text.split('+')) {
    const match = /^\s*(?:(\d+(?:\.\d+)?)\s*\*\s*)?(ttl|interval)\s*$/.exec(term)
    if (match !== null) {
      ms += Number(match[1] ?? 1) * (match[2] === 'ttl' ? swarm.ttlMs : swarm.intervalMs)
      continue
    }
    try {
      ms += parseDuration(term.trim())
    } catch {
      throw new RangeError(`expected a duration like "10s", "ttl+1s" or "2*interval", got ${quote(text)}`)
    }
  }
  return { text, ms: Math.round(ms) }
}

export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function object (value: unknown, fail: (message: string) => ConfigError, what: string): Record<string, unknown> {
  if (!isObject(value)) throw fail(`expected ${what} as an object, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`)
  return value
}

export function onlyKeys (value: Record<string, unknown>, keys: readonly string[], fail: (message: string) => ConfigError): void {
  const unknown = Object.keys(value).find((key) => !keys.includes(key))
  if (unknown !== undefined) throw fail(`unknown field ${quote(unknown)}; expected ${keys.join(', ')}`)
}

export function string (value: unknown, fail: (message: string) => ConfigError): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw fail(`expected a text of 1-200 characters, got ${JSON.stringify(value)}`)
  return value
}

export function wholeNumber (value: unknown, min: number, max: number, fail: (message: string) => ConfigError): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw fail(`expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return value
}

export function duration (value: unknown, fail: (message: string) => ConfigError, min: number, max: number): number {
  if (typeof value !== 'string') throw fail(`expected a duration like "10s", got ${JSON.stringify(value)}`)
  let ms: number
  try {
    ms = parseDuration(value)
  } catch {
    throw fail(`expected a duration like 250ms, 2s or 1m, got ${quote(value)}`)
  }
  if (ms < min || ms > max) throw fail(`expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${quote(value)}`)
  return ms
}
