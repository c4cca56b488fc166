import assert from 'node:assert/strict'
import { chmod, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createNewKey, loadOrCreateKey } from '../../src/daemon/keyfile.js'
import { isConfigError } from '../helpers/config-error.js'
import { tempDir } from '../helpers/tmp.js'

const posix = process.platform !== 'win32'

const tmp = tempDir('peermon-key-')

describe('loadOrCreateKey', () => {
  it('creates an Ed25519 key with mode 0600 in a new 0700 directory, and reloads the same identity', async () => {
    const path = tmp('state', 'identity.key')
    const created = await loadOrCreateKey(path, { allowInsecure: false })
    assert.equal(created.type, 'Ed25519')
    if (posix) {
      assert.equal((await stat(path)).mode & 0o777, 0o600)
      assert.equal((await stat(tmp('state'))).mode & 0o777, 0o700)
    }
    assert.deepEqual(await readdir(tmp('state')), ['identity.key'], 'no temp file left behind')
    const loaded = await loadOrCreateKey(path, { allowInsecure: false })
    assert.equal(peerIdFromPrivateKey(loaded).toString(), peerIdFromPrivateKey(created).toString())
  })

  it('gives concurrent first starts one identity', async () => {
    const path = tmp('race.key')
    const keys = await Promise.all([1, 2, 3, 4].map(async () => await loadOrCreateKey(path, { allowInsecure: false })))
    const ids = new Set(keys.map(key => peerIdFromPrivateKey(key).toString()))
    assert.equal(ids.size, 1)
  })

  it('refuses a key file group or others can read, unless allowed', { skip: !posix }, async () => {
    const path = tmp('open.key')
    const created = await loadOrCreateKey(path, { allowInsecure: false })
    await chmod(path, 0o644)
    await assert.rejects(loadOrCreateKey(path, { allowInsecure: false }),
      isConfigError(new RegExp(`^permissions 0644 for '${path}' are too open; run chmod 600 ${path} or pass --allow-insecure-key$`)))
    const loaded = await loadOrCreateKey(path, { allowInsecure: true })
    assert.equal(peerIdFromPrivateKey(loaded).toString(), peerIdFromPrivateKey(created).toString())
  })

  it('refuses a corrupt key file with a clear error and leaves it alone', async () => {
    const path = tmp('corrupt.key')
    await writeFile(path, 'not a key', { mode: 0o600 })
    await assert.rejects(loadOrCreateKey(path, { allowInsecure: false }), isConfigError(/^key file .*corrupt\.key does not hold a libp2p private key .*; move it away/))
    assert.equal((await stat(path)).size, 9)
  })

  it('refuses a key path that is a directory', async () => {
    await assert.rejects(loadOrCreateKey(tmp(), { allowInsecure: false }), isConfigError(/is not a regular file/))
  })

  it('reports an unreadable key file', { skip: !posix || process.getuid?.() === 0 }, async () => {
    const path = tmp('unreadable.key')
    await writeFile(path, 'x', { mode: 0o200 })
    await assert.rejects(loadOrCreateKey(path, { allowInsecure: false }), isConfigError(/^cannot read key file .*unreadable\.key: permission denied$/))
  })

  it('reports a key path it cannot create', async () => {
    const file = tmp('plain-file')
    await writeFile(file, '')
    await assert.rejects(loadOrCreateKey(join(file, 'identity.key'), { allowInsecure: false }), isConfigError(/^cannot (read|create) key file .*: a parent is not a directory$/))
  })

  it('keygen: creates a new key with mode 0600, loadable by the daemon, and never overwrites one', async () => {
    const path = tmp('keygen', 'identity.key')
    const key = await createNewKey(path)
    if (posix) assert.equal((await stat(path)).mode & 0o777, 0o600)
    const loaded = await loadOrCreateKey(path, { allowInsecure: false })
    assert.equal(peerIdFromPrivateKey(loaded).toString(), peerIdFromPrivateKey(key).toString())
    await assert.rejects(createNewKey(path), isConfigError(/^key file .*identity\.key already exists; not overwriting an identity/))
    const again = await loadOrCreateKey(path, { allowInsecure: false })
    assert.equal(peerIdFromPrivateKey(again).toString(), peerIdFromPrivateKey(key).toString(), 'still the first identity')
  })

  it('refuses a key file too large to be a key', async () => {
    const path = tmp('huge.key')
    await writeFile(path, new Uint8Array(100_000), { mode: 0o600 })
    await assert.rejects(loadOrCreateKey(path, { allowInsecure: false }), isConfigError(/^key file .*huge\.key is 100000 bytes, too large to be a key$/))
  })
})
