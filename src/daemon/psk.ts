/**
 * The swarm key of a private swarm: a libp2p pre-shared key in the standard
 * format (go-libp2p, kubo and js-libp2p read the same file):
 *
 * ```
 * /key/swarm/psk/1.0.0/
 * /base16/
 * <64 hex digits: 32 random bytes>
 * ```
 *
 * Only nodes holding the same key can connect (`@libp2p/pnet` wraps every
 * connection in XSalsa20 with it). The file is a secret: created with mode
 * 0600, and refused when group or others can access it.
 */
import { randomBytes } from 'node:crypto'
import { ConfigError } from '../config-error.js'
import { createSecretFile, readSecretFile, shellQuote } from './keyfile.js'
import type { KeyFileOptions } from './keyfile.js'

/** First line of a v1 swarm key file. */
export const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/'
/** The only encoding line peermon reads (the one @libp2p/pnet decodes). */
export const SWARM_KEY_ENCODING = '/base16/'
/** Bytes of key material. */
export const SWARM_KEY_BYTES = 32

/** A new swarm key file's contents: the header, the encoding and 32 random bytes in hex. */
export function generateSwarmKey (): Uint8Array {
  return formatSwarmKey(randomBytes(SWARM_KEY_BYTES).toString('hex'))
}

/**
 * Checks a swarm key file's text and returns it in canonical form (the bytes
 * `preSharedKey({ psk })` takes), or the reason it is not a swarm key.
 * Accepts CRLF line ends, a trailing newline and upper-case hex.
 */
export function parseSwarmKey (text: string): { ok: true, psk: Uint8Array } | { ok: false, reason: string } {
  const lines = text.split(/\r?\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  if (lines[0] !== SWARM_KEY_HEADER) return { ok: false, reason: `the first line is not ${SWARM_KEY_HEADER}` }
  if (lines[1] !== SWARM_KEY_ENCODING) return { ok: false, reason: `the second line is not ${SWARM_KEY_ENCODING} (the only encoding supported)` }
  if (lines.length !== 3) return { ok: false, reason: 'expected exactly three lines' }
  const hex = lines[2].trim()
  if (!new RegExp(`^[0-9A-Fa-f]{${SWARM_KEY_BYTES * 2}}$`).test(hex)) {
    return { ok: false, reason: `the third line is not ${SWARM_KEY_BYTES * 2} hex digits` }
  }
  return { ok: true, psk: formatSwarmKey(hex.toLowerCase()) }
}

/**
 * Reads the swarm key at `path` (the `--psk` option). Throws {@link ConfigError}
 * when it is missing, unreadable, open to group or others (unless
 * `allowInsecure`) or not a swarm key.
 */
export async function loadSwarmKey (path: string, options: KeyFileOptions): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined
  try {
    bytes = await readSecretFile(path, 'swarm key file', options)
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError(`--psk: ${err.message}`) : err
  }
  if (bytes === undefined) {
    throw new ConfigError(`--psk: no swarm key file ${shellQuote(path)}; create one with peermon keygen --psk ${shellQuote(path)} and copy it to every node`)
  }
  const parsed = parseSwarmKey(new TextDecoder('utf-8', { fatal: false }).decode(bytes))
  if (!parsed.ok) {
    throw new ConfigError(`--psk: ${shellQuote(path)} is not a swarm key: ${parsed.reason} (create one with peermon keygen --psk <file>)`)
  }
  return parsed.psk
}

/**
 * `peermon keygen --psk`: writes a new swarm key to `path` with mode 0600.
 * Throws {@link ConfigError} if the file already exists (it is never overwritten).
 */
export async function createSwarmKey (path: string): Promise<void> {
  if (!await createSecretFile(path, generateSwarmKey(), 'swarm key file')) {
    throw new ConfigError(`swarm key file ${shellQuote(path)} already exists; not overwriting it (every node of the swarm needs the same key)`)
  }
}

function formatSwarmKey (hex: string): Uint8Array {
  return new TextEncoder().encode(`${SWARM_KEY_HEADER}\n${SWARM_KEY_ENCODING}\n${hex}\n`)
}
