import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'

/**
 * A fresh directory under the OS temp dir for the calling test file, made
 * before its tests and removed with its contents after them. Call it at the
 * top level; the function it returns joins paths inside the directory
 * (`tmp()` is the directory itself, `tmp('a', 'b')` a path in it) once the
 * tests run.
 */
export function tempDir (prefix: string): (...parts: string[]) => string {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), prefix)) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })
  return (...parts) => join(dir, ...parts)
}
