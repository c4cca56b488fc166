/**
 * The daemon's persistent identity: a libp2p private key in a file only its
 * owner may read, created on first start (Ed25519, protobuf-encoded, mode 0600).
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError, describeFsError } from './config.js'

/** Options of {@link loadOrCreateKey}. */
export interface KeyFileOptions {
  /** Accept a key file that group or others can access (mode & 0o077). */
  allowInsecure: boolean
}

/**
 * Loads the private key stored at `path`, or creates a new Ed25519 key there
 * (and a missing parent directory, mode 0700) if the file does not exist.
 * Throws {@link ConfigError} when the file is too open, unreadable or not a key.
 */
export async function loadOrCreateKey (path: string, options: KeyFileOptions): Promise<PrivateKey> {
  const existing = await readKeyFile(path, options)
  if (existing !== undefined) return existing
  const key = await generateKeyPair('Ed25519')
  const created = await createKeyFile(path, privateKeyToProtobuf(key))
  // Another process may have created the file first; then its key is the identity.
  return created ? key : await readKeyFile(path, options) ?? key
}

/** Reads and decodes the key file; undefined when it does not exist. */
async function readKeyFile (path: string, options: KeyFileOptions): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    const file = await open(path, 'r')
    try {
      const stats = await file.stat()
      if (!stats.isFile()) throw new ConfigError(`key file ${shellQuote(path)} is not a regular file`)
      const mode = stats.mode & 0o777
      if ((mode & 0o077) !== 0 && !options.allowInsecure && process.platform !== 'win32') {
        const octal = mode.toString(8).padStart(4, '0')
        throw new ConfigError(`permissions ${octal} for '${path}' are too open; run chmod 600 ${shellQuote(path)} or pass --allow-insecure-key`)
      }
      bytes = await file.readFile()
    } finally {
      await file.close()
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read key file ${shellQuote(path)}: ${describeFsError(err)}`)
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new ConfigError(`key file ${shellQuote(path)} does not hold a libp2p private key (${reason}); move it away to create a new identity`)
  }
}

/**
 * Writes the key atomically: a private temp file, then a hard link to the final
 * name, which fails rather than replace a key another process just created.
 * Returns false when such a file already existed.
 */
async function createKeyFile (path: string, bytes: Uint8Array): Promise<boolean> {
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
    throw new ConfigError(`cannot create key file ${shellQuote(path)}: ${describeFsError(err)}`)
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
    // Some file systems have no hard links; rename is still atomic, only not exclusive.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
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
function shellQuote (path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`
}
