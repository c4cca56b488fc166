/**
 * Module customization hooks (`module.register`) that append the URL of every
 * module the process resolves to a file, one per line. The file is written
 * synchronously before each resolution completes, so once an `import()` has
 * settled, everything it loaded is on disk. Used by test/e2e/package-exports.test.ts.
 */
import { appendFileSync } from 'node:fs'

interface ResolveResult { url: string }
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>

let logFile = ''

export async function initialize (data: { logFile: string }): Promise<void> {
  logFile = data.logFile
}

export async function resolve (specifier: string, context: unknown, next: NextResolve): Promise<ResolveResult> {
  const result = await next(specifier, context)
  appendFileSync(logFile, result.url + '\n')
  return result
}
