/**
 * Parsers and validators for single daemon option values (durations, window, topic,
 * tags, multiaddrs, peer ids, the API address, paths, the data directory). Each takes
 * a raw {@link Setting}, returns undefined when it is unset and throws a
 * {@link ConfigError} naming its source when it is bad.
 */
import { stat } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { canonicalPeerId } from '../libp2p/peer-id.js'
import { ConfigError, describeFsError, quote } from '../config-error.js'
import { durationValue, sizeValue, wholeNumberValue } from '../flags.js'
import { DAEMON_DEFAULTS, DAEMON_LIMITS } from './options.js'
import { DNS_FAMILIES } from './bootstrap-addr.js'

export type RawValue = string | string[] | boolean

/** A raw value and where it came from, e.g. `--interval` or `PEERMON_INTERVAL`. */
export interface Setting { value: RawValue, source: string }

const TAG_KEY = /^[A-Za-z0-9_.-]{1,32}$/

export function listOf (setting: Setting | undefined, check: (addr: string, source: string) => void): string[] | undefined {
  if (setting === undefined) return undefined
  const list = Array.isArray(setting.value) ? setting.value : [String(setting.value)]
  for (const item of list) check(item, setting.source)
  return [...list]
}

type Tuples = ReturnType<ReturnType<typeof multiaddr>['tuples']>

/** Parses a multiaddr fully (some components only decode when asked) and returns its components. */
function parseMultiaddr (text: string, source: string, example: string): Tuples {
  try {
    return multiaddr(text).tuples()
  } catch (err) {
    throw new ConfigError(`${source}: expected a multiaddr like ${example}, got ${quote(text)} (${err instanceof Error ? err.message : String(err)})`)
  }
}

/** `host:port`, `:port` (loopback) or `off`; null for off, undefined when unset. */
export function apiOf (setting: Setting | undefined): { host: string, port: number } | null | undefined {
  if (setting === undefined) return undefined
  const text = String(setting.value).trim()
  if (text === 'off') return null
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(text)
  const port = match == null ? NaN : Number(match[2])
  if (match == null || port > 65535) {
    throw new ConfigError(`${setting.source}: expected host:port (e.g. 127.0.0.1:5011, :0 for a free port) or off, got ${quote(text)}`)
  }
  const host = match[1] === '' ? '127.0.0.1' : match[1].replace(/^\[|\]$/g, '')
  return { host, port }
}

export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export function validPeerId (text: string, source: string): void {
  if (canonicalPeerId(text) === undefined) throw new ConfigError(`${source}: expected a peer id like 12D3KooW..., got ${quote(text)}`)
}

export function validListenAddr (text: string, source: string): void {
  parseMultiaddr(text, source, '/ip4/0.0.0.0/tcp/4011')
}

const BOOTSTRAP_EXAMPLE = '/ip4/10.0.0.1/tcp/4011/p2p/12D3KooW...'
const BOOTSTRAP_FORMS = '/ip4/<ip>/tcp/<port>, /dns4/<name>/tcp/<port> (every address the name has), either with /p2p/<peer id>, or any multiaddr ending in /p2p/<peer id>'
/** Protocol codes: ip4, ip6, tcp, p2p; a name's (dns, dns4, dns6) are bootstrap-addr.ts's DNS_FAMILIES. */
const IP = new Set([4, 41])
const TCP = 6
const P2P = 421

/**
 * A bootstrap address: with `/p2p/<peer id>` any multiaddr libp2p dials (Noise checks the key);
 * without, or after a DNS name, only `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, which
 * src/daemon/bootstrap-addr.ts resolves and dials.
 */
