/**
 * The daemon's persistent identity: a libp2p private key in a file only its
 * owner may read, created on first start (Ed25519, protobuf-encoded, mode 0600).
 * The owner-only file helpers here also serve the swarm key (psk.ts).
 */
import { randomBytes } from 'node:crypto'
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError, describeFsError } from '../config-error.js'

/** Options of {@link loadOrCreateKey}. */
export interface KeyFileOptions {
  /** Accept a key file that group or others can access (mode & 0o077). */
  allowInsecure: boolean
}

/** A key file larger than this is not a key (RSA-4096 keys take about 2.4 KB). */
const MAX_SECRET_FILE_BYTES = 64 * 1024

/**
 * Loads the private key stored at `path`, or creates a new Ed25519 key there
 * (and a missing parent directory, mode 0700) if the file does not exist.
 * Throws {@link ConfigError} when the file is too open, unreadable or not a key.
 */
export async function loadOrCreateKey (path: string, options: KeyFileOptions): Promise<PrivateKey> {
  const existing = await readKeyFile(path, options)
  if (existing !== undefined) return existing
  const key = await generateKeyPair('Ed25519')
  const created = await createSecretFile(path, privateKeyToProtobuf(key), 'key file')
  // Another process may have created the file first; then its key is the identity.
  return created ? key : await readKeyFile(path, options) ?? key
}

/**
 * `peermon keygen --key`: creates a new Ed25519 identity key file (mode 0600)
 * and returns the key. Throws {@link ConfigError} if the file already exists.
 */
export async function createNewKey (path: string): Promise<PrivateKey> {
  const key = await generateKeyPair('Ed25519')
  if (!await createSecretFile(path, privateKeyToProtobuf(key), 'key file')) {
    throw new ConfigError(`key file ${shellQuote(path)} already exists; not overwriting an identity (peermon daemon --key ${shellQuote(path)} uses it)`)
  }
  return key
}

/** Reads and decodes the key file; undefined when it does not exist. */
async function readKeyFile (path: string, options: KeyFileOptions): Promise<PrivateKey | undefined> {
  const bytes = await readSecretFile(path, 'key file', options)
  if (bytes === undefined) return undefined
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new ConfigError(`key file ${shellQuote(path)} does not hold a libp2p private key (${reason}); move it away to create a new identity`)
  }
}

/**
 * Reads a file that holds a secret (`what` names it in messages, e.g. `key file`);
 * undefined when it does not exist. Throws {@link ConfigError} when it is not a
 * regular file, is too large, cannot be read, or group or others can access it
 * (as ssh refuses an open private key) unless `allowInsecure`.
 */
export async function readSecretFile (path: string, what: string, options: KeyFileOptions): Promise<Uint8Array | undefined> {
  try {
    const file = await open(path, 'r')
    try {
      const stats = await file.stat()
      if (!stats.isFile()) throw new ConfigError(`${what} ${shellQuote(path)} is not a regular file`)
      const mode = stats.mode & 0o777
      if ((mode & 0o077) !== 0 && !options.allowInsecure && process.platform !== 'win32') {
        const octal = mode.toString(8).padStart(4, '0')
        throw new ConfigError(`permissions ${octal} for '${path}' are too open; run chmod 600 ${shellQuote(path)} or pass --allow-insecure-key`)
      }
      if (stats.size > MAX_SECRET_FILE_BYTES) throw new ConfigError(`${what} ${shellQuote(path)} is ${stats.size} bytes, too large to be a key`)
      return await file.readFile()
    } finally {
      await file.close()
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read ${what} ${shellQuote(path)}: ${describeFsError(err)}`)
  }
}

/**
 * Writes a secret atomically with mode 0600 (and a missing parent directory,
 * mode 0700): a private temp file, then a hard link to the final name, which
 * fails rather than replace a file another process just created.
 * Returns false when such a file already existed.
 */
export async function createSecretFile (path: string, bytes: Uint8Array, what: string): Promise<boolean> {
  const dir = dirname(path)
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const file = await open(temp, 'wx', 0o600)
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    const created = await linkOrRename(temp, path)
    await syncDirectory(dir)
    return created
  } catch (err) {
    throw new ConfigError(`cannot create ${what} ${shellQuote(path)}: ${describeFsError(err)}`)
  } finally {
    await unlink(temp).catch(() => {})
  }
}

async function linkOrRename (temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    // Some file systems have no hard links; rename is still atomic, but exclusive only up to a race.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      if (await lstat(path).then(() => true, () => false)) return false
      await rename(temp, path)
      return true
    }
    throw err
  }
}

/** Makes the new directory entry durable; best effort (not possible on every platform). */
async function syncDirectory (dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try { await handle.sync() } finally { await handle.close() }
  } catch {}
}

/** Quotes a path for a shell command in a message when it needs quoting. */
export function shellQuote (path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`
}
