/**
 * Operator-facing errors: {@link ConfigError} for bad input, and the helpers that keep
 * its message to one short line (file system reasons, quoted values cut short).
 */

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