export function validBootstrapAddr (text: string, source: string): void {
  const tuples = parseMultiaddr(text, source, BOOTSTRAP_EXAMPLE)
  const [code, bytes] = tuples[tuples.length - 1] ?? []
  const host = tuples.slice(0, code === P2P ? -1 : undefined)
  const plainTcp = host.length === 2 && (IP.has(host[0][0]) || DNS_FAMILIES.has(host[0][0])) && host[1][0] === TCP
  if ((code !== P2P && !plainTcp) || (DNS_FAMILIES.has(tuples[0]?.[0]) && !plainTcp)) {
    throw new ConfigError(`${source}: expected ${BOOTSTRAP_FORMS}, got ${quote(text)}`)
  }
  if (code !== P2P) return
  // A peer id is a multihash: identity (0x00) of a public key, or sha2-256 (0x12, 32 bytes).
  const validMultihash = bytes !== undefined && bytes.length >= 2 && bytes[1] === bytes.length - 2 &&
    ((bytes[0] === 0x00 && bytes[1] <= 64) || (bytes[0] === 0x12 && bytes[1] === 32))
  if (!validMultihash) throw new ConfigError(`${source}: ${quote(text)} does not end in a valid peer id`)
}

export function durationOf (setting: Setting | undefined, min: number, max: number): number | undefined {
  if (setting === undefined) return undefined
  return durationValue(setting.source, String(setting.value), { min, max })
}

/** A size in bytes (`256MiB`, `1GiB`), within min..max. */
export function sizeOf (setting: Setting | undefined, min: number, max: number): number | undefined {
  if (setting === undefined) return undefined
  return sizeValue(setting.source, String(setting.value), { min, max })
}

export function windowOf (setting: Setting | undefined): number | undefined {
  if (setting === undefined) return undefined
  return wholeNumberValue(setting.source, String(setting.value), 1, DAEMON_LIMITS.maxWindowSize)
}

export function minConnectionsOf (setting: Setting | undefined): number | undefined {
  if (setting === undefined) return undefined
  return wholeNumberValue(setting.source, String(setting.value), 0, DAEMON_LIMITS.maxMinConnections)
}

export function topicOf (setting: Setting | undefined): string | undefined {
  if (setting === undefined) return undefined
  const text = String(setting.value)
  const length = [...text].length
  if (length < 1 || length > DAEMON_LIMITS.maxTopicLength || /\p{C}/u.test(text)) {
    throw new ConfigError(`${setting.source}: expected 1 to ${DAEMON_LIMITS.maxTopicLength} printable characters like ${DAEMON_DEFAULTS.topic}, got ${quote(text)}`)
  }
  return text
}

export function tagsOf (setting: Setting | undefined): Record<string, string> | undefined {
  if (setting === undefined) return undefined
  const tags = new Map<string, string>()
  for (const item of Array.isArray(setting.value) ? setting.value : [String(setting.value)]) {
    const eq = item.indexOf('=')
    const key = eq === -1 ? item : item.slice(0, eq)
    const value = item.slice(eq + 1)
    if (eq === -1 || !TAG_KEY.test(key)) {
      throw new ConfigError(`${setting.source}: expected key=value with a key of 1 to 32 of A-Z a-z 0-9 _ . -, got ${quote(item)}`)
    }
    if (value.length > DAEMON_LIMITS.maxTagValueLength) {
      throw new ConfigError(`${setting.source}: tag ${quote(key)} value is longer than ${DAEMON_LIMITS.maxTagValueLength} characters`)
    }
    if (tags.has(key)) throw new ConfigError(`${setting.source}: tag ${quote(key)} given more than once`)
    tags.set(key, value)
  }
  // fromEntries defines own properties, so even a key like __proto__ survives.
  return Object.fromEntries(tags)
}

/** `on` or `off` (a config file may also say true or false). */
export function onOffOf (setting: Setting | undefined): boolean | undefined {
  if (setting === undefined) return undefined
  if (typeof setting.value === 'boolean') return setting.value
  const text = String(setting.value).trim().toLowerCase()
  if (text === 'on') return true
  if (text === 'off') return false
  throw new ConfigError(`${setting.source}: expected on or off, got ${quote(String(setting.value))}`)
}

export function pathOf (setting: Setting | undefined): string | undefined {
  if (setting === undefined) return undefined
  return String(setting.value)
}

export async function checkDirectory (setting: Setting | undefined, dir: string): Promise<void> {
  const source = setting?.source ?? '--data-dir'
  try {
    if (!(await stat(dir)).isDirectory()) throw new ConfigError(`${source}: ${quote(dir)} is not a directory`)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`${source}: cannot use directory ${quote(dir)}: ${describeFsError(err)}`)
  }
}
