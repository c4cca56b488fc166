/**
 * Durations as people type and read them: `250ms`, `2s`, `1.5s`, `1m`, `1h`,
 * and compounds such as `1m30s` (what {@link formatDuration} prints).
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Units from largest to smallest; a compound must use them in this order, each at most once. */
const UNIT_ORDER = ['h', 'm', 's', 'ms']

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y

/**
 * Parses a duration into milliseconds, rounded to the nearest millisecond.
 * Accepts a number with a unit (`ms`, `s`, `m`, `h`), compounds of those from
 * largest to smallest unit (`1m30s`, `1h15m`), and a bare `0`.
 * Throws a `RangeError` on anything else (no sign, exponent, spaces or bare numbers).
 */
export function parseDuration (text: string): number {
  if (text === '0') return 0
  let total = 0
  let lastUnit = -1
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text)
    if (match === null) throw invalidDuration(text)
    const unitIndex = UNIT_ORDER.indexOf(match[2])
    if (unitIndex <= lastUnit) throw invalidDuration(text)
    lastUnit = unitIndex
    total += Number(match[1]) * UNIT_MS[match[2]]
  }
  if (lastUnit === -1) throw invalidDuration(text)
  const ms = Math.round(total)
  if (!Number.isSafeInteger(ms)) throw invalidDuration(text)
  return ms
}

function invalidDuration (text: string): RangeError {
  return new RangeError(`expected a duration like 250ms, 2s or 1m, got ${JSON.stringify(text)}`)
}

/**
 * Formats milliseconds for people: `0ms`, `3ms`, `0.4ms`, `250ms`, `2s`, `2.1s`,
 * `1m30s`, `1h2m`. Under a minute it keeps one decimal of seconds (or, with
 * `secondsDigits`, exactly that many: `2.41s`, `2.00s`, for columns of figures);
 * from a minute up it rounds to whole seconds and drops zero parts.
 */
export function formatDuration (ms: number, options: { secondsDigits?: number } = {}): string {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms < 0) return `-${formatDuration(-ms, options)}`
  if (ms < 10 && !Number.isInteger(ms)) {
    const tenths = Math.round(ms * 10) / 10
    if (tenths < 10) return `${tenths}ms`
  }
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  const digits = options.secondsDigits
  if (digits !== undefined && ms < 59_500) return `${(ms / 1000).toFixed(digits)}s`
  const tenthsOfSecond = Math.round(ms / 100)
  if (tenthsOfSecond < 600) return `${tenthsOfSecond / 10}s`
  let seconds = Math.round(ms / 1000)
  const hours = Math.floor(seconds / 3600)
  seconds -= hours * 3600
  const minutes = Math.floor(seconds / 60)
  seconds -= minutes * 60
  return (hours > 0 ? `${hours}h` : '') + (minutes > 0 ? `${minutes}m` : '') + (seconds > 0 ? `${seconds}s` : '')
}
