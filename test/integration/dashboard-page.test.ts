/**
 * The dashboard page without a browser: the script inlined in it is the
 * compiled src/dashboard/client.ts, a module with no imports (a browser could
 * not fetch one under the page's CSP), and the CSP's hash admits exactly it.
 * test/e2e/dashboard.test.ts runs the page in Chromium.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { DASHBOARD_CSP } from '../../src/api/dashboard.js'
import { DASHBOARD_HTML, DASHBOARD_SCRIPT } from '../../src/api/dashboard-page.js'
import { BUILTIN_METRICS } from '../../src/monitor/informers.js'

describe('dashboard page', () => {
  it('inlines the compiled script as one module with no imports, admitted by its hash', () => {
    const compiled = readFileSync(new URL('../../src/dashboard/client.js', import.meta.url), 'utf8')
    assert.equal(DASHBOARD_SCRIPT, compiled)
    assert.match(compiled, /new EventSource\(/)
    assert.doesNotMatch(compiled, /^\s*import\b|\bimport\s*\(|^\s*export\s+(?!\{\s*\};)/m, 'type imports only: nothing for the browser to fetch')

    const inline = [...DASHBOARD_HTML.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map(m => m[1])
    assert.deepEqual(inline, [compiled], 'one inline module script: the compiled one')
    const hash = createHash('sha256').update(compiled, 'utf8').digest('base64')
    assert.match(DASHBOARD_CSP, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'(;|$)`))
  })

  it('knows the built-in metrics the monitor publishes (the browser script cannot import the list)', () => {
    const compiled = readFileSync(new URL('../../src/dashboard/client.js', import.meta.url), 'utf8')
    const list = /const BUILTIN = new Set\((\[[^\]]*\])\)/.exec(compiled)?.[1]
    assert.ok(list !== undefined, 'the dashboard script has its BUILTIN set')
    assert.deepEqual(JSON.parse(list.replace(/'/g, '"')), [...BUILTIN_METRICS])
  })
})
