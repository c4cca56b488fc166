import assert from 'node:assert/strict'
import { ConfigError } from '../../src/config-error.js'

/** For assert.throws/rejects: the error is a one-line ConfigError whose message matches `pattern`. */
export const isConfigError = (pattern: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
  assert.match(err.message, pattern)
  assert.ok(!err.message.includes('\n'), 'one line')
  return true
}
