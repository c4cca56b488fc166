/**
 * Operator-facing errors: {@link ConfigError} for bad input, and the helpers that keep
 * its message to one short line (file system reasons, quoted values cut short).
 */
import { readFileSync } from 'node:fs'

/** Bad input from the operator (a flag, env variable, config or key file): exit code 2. The message is one line. */
export class ConfigError extends Error {
  constructor (message: string) {
    super(message.replace(/\s*\n\s*/g, ' '))
    this.name = 'ConfigError'
  }
}

/** A short reason for a file system error, e.g. `no such file or directory`. */
export function describeFsError (err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT': return 'no such file or directory'
    case 'EACCES': case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'is a directory'
    case 'ENOTDIR': return 'a parent is not a directory'
    default: return err instanceof Error ? err.message : String(err)
  }
}

/** Quotes a string for a one-line message, cut short if long. */
export function quote (text: string): string {
  return shorten(JSON.stringify(text))
}

/** Shows any JSON value for a one-line message, cut short if long. */
export function show (value: unknown): string {
  return shorten(JSON.stringify(value) ?? String(value))
}

function shorten (text: string): string {
  return text.length > 80 ? `${text.slice(0, 76)}...` : text
}

/** Longest secret file read (a bearer token is tens of bytes). */
const MAX_SECRET_FILE_BYTES = 4096

/**
 * A secret kept in a file (an API token mounted from a Kubernetes Secret or a
 * Compose secret): its text without surrounding blanks, so a trailing newline
 * does not become part of it. Never echoed in an error. Throws ConfigError
 * naming `source`.
 */
export function readSecretFile (path: string, source: string): string {
  let text: string
  try {
    const bytes = readFileSync(path)
    if (bytes.byteLength > MAX_SECRET_FILE_BYTES) throw new ConfigError(`${source}: ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes; expected a token`)
    text = bytes.toString('utf8').trim()
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`${source}: cannot read ${path}: ${describeFsError(err)}`)
  }
  if (text === '') throw new ConfigError(`${source}: ${path} is empty; expected a token`)
  return text
}
