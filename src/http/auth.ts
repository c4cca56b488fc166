/**
 * Who may use the API: a bearer token compared in constant time, and, for an
 * API without a token, only requests addressed to a loopback host name (a web
 * page cannot reach it through DNS rebinding).
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  // Any token the operator chose (spaces included) is taken as is; only the surrounding blanks go.
  const match = /^Bearer[ \t]+(.*?)[ \t]*$/i.exec(header)
  if (match === null || match[1] === '') return undefined
  return match[1]
}

/** True when `given` equals `expected`; the time taken does not depend on where they differ. */
export function tokenMatches (given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  // Hashing first makes both sides the same length, so the comparison leaks neither length nor prefix.
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** True when a Host header names a loopback address or localhost (with or without a port). */
export function isLoopbackHost (host: string | undefined): boolean {
  if (host === undefined) return false
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '')
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}
