/**
 * The package's entry points, imported by name as a user would (the package's
 * self-reference): `peermon` loads the monitor service only, without libp2p's
 * transport stack; `peermon/node` has the node factory. What each import loads
 * is recorded by module hooks (test/helpers/import-log-hooks.ts) in a child process.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { tempDir } from '../helpers/tmp.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const tmp = tempDir('peermon-exports-')

/** The transport stack and libp2p itself: what `peermon/node` brings and `peermon` must not. */
const STACK = ['libp2p', '@libp2p/tcp', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@chainsafe/libp2p-gossipsub', '@libp2p/identify']

const CHILD = `
import { register } from 'node:module'
import { pathToFileURL } from 'node:url'
const [specifier, logFile] = process.argv.slice(1)
register('./dist/test/helpers/import-log-hooks.js', pathToFileURL('./'), { data: { logFile } })
const mod = await import(specifier)
console.log(JSON.stringify(Object.keys(mod)))
`

interface Imported { exports: string[], packages: Set<string>, urls: string[] }

/** Import `specifier` in a fresh Node process; its exported names and the packages (under node_modules) it loaded. */
async function importInChild (specifier: string): Promise<Imported> {
  const logFile = tmp(`${specifier.replace(/\W/g, '_')}.log`)
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', './dist/src/polyfills.js', '--input-type=module', '-e', CHILD, specifier, logFile],
      { cwd: ROOT, timeout: 60_000 }, (err, out, stderr) => { err != null ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out) })
  })
  const urls = (await readFile(logFile, 'utf8')).split('\n').filter(Boolean)
  const packages = new Set<string>()
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
    if (m != null) packages.add(m[1])
  }
  return { exports: JSON.parse(stdout) as string[], packages, urls }
}

describe('package entry points', () => {
  it('`peermon` loads the monitor service without libp2p, TCP, Noise, yamux or gossipsub', async () => {
    const { exports, packages, urls } = await importInChild('peermon')
    assert.ok(urls.some(u => u.endsWith('/dist/src/index.js')), 'the package entry is dist/src/index.js')
    assert.ok(exports.includes('peerMonitor'))
    assert.ok(!exports.includes('createNode'), 'the node factory is not on the main entry')
    assert.deepEqual(STACK.filter(p => packages.has(p)), [], 'transport-stack packages loaded by `peermon`')
  })

  it('`peermon/node` has createNode and brings the stack (the recorder sees it)', async () => {
    const { exports, packages } = await importInChild('peermon/node')
    assert.ok(exports.includes('createNode'))
    assert.deepEqual(STACK.filter(p => !packages.has(p)), [], 'stack packages `peermon/node` should load')
  })

  it('every export has its types and code built', async () => {
    const pkg = JSON.parse(await readFile(new URL('package.json', `file://${ROOT}`), 'utf8')) as { exports: Record<string, { types: string, import: string }> }
    for (const [name, entry] of Object.entries(pkg.exports)) {
      for (const file of [entry.types, entry.import]) assert.ok(existsSync(`${ROOT}/${file}`), `${name}: ${file}`)
    }
  })
})
