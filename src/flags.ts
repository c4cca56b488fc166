/**
 * Command-line flags, read one way by every command (daemon, swarm, keygen, the
 * client commands) and by the benchmarks: node:util's parseArgs splits argv, and
 * each mistake becomes a {@link ConfigError} of one line naming the flag and the
 * form it accepts (exit code 2). The value parsers below turn what people type
 * (durations, whole numbers, one of a few names) into values, with messages in the
 * same style; their `source` names where the text came from (`--interval`,
 * `PEERMON_INTERVAL`, a config file key).
 */
import { parseArgs } from 'node:util'
import { ConfigError, quote } from './config-error.js'
import { formatDuration, parseDuration } from './duration.js'

/** One flag: a switch when `value` is absent, else the form of its value as help shows it, e.g. `<duration>`. */
export interface FlagSpec {
  value?: string
  /** May be given more than once; the values are kept in order. */
  repeatable?: boolean
  /** One-letter alias, e.g. `h` for `-h`. */
  short?: string
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>

type FlagValue<S extends FlagSpec> = S extends { value: string } ? (S extends { repeatable: true } ? string[] : string) : true

/** What the flags given said: a switch is `true`, a valued flag its text (repeatable: every text); absent when not given. */
export type FlagValues<T extends FlagSpecs> = { -readonly [K in keyof T]?: FlagValue<T[K]> }

export interface ParseFlagsOptions {
  /** How the command's help is asked for, named in messages, e.g. `peermon swarm --help`. */
  help: string
  /** How many positional arguments the command takes (default none); one more is an error. */
  positionals?: number
}

/**
 * Reads `argv` against `specs`: `--name value`, `--name=value`, switches, short
 * aliases and `--` (after which everything is positional). Throws a ConfigError
 * for an unknown flag, a missing value (a value that looks like a flag counts as
 * missing; `--name=-x` passes it), a value given to a switch, a non-repeatable
 * flag given twice, and too many positional arguments.
 */
export function parseFlags<T extends FlagSpecs> (argv: readonly string[], specs: T, options: ParseFlagsOptions): { values: FlagValues<T>, positionals: string[] } {
  const config = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, {
    type: spec.value === undefined ? 'boolean' as const : 'string' as const,
    multiple: spec.repeatable === true,
    ...(spec.short !== undefined ? { short: spec.short } : {})
  }]))
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true })
  const values = new Map<string, string | string[] | true>()
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (positionals.length >= (options.positionals ?? 0)) throw new ConfigError(`unexpected argument ${quote(token.value)} (see ${options.help})`)
      positionals.push(token.value)
      continue
    }
    if (token.kind !== 'option') continue
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined
    if (spec === undefined) throw new ConfigError(`unknown option ${token.rawName} (see ${options.help})`)
    const flag = `--${token.name}`
    if (spec.value === undefined) {
      if (token.value !== undefined) throw new ConfigError(`${flag}: takes no value, got ${quote(token.value)}`)
      values.set(token.name, true)
      continue
    }
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('-') && token.value !== '-')) {
      throw new ConfigError(`${flag}: expected a value ${spec.value}`)
    }
    const previous = values.get(token.name)
    if (spec.repeatable === true) {
      values.set(token.name, [...(Array.isArray(previous) ? previous : []), token.value])
    } else {
      if (previous !== undefined) throw new ConfigError(`${flag}: given more than once`)
      values.set(token.name, token.value)
    }
  }
  return { values: Object.fromEntries(values) as FlagValues<T>, positionals }
}

/** True when argv asks for help (`-h`/`--help` before any `--`): help wins over every other flag. */
export function wantsHelp (argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

/** A duration (`250ms`, `2s`, `1m`, `1m30s`) in milliseconds, within `min`..`max` when given. */
export function durationValue (source: string, text: string, bounds: { min?: number, max?: number } = {}): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch {
    throw new ConfigError(`${source}: expected a duration like 250ms, 2s or 1m, got ${quote(text)}`)
  }
  const { min, max } = bounds
  if ((min !== undefined && ms < min) || (max !== undefined && ms > max)) {
    const range = max === undefined
      ? `of at least ${formatDuration(min ?? 0)}`
      : `from ${formatDuration(min ?? 0)} to ${formatDuration(max)}`
    throw new ConfigError(`${source}: expected a duration ${range}, got ${quote(text)}`)
  }
  return ms
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 2 ** 20, mb: 1e6, mib: 2 ** 20, g: 2 ** 30, gb: 1e9, gib: 2 ** 30 }

/** A size in bytes (`512MiB`, `1GiB`, `300MB`, `65536`; k/M/G are binary), within `min`..`max`. */
export function sizeValue (source: string, text: string, bounds: { min: number, max: number }): number {
  const match = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(text.trim())
  const unit = match === null ? undefined : SIZE_UNITS[match[2].toLowerCase()]
  const bytes = match === null || unit === undefined ? NaN : Math.round(Number(match[1]) * unit)
  if (!(bytes >= bounds.min && bytes <= bounds.max)) {
    throw new ConfigError(`${source}: expected a size from ${bytesText(bounds.min)} to ${bytesText(bounds.max)} like 256MiB or 1GiB, got ${quote(text)}`)
  }
  return bytes
}

function bytesText (bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`
  }
  return `${bytes}B`
}

/** A whole number from `min` to `max`, written in decimal digits only. */
export function wholeNumberValue (source: string, text: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN
  if (!(n >= min && n <= max)) throw new ConfigError(`${source}: expected a whole number from ${min} to ${max}, got ${quote(text)}`)
  return n
}

/** One of `choices`, exactly as written. */
export function choiceValue<C extends string> (source: string, text: string, choices: readonly C[]): C {
  if ((choices as readonly string[]).includes(text)) return text as C
  throw new ConfigError(`${source}: expected one of ${choices.join(', ')}, got ${quote(text)}`)
}
