import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { DAEMON_OPTIONS } from '../../src/daemon/options.js'

const README = new URL('../../../README.md', import.meta.url)

describe('README', () => {
  it('documents every daemon option the code accepts, and no option the code lacks', async () => {
    const text = await readFile(README, 'utf8')
    const documented = new Set([...text.matchAll(/^\| `--([a-z-]+)[ `]/gm)].map(m => m[1]))
    const accepted = new Set<string>(DAEMON_OPTIONS.map(o => o.name).filter(name => name !== 'help'))
    assert.deepEqual([...accepted].filter(n => !documented.has(n)), [], 'options missing from the README table')
    assert.deepEqual([...documented].filter(n => !accepted.has(n)), [], 'README options the daemon does not accept')
  })
})
