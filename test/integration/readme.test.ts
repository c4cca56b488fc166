import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { DAEMON_OPTIONS } from '../../src/daemon/options.js'

/** The daemon's option table moved from the README to docs/daemon.md, "## Options". */
const DAEMON_DOC = new URL('../../../docs/daemon.md', import.meta.url)

describe('README and docs/daemon.md', () => {
  it('documents every daemon option the code accepts, and no option the code lacks', async () => {
    const text = await readFile(DAEMON_DOC, 'utf8')
    const documented = new Set([...text.matchAll(/^\| `--([a-z-]+)[ `]/gm)].map(m => m[1]))
    const accepted = new Set<string>(DAEMON_OPTIONS.map(o => o.name).filter(name => name !== 'help'))
    assert.deepEqual([...accepted].filter(n => !documented.has(n)), [], 'options missing from the docs/daemon.md table')
    assert.deepEqual([...documented].filter(n => !accepted.has(n)), [], 'docs/daemon.md options the daemon does not accept')
  })
})
